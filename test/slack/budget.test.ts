/**
 * The Slack budget (slack/budget.ts): token buckets per method at Slack's tiers, in memory and shared through
 * Redis. Held-back work (priority 2-4) never takes the reserve, and an urgent call (0-1) waiting for a token
 * gets the next one before any of it, however much of it keeps asking. A fake clock drives the buckets.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BudgetWait } from '../../src/outbox/errors.js';
import { runWithPriority } from '../../src/outbox/priority.js';
import {
  type BudgetLimits,
  memoryBudget,
  redisBudget,
  reserveOf,
  type SlackBudget,
  stepBucket,
} from '../../src/slack/budget.js';
import { createSlackCaller } from '../../src/slack/client.js';

/** conversations.create at Tier 2: 20 a minute (one token every 3 s), burst 5. */
const limits: BudgetLimits = {
  limitFor: (m) => (m === 'conversations.create' ? { perMinute: 20, burst: 5 } : null),
  clockScale: () => 1,
};

describe('a budget bucket', () => {
  it('keeps the reserve from held-back work and gives it to urgent work', () => {
    const rate = 20 / 60_000;
    const reserve = reserveOf(5, 0.4);
    expect(reserve).toBe(2);
    let s: ReturnType<typeof stepBucket>['state'] | undefined;
    const step = (urgent: boolean) => {
      const r = stepBucket(s, 0, rate, 5, reserve, urgent);
      s = r.state;
      return r.decision.ok;
    };
    expect([step(false), step(false), step(false), step(false)]).toEqual([true, true, true, false]);
    expect([step(true), step(true), step(true)]).toEqual([true, true, false]);
  });

  it('never takes more than burst then one token per interval, and Tier 1 with burst 1 still serves everyone', () => {
    expect(reserveOf(1, 0.4)).toBe(0);
    expect(reserveOf(3, 0.4)).toBe(1);
    const r = stepBucket(undefined, 0, 1 / 60_000, 1, 0, false);
    expect(r.decision.ok).toBe(true);
    const again = stepBucket(r.state, 30_000, 1 / 60_000, 1, 0, false);
    expect(again.decision).toEqual({ ok: false, waitMs: 30_000 });
  });
});

/**
 * Eight held-back callers ask every 100 ms for two minutes; an urgent caller asks now and then and keeps
 * asking until served. Every urgent call is served within one refill interval (3 s) of asking, held-back
 * work is served too, and the total never exceeds what the bucket allows.
 */
async function contend(make: (now: () => number) => SlackBudget) {
  let clock = 1_000_000;
  const budget = make(() => clock);
  const urgentWaits: number[] = [];
  let heldBackServed = 0;
  let served = 0;
  let urgentAskedAt: number | null = null;
  for (let t = 0; t < 120_000; t += 100) {
    clock = 1_000_000 + t;
    if (urgentAskedAt === null && t % 7_300 === 0) urgentAskedAt = clock;
    if (urgentAskedAt !== null && (await budget.take('conversations.create', undefined, 1)).ok) {
      urgentWaits.push(clock - urgentAskedAt);
      urgentAskedAt = null;
      served++;
    }
    for (let i = 0; i < 8; i++) {
      const d = await budget.take('conversations.create', undefined, 4);
      if (d.ok) {
        heldBackServed++;
        served++;
      } else expect(d.waitMs).toBeGreaterThan(0);
    }
  }
  return { urgentWaits, heldBackServed, served };
}

function expectNoStarvation(r: Awaited<ReturnType<typeof contend>>) {
  expect(r.urgentWaits.length).toBeGreaterThanOrEqual(16);
  expect(Math.max(...r.urgentWaits)).toBeLessThanOrEqual(3_000);
  // With the reserve untouched, most urgent calls are served at once.
  expect(r.urgentWaits.filter((w) => w === 0).length).toBeGreaterThan(r.urgentWaits.length / 2);
  expect(r.heldBackServed).toBeGreaterThan(10);
  // 5 at once, then 20 a minute: at most 5 + 40 in two minutes.
  expect(r.served).toBeLessThanOrEqual(45);
}

describe('the Slack budget in memory', () => {
  it('never starves priority 0-1 while held-back work keeps asking', async () => {
    expectNoStarvation(await contend((now) => memoryBudget({ limits, now, random: () => 0 })));
  });

  it('lets methods without a limit through', async () => {
    const b = memoryBudget({ limits });
    for (let i = 0; i < 50; i++) expect((await b.take('chat.update', 'C1', 4)).ok).toBe(true);
  });
});

describe.skipIf(!process.env.REDIS_URL)('the Slack budget in Redis', () => {
  const clients: Redis[] = [];
  const redis = () => {
    const r = new Redis(process.env.REDIS_URL!);
    clients.push(r);
    return r;
  };
  afterAll(() => {
    for (const c of clients) c.disconnect();
  });

  it('never starves priority 0-1 while held-back work keeps asking', async () => {
    const prefix = `test-budget-${Date.now()}-a:`;
    expectNoStarvation(await contend((now) => redisBudget(redis(), { limits, now, prefix, random: () => 0 })));
  });

  it('is one budget for every replica', async () => {
    const prefix = `test-budget-${Date.now()}-b:`;
    const now = () => 5_000_000;
    const r1 = redisBudget(redis(), { limits, now, prefix });
    const r2 = redisBudget(redis(), { limits, now, prefix });
    const got = [];
    for (let i = 0; i < 3; i++) got.push((await r1.take('conversations.create', undefined, 1)).ok);
    for (let i = 0; i < 3; i++) got.push((await r2.take('conversations.create', undefined, 1)).ok);
    expect(got).toEqual([true, true, true, true, true, false]);
  });
});

describe('the Slack budget without Redis reachable', () => {
  it('decides locally instead of blocking the call', async () => {
    const dead = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    dead.on('error', () => {});
    const errors: unknown[] = [];
    const b = redisBudget(dead, { limits, onError: (e) => errors.push(e) });
    expect((await b.take('conversations.create', undefined, 4)).ok).toBe(true);
    expect(errors.length).toBe(1);
    dead.disconnect();
  });
});

describe('the Slack client with a budget', () => {
  let server: Server;
  let url = '';
  let hits = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++;
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, channel: { id: 'C1', name: 'x' } }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('holds back an announcement without calling Slack, and lets a P1 channel through', async () => {
    hits = 0;
    const caller = createSlackCaller({ token: 'xoxb-t', apiUrl: url, budget: memoryBudget({ limits }) });
    const create = () => caller.call('conversations.create', { name: 'inc-x' });
    for (let i = 0; i < 3; i++) await runWithPriority(4, create);
    expect(hits).toBe(3);
    const held = runWithPriority(4, create);
    await expect(held).rejects.toBeInstanceOf(BudgetWait);
    await expect(held).rejects.toMatchObject({ retryAfterSec: expect.any(Number) });
    expect(hits).toBe(3);
    await runWithPriority(1, create);
    await runWithPriority(0, create);
    expect(hits).toBe(5);
  });
});
