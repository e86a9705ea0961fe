import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  amPayload,
  backendTransports,
  eventually,
  startTestBot,
  type TestBot,
  type Transport,
  transportEnv,
} from '../helpers/bot.js';
import { type Backend, dropSchemas } from '../helpers/db.js';

afterAll(dropSchemas);

/** A stand-in PagerDuty Events API v2 that records what it was sent. */
let pd: Server;
let pdUrl = '';
const pdEvents: { routing_key: string; event_action: string; dedup_key: string }[] = [];
beforeAll(async () => {
  pd = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const e = JSON.parse(body);
      pdEvents.push(e);
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: e.dedup_key }));
    });
  });
  await new Promise<void>((r) => pd.listen(0, '127.0.0.1', r));
  pdUrl = `http://127.0.0.1:${(pd.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => pd.close(() => r())));

describe.each(backendTransports)(
  'escalation on the runbook clock on %s over %s',
  (backend: Backend, transport: Transport) => {
    let t: TestBot;
    afterEach(async () => {
      await t?.close();
    });

    it("pings, pages and counts down on the runbook's timers, stops them on resolve, and lists them", async () => {
      pdEvents.length = 0;
      let clock = Date.now();
      t = await startTestBot(
        backend,
        {
          ...transportEnv(transport),
          RUNBOOKS_DIR: 'test/fixtures/runbooks-e2e',
          PAGERDUTY_ROUTING_KEY: 'R0UTING',
          PAGERDUTY_API_URL: pdUrl,
        },
        { now: () => new Date(clock) },
      );
      await t.alert(
        amPayload([{ alertname: 'CheckoutLatencyHigh', labels: { namespace: 'shop', severity: 'warning' } }]),
      );
      await t.settle();
      const inc = await t.bot.service.get(1);
      const ch = t.emulator.channel(inc.channelId!);
      // The header shows the runbook's clock, and the runbook message lists what was scheduled.
      expect(JSON.stringify(ch.messages()[0]!.blocks)).toContain('Acknowledge in 10 min');
      const runbook = JSON.stringify(ch.messages().find((m) => m.text.startsWith('Runbook: '))!.blocks);
      expect(runbook).toContain('Acknowledge within 10 min');
      expect(runbook).toContain('Escalates to Senior Engineer at +20 min (if latency still high)');
      const timersReply = JSON.stringify((await t.emulator.as('alice').in(ch.id).slash('/incident', 'timers')).body);
      expect(timersReply).toContain('acknowledge');
      expect(timersReply).toContain('escalate');

      clock += 10.5 * 60_000;
      await eventually(() =>
        expect(
          ch
            .messages()
            .map((m) => m.text)
            .join('\n'),
        ).toContain('INC-1 Nobody has acknowledged this incident yet'),
      );
      clock += 10 * 60_000;
      const ping = await eventually(() => {
        const m = ch.messages().find((x) => x.text.includes('INC-1 Escalation →'));
        expect(m).toBeDefined();
        return m!;
      });
      expect(JSON.stringify(ping.blocks)).toContain('<!subteam^S0SRESENIORS>');
      expect(JSON.stringify(ping.blocks)).toContain('escalation_snooze');
      await eventually(() => expect(pdEvents.map((e) => e.event_action)).toContain('trigger'));
      expect(pdEvents[0]).toMatchObject({ routing_key: 'R0UTING', dedup_key: 'incident-1' });

      // Each timer fired exactly once, and the timeline says so.
      await t.settle();
      const fired = await t.bot.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM timers WHERE status = 'fired' AND kind IN ('acknowledge', 'escalate')",
      );
      expect(fired.rows[0]!.n).toBe(2);
      expect((await t.bot.service.timeline(1)).filter((e) => e.kind === 'escalation')).toHaveLength(2);

      // Snooze re-arms the escalation; "I'm on it" acknowledges.
      const bob = t.emulator.as('bob').in(ch.id);
      await bob.click({ actionId: 'escalation_snooze', messageTs: ping.ts });
      await eventually(() =>
        expect(
          ch
            .messages()
            .map((m) => m.text)
            .join('\n'),
        ).toContain('snoozed paging of INC-1'),
      );
      await bob.click({ actionId: 'escalation_on_it', messageTs: ping.ts });
      await eventually(async () => expect((await t.bot.service.get(1)).ackedBy).toBe('U0BOB'));
      await eventually(() => expect(pdEvents.map((e) => e.event_action)).toContain('acknowledge'));
      // Ack does not stop an escalation (only resolve or the status the runbook names does); resolve does.
      const pending = await t.bot.db.query<{ kind: string }>("SELECT kind FROM timers WHERE status = 'pending'");
      expect(pending.rows.map((r) => r.kind)).toContain('escalate');
      await bob.slash('/incident', 'resolve latency back to normal');
      await eventually(() => expect(pdEvents.map((e) => e.event_action)).toContain('resolve'));
      const after = await t.bot.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM timers WHERE status = 'pending'",
      );
      expect(after.rows[0]!.n).toBe(0);
      clock += 15 * 60_000;
      await new Promise((r) => setTimeout(r, 300));
      expect(ch.messages().filter((m) => m.text.includes('INC-1 Escalation →'))).toHaveLength(1);
    });
  },
);
