import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RetryableError } from '../../src/outbox/errors.js';
import { createSlackCaller } from '../../src/slack/client.js';
import { memoryGate, redisGate } from '../../src/slack/rate-gate.js';

/** A Slack stand-in that rate-limits every call, counting how often it was knocked on. */
let server: Server;
let url = '';
let hits = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    req.resume();
    res.writeHead(429, { 'retry-after': '30', 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('Slack rate-limit gate', () => {
  it('stops calling a method after a 429 until Retry-After passes', async () => {
    hits = 0;
    const caller = createSlackCaller({ token: 'xoxb-t', apiUrl: url, gate: memoryGate() });
    await expect(caller.call('conversations.create', { name: 'a' })).rejects.toMatchObject({ retryAfterSec: 30 });
    const second = caller.call('conversations.create', { name: 'b' });
    await expect(second).rejects.toBeInstanceOf(RetryableError);
    await expect(second).rejects.toThrow(/rate limited/);
    expect(hits).toBe(1);
  });

  it.skipIf(!process.env.REDIS_URL)('shares the block with other replicas through Redis', async () => {
    hits = 0;
    const a = new Redis(process.env.REDIS_URL!);
    const b = new Redis(process.env.REDIS_URL!);
    const prefix = `test-gate-${Date.now()}:`;
    const replica1 = createSlackCaller({ token: 'xoxb-t', apiUrl: url, gate: redisGate(a, prefix) });
    const replica2 = createSlackCaller({ token: 'xoxb-t', apiUrl: url, gate: redisGate(b, prefix) });
    await expect(replica1.call('chat.postMessage', { channel: 'C1', text: 'x' })).rejects.toBeInstanceOf(
      RetryableError,
    );
    await expect(replica2.call('chat.postMessage', { channel: 'C1', text: 'y' })).rejects.toThrow(/rate limited/);
    expect(hits).toBe(1);
    // Another channel is not blocked: chat.postMessage limits are per channel.
    await expect(replica2.call('chat.postMessage', { channel: 'C2', text: 'z' })).rejects.toBeInstanceOf(
      RetryableError,
    );
    expect(hits).toBe(2);
    a.disconnect();
    b.disconnect();
  });
});
if (!process.env.REDIS_URL) console.log('REDIS_URL unset: the shared rate-limit gate test skips');
