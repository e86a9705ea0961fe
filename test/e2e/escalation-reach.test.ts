import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { amPayload, eventually, startTestBot, type TestBot } from '../helpers/bot.js';
import { backends, dropSchemas } from '../helpers/db.js';

afterAll(dropSchemas);

const SLOW = { timeout: 120_000 };

/** A stand-in PagerDuty Events API v2 that records what it was sent. */
let pd: Server;
let pdUrl = '';
const pdEvents: { event_action: string; dedup_key: string; payload?: { summary?: string } }[] = [];
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

/** Issue #18 "Escalation reaches people", on the local workspace with test/fixtures/roles-e2e.yml. */
describe.each(backends)('escalation reaches people, on %s', (backend) => {
  let t: TestBot;
  afterEach(async () => {
    await t?.close();
  });

  async function escalate(env: Record<string, string>) {
    let clock = Date.now();
    t = await startTestBot(
      backend,
      { RUNBOOKS_DIR: 'test/fixtures/runbooks-e2e', ROLES_FILE: 'test/fixtures/roles-e2e.yml', ...env },
      { now: () => new Date(clock) },
    );
    await t.alert(
      amPayload([{ alertname: 'CheckoutLatencyHigh', labels: { namespace: 'shop', severity: 'warning' } }]),
    );
    await t.settle();
    const ch = t.emulator.channel((await t.bot.service.get(1)).channelId!);
    expect(ch.members).not.toContain('U0BOB');
    clock += 20.5 * 60_000;
    await eventually(() => expect(ch.messages().some((m) => m.text.includes('INC-1 Escalation'))).toBe(true));
    await t.settle();
    return ch;
  }

  it("invites the target group's members before mentioning them", SLOW, async () => {
    const ch = await escalate({});
    // bob is in @sre-seniors, the "Senior Engineer" target: he is in the channel, so the mention reaches him.
    expect(ch.members).toContain('U0BOB');
    expect(ch.messages().some((m) => m.text.includes('reaches nobody'))).toBe(false);
  });

  it('says loudly in the channel and #incidents when a target reaches nobody, and pages PagerDuty', SLOW, async () => {
    pdEvents.length = 0;
    const ch = await escalate({
      ESCALATION_TARGETS: 'Senior Engineer=ghost-team,On-call=sre-oncall',
      PAGERDUTY_ROUTING_KEY: 'R0UTING',
      PAGERDUTY_API_URL: pdUrl,
    });
    const loud = await eventually(() => {
      const m = ch.messages().find((x) => x.text.includes('reaches nobody'));
      expect(m).toBeDefined();
      return m!;
    });
    expect(loud.text).toContain('@ghost-team (no such user group)');
    // No silent fallback to the on-call group for a named target.
    const ping = ch.messages().find((m) => m.text.includes('INC-1 Escalation'))!;
    expect(ping.text).not.toContain('sre-oncall');
    await eventually(() =>
      expect(
        t.emulator
          .channel('incidents')
          .messages()
          .some((m) => m.text.includes('INC-1: This escalation reaches nobody')),
      ).toBe(true),
    );
    await eventually(() => expect(pdEvents.map((e) => e.event_action)).toContain('trigger'));
    // Said once, even though the timer also pages on its own.
    expect(ch.messages().filter((m) => m.text.includes('reaches nobody'))).toHaveLength(1);
  });
});
