import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { amPayload, startTestBot, type TestBot } from '../helpers/bot.js';
import { backends, dropSchemas } from '../helpers/db.js';

afterAll(dropSchemas);

const SLOW = { timeout: 120_000 };

/**
 * Issue #18 "Which clock wins": per kind the stricter of the severity default and the runbook applies,
 * unless the runbook's front matter says `timers_override: true`; the header and `/incident timers` say
 * where each clock came from; one update cadence per incident.
 */
describe.each(backends)('which clock wins, on %s', (backend) => {
  let t: TestBot;
  afterEach(async () => {
    await t?.close();
  });

  it('keeps P1 acknowledge at 5 min over a 15-min runbook, says why, and runs one update cadence', SLOW, async () => {
    t = await startTestBot(backend, {
      RUNBOOKS_DIR: 'test/fixtures/runbooks-clock',
      DEFAULT_TIMERS: 'P1=ack:5,escalate:15@Senior Engineer;P2=ack:15;P3=ack:60;P4=',
      UPDATE_REMINDER_MINUTES: 'P1=15,P2=30,P3=60',
    });
    await t.alert(amPayload([{ alertname: 'PaymentsDown', labels: { severity: 'critical' } }]));
    await t.alert(amPayload([{ alertname: 'LedgerDown', labels: { severity: 'critical' } }]));
    await t.settle();
    const pay = await t.bot.service.get(1);
    const ledger = await t.bot.service.get(2);
    expect([pay.severity, ledger.severity]).toEqual(['P1', 'P1']);

    const header = JSON.stringify(t.emulator.channel(pay.channelId!).messages()[0]!.blocks);
    expect(header).toContain('Acknowledge in 5 min');
    expect(header).toContain("P1 default, stricter than the runbook's 15 min");
    const timers = JSON.stringify((await t.emulator.as('alice').in(pay.channelId!).slash('/incident', 'timers')).body);
    expect(timers).toContain("P1 default, stricter than the runbook's 15 min");
    expect(timers).toContain('update cadence');

    // One update cadence: the runbook's 30-minute update timer folds into P1's 15-minute reminder.
    const rows = await t.bot.db.query<{ kind: string; after: number }>(
      `SELECT kind, (data->>'afterMinutes')::int AS after FROM timers
       WHERE incident_id = 1 AND status = 'pending' AND kind IN ('update', 'reminder')`,
    );
    expect(rows.rows).toEqual([{ kind: 'reminder', after: 15 }]);

    // The ledger runbook overrides on purpose: its 15 minutes apply, and the header says so.
    const ledgerHeader = JSON.stringify(t.emulator.channel(ledger.channelId!).messages()[0]!.blocks);
    expect(ledgerHeader).toContain('Acknowledge in 15 min');
    expect(ledgerHeader).toContain('runbook, overriding the P1 default of 5 min (timers_override)');
  });
});
