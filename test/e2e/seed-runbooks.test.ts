import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { amPayload, hasSeeds, seedRunbooksDir, startTestBot, type TestBot } from '../helpers/bot.js';
import { backends, dropSchemas } from '../helpers/db.js';

afterAll(dropSchemas);

/** One alert per seed runbook, written the way each team's Alertmanager would name it. */
const CASES = [
  { seed: '000', alert: 'HighMemoryUsage', severity: 'warning', section: 'Resource Exhaustion Runbook' },
  { seed: '001', alert: 'high_api_error_rate', severity: 'critical', section: 'high-api-error-rate' },
  { seed: '002', alert: 'NodeNotReady', severity: 'critical', section: 'NodeNotReady' },
  { seed: '003', alert: 'PupAIHighErrorRate', severity: 'critical', section: 'High Error Rate' },
  // Seed 004 has no alert names: an unknown critical alert falls back to its P1 procedure.
  { seed: '004', alert: 'SomethingUnknownIsBroken', severity: 'critical', section: 'P1: API Completely Down' },
];

describe.skipIf(!hasSeeds).each(backends)('seed runbooks in Slack on %s', (backend) => {
  let t: TestBot;
  afterEach(async () => {
    await t?.close();
  });

  it('posts header and the matching runbook for an alert from each seed, within Block Kit limits', async () => {
    t = await startTestBot(backend, { RUNBOOKS_DIR: seedRunbooksDir() });
    for (const [i, c] of CASES.entries()) {
      const res = await t.alert(
        amPayload([{ alertname: c.alert, labels: { severity: c.severity, namespace: `team-${c.seed}` } }], {
          groupKey: `seed-${c.seed}`,
        }),
      );
      expect(res.body.incidents).toEqual([{ id: i + 1, created: true }]);
    }
    await t.settle(60_000);
    for (const [i, c] of CASES.entries()) {
      const inc = await t.bot.service.get(i + 1);
      expect(inc.runbookSource, `seed ${c.seed}`).toMatch(new RegExp(`^${c.seed}_`));
      const ch = t.emulator.channel(inc.channelId!);
      const [header, runbook] = ch.messages();
      expect(header!.text).toContain(`INC-${i + 1}`);
      expect(runbook!.text, `seed ${c.seed}`).toContain(`Runbook: ${c.section}`);
      const parts = [runbook!, ...ch.thread(runbook!.ts).slice(1)];
      for (const m of [header!, ...parts]) expect((m.blocks ?? []).length).toBeLessThanOrEqual(50);
      // Every command of the section is shown, with a Run button only on runnable ones.
      const section = t.bot.runbooks.section(inc.runbookSource!, inc.runbookId!)!.section;
      const shown = JSON.stringify(parts.map((m) => m.blocks));
      const runnable = section.steps.flatMap((s) => s.commands).filter((cmd) => cmd.runnable && cmd.risk === 'read');
      expect((shown.match(/"action_id":"diag_run"/g) ?? []).length, `seed ${c.seed}`).toBe(runnable.length);
    }
    // The biggest section of the biggest seed is split into threaded parts rather than failing.
    const big = t.emulator.channel((await t.bot.service.get(3)).channelId!);
    const runbook = big.messages()[1]!;
    expect(big.thread(runbook.ts).length).toBeGreaterThan(1);
  });
});
