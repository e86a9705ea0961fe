import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { amPayload, eventually, startTestBot, type TestBot } from '../helpers/bot.js';
import { backends, dropSchemas } from '../helpers/db.js';

afterAll(dropSchemas);

/** PGlite on a busy machine is slow; the flows below click through many steps. */
const SLOW = { timeout: 120_000 };

/**
 * Issue #18: snooze pauses every pending acknowledge/escalation timer of the incident, says which, shows
 * in the header, can be cancelled, and ends when a more severe alert joins. Roles: test/fixtures/roles-e2e.yml.
 */
describe.each(backends)('snooze on %s', (backend) => {
  let t: TestBot;
  afterEach(async () => {
    await t?.close();
  });

  it('holds back every paging timer, says which, shows it in the header and can be cancelled', SLOW, async () => {
    let clock = Date.now();
    t = await startTestBot(
      backend,
      { RUNBOOKS_DIR: 'test/fixtures/runbooks-e2e', ROLES_FILE: 'test/fixtures/roles-e2e.yml' },
      { now: () => new Date(clock) },
    );
    const alert = (severity: string, fingerprint: string) =>
      t.alert(
        amPayload([
          { alertname: 'CheckoutLatencyHigh', fingerprint, labels: { namespace: 'shop', severity, pod: fingerprint } },
        ]),
      );
    await alert('warning', 'fpA');
    await t.settle();
    const inc = await t.bot.service.get(1);
    expect(inc.severity).toBe('P3');
    const ch = t.emulator.channel(inc.channelId!);
    const texts = () => ch.messages().map((m) => m.text);
    clock += 10.5 * 60_000;
    const ping = await eventually(() => {
      const m = ch.messages().find((x) => x.text.includes('Nobody has acknowledged'));
      expect(m).toBeDefined();
      return m!;
    });

    // A viewer may not snooze the page.
    const erin = t.emulator.as('erin').in(ch.id);
    await erin.click({ actionId: 'escalation_snooze', messageTs: ping.ts });
    await eventually(() => expect(JSON.stringify(erin.ephemerals())).toContain(':no_entry: Snoozing paging needs'));

    // On-call snoozes from the ping: the escalation due at +20 min is held back too, and the channel says so.
    const alice = t.emulator.as('alice').in(ch.id);
    await alice.click({ actionId: 'escalation_snooze', messageTs: ping.ts });
    const notice = await eventually(() => {
      const m = ch.messages().find((x) => x.text.includes('snoozed paging of INC-1'));
      expect(m).toBeDefined();
      return m!;
    });
    expect(notice.text).toContain('escalate → Senior Engineer');
    expect(notice.text).toContain('acknowledge');
    expect(JSON.stringify(notice.blocks)).toContain('escalation_unsnooze');
    await t.settle();
    expect(JSON.stringify(ch.messages()[0]!.blocks)).toContain('Paging snoozed until');

    // Past the escalation's own due time, still inside the snooze: nobody is paged.
    clock += 9.7 * 60_000;
    await new Promise((r) => setTimeout(r, 400));
    expect(texts().some((x) => x.includes('INC-1 Escalation →'))).toBe(false);

    // Cancelling puts each timer back on its own clock: both are overdue now and fire.
    // Snoozing from the ping said so in public only: nothing private for alice.
    expect(JSON.stringify(alice.ephemerals())).not.toMatch(/[Ss]noozed/);
    expect((await alice.slash('/incident', 'snooze off')).body ?? '').toBe('');
    await eventually(() => expect(texts().join('\n')).toContain('cancelled the snooze of INC-1'));
    await eventually(() => expect(texts().some((x) => x.includes('INC-1 Escalation →'))).toBe(true));
    await t.settle();
    expect(JSON.stringify(ch.messages()[0]!.blocks)).not.toContain('Paging snoozed until');
    expect((await t.bot.service.timeline(1)).map((e) => e.kind)).toEqual(
      expect.arrayContaining(['snoozed', 'snooze_ended']),
    );
  });

  it('says there is nothing to snooze when no paging timer is pending, and posts nothing', SLOW, async () => {
    t = await startTestBot(backend, { ROLES_FILE: 'test/fixtures/roles-e2e.yml' });
    // P4 has no default timers: nothing would page anyone.
    await t.emulator.as('alice').slash('/incident', 'declare P4 Docs site typo');
    await t.settle();
    const inc = await t.bot.service.get(1);
    const ch = t.emulator.channel(inc.channelId!);
    const alice = t.emulator.as('alice').in(ch.id);
    const before = ch.messages().length;
    const reply = JSON.stringify((await alice.slash('/incident', 'snooze 30')).body);
    expect(reply).toContain('Nothing to snooze');
    expect(reply).toContain('30 minutes');
    await t.settle();
    expect(ch.messages()).toHaveLength(before);
    expect((await t.bot.service.timeline(1)).map((e) => e.kind)).not.toContain('snoozed');
    expect(JSON.stringify((await alice.slash('/incident', 'snooze off')).body)).toContain('INC-1 is not snoozed');
  });

  it('ends a snooze when a more severe alert joins the incident, and says so', SLOW, async () => {
    t = await startTestBot(backend, {
      RUNBOOKS_DIR: 'test/fixtures/runbooks-e2e',
      ROLES_FILE: 'test/fixtures/roles-e2e.yml',
    });
    const alert = (severity: string, fingerprint: string) =>
      t.alert(
        amPayload([
          { alertname: 'CheckoutLatencyHigh', fingerprint, labels: { namespace: 'shop', severity, pod: fingerprint } },
        ]),
      );
    await alert('warning', 'fpA');
    await t.settle();
    const ch = t.emulator.channel((await t.bot.service.get(1)).channelId!);
    const alice = t.emulator.as('alice').in(ch.id);
    expect(JSON.stringify((await alice.slash('/incident', 'snooze forever')).body)).toContain(
      'Snooze for 1 to 240 minutes',
    );
    // Success is one public line, not a private echo.
    const lastLine = async () => {
      await t.settle();
      return ch.messages().at(-1)!.text;
    };
    expect((await alice.slash('/incident', 'snooze 30')).body ?? '').toBe('');
    expect(await lastLine()).toContain('snoozed paging of INC-1 until');
    expect((await alice.slash('/incident', 'snooze 30')).body ?? '').toBe('');
    expect((await lastLine()).split('\n').filter((l) => l.startsWith('• '))).toHaveLength(2);
    await alert('critical', 'fpB');
    await eventually(async () => expect((await t.bot.service.get(1)).severity).toBe('P1'));
    await eventually(() =>
      expect(
        ch
          .messages()
          .map((m) => m.text)
          .join('\n'),
      ).toContain('Snooze of INC-1 ended: severity rose to *P1*'),
    );
    const held = await t.bot.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM timers WHERE status = 'pending' AND data ? 'snoozedUntil'",
    );
    expect(held.rows[0]!.n).toBe(0);
  });
});
