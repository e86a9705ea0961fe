import { WebClient, WebClientEvent } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultInjector } from '../../src/emulator/faults.js';
import { createEmulator, type Emulator } from '../../src/emulator/index.js';
import { RateLimiter } from '../../src/emulator/rate-limits.js';
import { quietSlackLogger } from './quiet.js';

const TOKEN = 'xoxb-resilience';

describe('RateLimiter (token buckets per Slack tier)', () => {
  it('allows the burst, then answers with a whole-second Retry-After, then refills with the clock', () => {
    let now = 0;
    const limiter = new RateLimiter({ enabled: true }, () => now);
    // chat.postMessage: ~1/s per channel, burst 3.
    for (let i = 0; i < 3; i++) expect(limiter.check('chat.postMessage', 'C1').allowed).toBe(true);
    expect(limiter.check('chat.postMessage', 'C1')).toEqual({ allowed: false, retryAfterSec: 1 });
    expect(limiter.check('chat.postMessage', 'C2').allowed).toBe(true); // per channel
    now += 1000;
    expect(limiter.check('chat.postMessage', 'C1').allowed).toBe(true);
    // Tier 2 (20/min, burst 5): the sixth call waits ~3 s.
    for (let i = 0; i < 5; i++) expect(limiter.check('conversations.create').allowed).toBe(true);
    expect(limiter.check('conversations.create')).toEqual({ allowed: false, retryAfterSec: 3 });
  });

  it('clockScale refills faster; overrides replace a tier; disabled lets everything through', () => {
    let now = 0;
    const limiter = new RateLimiter(
      { enabled: true, clockScale: 10, overrides: { 'users.info': { perMinute: 6, burst: 1 } } },
      () => now,
    );
    expect(limiter.check('users.info').allowed).toBe(true);
    expect(limiter.check('users.info')).toEqual({ allowed: false, retryAfterSec: 1 });
    now += 1000; // 6/min × 10 = 1 per second
    expect(limiter.check('users.info').allowed).toBe(true);
    const off = new RateLimiter({}, () => now);
    for (let i = 0; i < 500; i++) expect(off.check('chat.postMessage', 'C1').allowed).toBe(true);
  });
});

describe('FaultInjector', () => {
  it('failNext fails exactly N calls; methods restricts; seed makes draws reproducible', () => {
    const f = new FaultInjector({ failNext: 2, errorStatus: 502, methods: ['chat.postMessage'] });
    expect(f.decide('auth.test').kind).toBe('none');
    expect(f.decide('chat.postMessage')).toMatchObject({ kind: 'error', status: 502 });
    expect(f.decide('chat.postMessage')).toMatchObject({ kind: 'error', status: 502 });
    expect(f.decide('chat.postMessage').kind).toBe('none');
    const draws = (seed: number) => {
      const g = new FaultInjector({ errorRate: 0.5, seed });
      return Array.from({ length: 20 }, () => g.decide('x').kind).join();
    };
    expect(draws(7)).toBe(draws(7));
    expect(draws(7)).toContain('error');
    expect(draws(7)).toContain('none');
  });
});

describe('emulator under rate limits and faults, seen through @slack/web-api', () => {
  let emulator: Emulator;
  afterEach(async () => {
    await emulator.close();
  });

  async function start(opts: Parameters<typeof createEmulator>[0]) {
    emulator = createEmulator(opts);
    await emulator.listen(0);
  }

  it('answers 429 with Retry-After; WebClient waits and retries to success', async () => {
    await start({ signingSecret: 's', botToken: TOKEN, rateLimits: { enabled: true, clockScale: 10 } });
    const client = new WebClient(TOKEN, {
      slackApiUrl: emulator.apiUrl,
      logger: quietSlackLogger,
      retryConfig: { retries: 5, factor: 1, minTimeout: 10, maxTimeout: 50 },
    });
    const retryAfters: number[] = [];
    client.on(WebClientEvent.RATE_LIMITED, (sec: number) => retryAfters.push(sec));

    const raw = await Promise.all(
      Array.from({ length: 5 }, () =>
        fetch(`${emulator.apiUrl}chat.postMessage`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ channel: 'C0GENERAL', text: 'raw' }),
        }),
      ),
    );
    const limited = raw.find((r) => r.status === 429)!;
    expect(limited).toBeDefined();
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(await limited.json()).toEqual({ ok: false, error: 'ratelimited' });

    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, i) => client.chat.postMessage({ channel: 'C0INCIDENTS', text: `burst ${i}` })),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    expect(retryAfters.length).toBeGreaterThan(0);
    expect(retryAfters.every((s) => s === 1)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900); // it did honour Retry-After
    expect(emulator.stats().rateLimited).toBeGreaterThanOrEqual(retryAfters.length);
    expect(
      emulator
        .channel('#incidents')
        .messages()
        .map((m) => m.text)
        .sort(),
    ).toEqual(['burst 0', 'burst 1', 'burst 2', 'burst 3']);
  });

  it('rate limits can be switched on and off at runtime, also over HTTP', async () => {
    await start({ signingSecret: 's', botToken: TOKEN });
    const client = new WebClient(TOKEN, {
      slackApiUrl: emulator.apiUrl,
      logger: quietSlackLogger,
      rejectRateLimitedCalls: true,
    });
    for (let i = 0; i < 10; i++) await client.chat.postMessage({ channel: 'C0GENERAL', text: `${i}` });
    const on = await fetch(`${emulator.baseUrl}/_emulator/rate-limits`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-emulator-token': emulator.controlToken },
      body: JSON.stringify({ enabled: true, overrides: { 'users.list': { perMinute: 1, burst: 1 } } }),
    });
    expect(await on.json()).toMatchObject({ ok: true, rateLimits: { enabled: true } });
    await client.users.list({});
    await expect(client.users.list({})).rejects.toMatchObject({
      code: 'slack_webapi_rate_limited_error',
      retryAfter: 60,
    });
    emulator.setRateLimits({ enabled: false });
    await expect(client.users.list({})).resolves.toMatchObject({ ok: true });
  });

  it('injected 5xx are retried by WebClient; failNext is deterministic', async () => {
    await start({ signingSecret: 's', botToken: TOKEN, faults: { failNext: 2, errorStatus: 503 } });
    const client = new WebClient(TOKEN, {
      slackApiUrl: emulator.apiUrl,
      logger: quietSlackLogger,
      retryConfig: { retries: 3, factor: 1, minTimeout: 5, maxTimeout: 10 },
    });
    await expect(client.auth.test()).resolves.toMatchObject({ ok: true });
    expect(emulator.stats()).toMatchObject({ faults: 2, calls: { 'auth.test': 3 } });

    const noRetry = new WebClient(TOKEN, {
      slackApiUrl: emulator.apiUrl,
      logger: quietSlackLogger,
      retryConfig: { retries: 0 },
    });
    emulator.setFaults({ errorRate: 1, errorStatus: 500, methods: ['chat.postMessage'] });
    await expect(noRetry.chat.postMessage({ channel: 'C0GENERAL', text: 'x' })).rejects.toMatchObject({
      code: 'slack_webapi_http_error',
      statusCode: 500,
    });
    await expect(noRetry.auth.test()).resolves.toMatchObject({ ok: true });
    emulator.setFaults({});
  });

  it('injected timeouts hang until the client gives up; latency slows calls down', async () => {
    await start({ signingSecret: 's', botToken: TOKEN });
    const res = await fetch(`${emulator.baseUrl}/_emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-emulator-token': emulator.controlToken },
      body: JSON.stringify({ timeoutRate: 1, timeoutMs: 5000, methods: ['conversations.list'] }),
    });
    expect(await res.json()).toMatchObject({ ok: true, faults: { timeoutRate: 1 } });
    const client = new WebClient(TOKEN, {
      slackApiUrl: emulator.apiUrl,
      logger: quietSlackLogger,
      timeout: 200,
      retryConfig: { retries: 0 },
    });
    await expect(client.conversations.list({})).rejects.toMatchObject({ code: 'slack_webapi_request_error' });

    emulator.setFaults({ latencyMs: 150 });
    const t0 = Date.now();
    await client.auth.test();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    emulator.setFaults({});
    const bad = await fetch(`${emulator.baseUrl}/_emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-emulator-token': emulator.controlToken },
      body: JSON.stringify({ errorRate: 3 }),
    });
    expect(bad.status).toBe(400);
  });
});
