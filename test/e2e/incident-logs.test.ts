import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { amPayload, eventually, startTestBot, type TestBot } from '../helpers/bot.js';
import { backends, dropSchemas } from '../helpers/db.js';

afterAll(dropSchemas);
const backend = backends.at(-1)!;

/** A stand-in Prometheus answering /api/v1/query with a vector. */
let prom: Server;
let promUrl = '';
beforeAll(async () => {
  prom = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } }));
  });
  await new Promise<void>((r) => prom.listen(0, '127.0.0.1', r));
  promUrl = `http://127.0.0.1:${(prom.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => prom.close(() => r())));

/** Every JSON line the bot logs, parsed. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { lines, logger: createLogger('debug', false, sink) };
}

/**
 * Issue #14 point 6: a child logger carries the incident id (and the person acting) through all work on an
 * incident: alert intake, Slack commands and buttons, the outbox, diagnostics, the timer worker.
 */
describe(`logs of an incident's work on ${backend}`, () => {
  let t: TestBot;
  afterEach(async () => {
    await t?.close();
  });

  it('every line logged while working on an incident carries its incidentId', { timeout: 60_000 }, async () => {
    const { lines, logger } = capture();
    let offsetMs = 0;
    t = await startTestBot(
      backend,
      {
        RUNBOOKS_DIR: 'test/fixtures/runbooks-e2e',
        ROLES_FILE: 'test/fixtures/roles-e2e.yml',
        PROMETHEUS_URL: promUrl,
      },
      { logger, now: () => new Date(Date.now() + offsetMs) },
    );
    await t.settle();
    const startup = lines.length;

    await t.alert(
      amPayload([{ alertname: 'CheckoutLatencyHigh', labels: { namespace: 'shop', severity: 'warning' } }]),
    );
    await t.settle();
    const inc = await t.bot.service.get(1);
    const ch = t.emulator.channel(inc.channelId!);
    const alice = t.emulator.as('alice').in(inc.channelId!);
    const runbook = ch.messages().find((m) => m.text.startsWith('Runbook: Checkout latency'))!;
    const run = ((runbook.blocks ?? []) as { accessory?: { action_id: string }; block_id?: string }[]).find(
      (b) => b.accessory?.action_id === 'diag_run',
    )!;
    await alice.click({ actionId: 'diag_run', blockId: run.block_id!, messageTs: runbook.ts });
    await eventually(() => expect(ch.thread(runbook.ts).length).toBeGreaterThan(1));
    // Work in the channel without naming the incident, a refusal, and a timer firing late.
    await alice.slash('/incident', 'update Looking at the checkout pods');
    await t.emulator.as('erin').in(inc.channelId!).slash('/incident', 'ack');
    offsetMs = 25 * 60_000;
    await eventually(() =>
      expect(lines.some((l) => l.component === 'timer-worker' && l.msg === 'timer fired')).toBe(true),
    );
    await alice.slash('/incident', 'resolve Scaled the checkout deployment');
    await t.settle();

    // Bolt's own debug lines (component 'bolt') are the library's; every line of ours names the incident.
    const work = lines.slice(startup).filter((l) => l.component !== 'bolt');
    const msgs = new Set(work.map((l) => l.msg));
    // The run logged what it did: the alert, the incident, the diagnostic, a refusal, timers, commands.
    for (const m of [
      'alert notification stored',
      'incident opened',
      'diagnostic run',
      'incident action refused',
      'timer fired',
      'incident changed',
      '/incident answered',
    ])
      expect(msgs, m).toContain(m);
    const bare = work.filter((l) => l.incidentId === undefined).map((l) => JSON.stringify(l));
    expect(bare).toEqual([]);
    expect(new Set(work.map((l) => l.incidentId))).toEqual(new Set([inc.id]));
    // Work a person started says who: slash commands, refusals, changes they made.
    const byPeople = work.filter((l) => l.msg === '/incident answered' || l.msg === 'incident action refused');
    expect(byPeople.map((l) => l.user)).toEqual(['U0ALICE', 'U0ERIN', 'U0ERIN', 'U0ALICE']);
    expect(work.find((l) => l.msg === 'incident opened')).toMatchObject({ groupKey: expect.any(String) });
  });
});
