import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/emulator/index.js';
import { silentLogger } from '../../src/log.js';
import { guardSlackRequests } from '../../src/slack/request-guard.js';
import { listOpenIncidents } from '../../src/store/incidents.js';
import { memorySeenStore } from '../../src/store/seen.js';
import { startTestBot, type TestBot } from '../helpers/bot.js';

const SECRET = 'guard-test-secret';

describe('Slack requests to the bot: timestamps, replays, retries', () => {
  let t: TestBot;
  beforeAll(async () => {
    t = await startTestBot('pglite', { SLACK_SIGNING_SECRET: SECRET });
  });
  afterAll(async () => {
    await t.close();
  });

  const slash = (title: string) =>
    new URLSearchParams({
      command: '/incident',
      text: `declare P2 ${title}`,
      user_id: 'U0ALICE',
      user_name: 'alice',
      team_id: 'T0LOCAL',
      channel_id: 'C0INCIDENTS',
      api_app_id: 'A0LOCAL',
      trigger_id: `trig-${title}`,
    }).toString();
  const post = (body: string, headers: Record<string, string>, type = 'application/x-www-form-urlencoded') =>
    fetch(`${t.bot.url}/slack/events`, { method: 'POST', headers: { 'content-type': type, ...headers }, body });
  const titles = async () => (await listOpenIncidents(t.bot.db)).map((i) => i.title);
  const now = () => Math.floor(Date.now() / 1000);

  it('refuses a request stamped 10 minutes in the future, and one 10 minutes old', async () => {
    const future = slash('Future stamp');
    expect((await post(future, signRequest(SECRET, future, now() + 600))).status).toBe(401);
    const past = slash('Past stamp');
    expect((await post(past, signRequest(SECRET, past, now() - 600))).status).toBe(401);
    await t.settle();
    expect(await titles()).not.toContain('Future stamp');
    expect(await titles()).not.toContain('Past stamp');
  });

  it('acts once on an identical signed request sent twice (a replay)', async () => {
    const body = slash('Replayed declare');
    const headers = signRequest(SECRET, body);
    expect((await post(body, headers)).status).toBe(200);
    expect((await post(body, headers)).status).toBe(200);
    await t.settle();
    expect((await titles()).filter((x) => x === 'Replayed declare')).toHaveLength(1);
  });

  it('refuses a wrong signature', async () => {
    const body = slash('Forged');
    expect((await post(body, signRequest('not-the-secret', body))).status).toBe(401);
  });
});

describe('Slack event retries are acted on once', () => {
  it('a redelivery of the same event_id (X-Slack-Retry-Num) is acknowledged and not passed on', async () => {
    const passed: string[] = [];
    const now = 1_800_000_000_000;
    const guard = guardSlackRequests(
      { signingSecret: SECRET, logger: silentLogger, seen: memorySeenStore(), now: () => now },
      (req) => {
        passed.push(String(req.headers['x-slack-retry-num'] ?? '0'));
        return true;
      },
    );
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      void Promise.resolve(guard(req, res, new URL(req.url ?? '/', 'http://x'))).then(() => {
        if (!res.writableEnded) res.end('passed');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const body = JSON.stringify({
      type: 'event_callback',
      event_id: 'Ev0RETRY',
      event: { type: 'app_mention', text: 'hi' },
    });
    const send = (ts: number, retry?: string) =>
      fetch(`http://127.0.0.1:${port}/slack/events`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...signRequest(SECRET, body, ts),
          ...(retry ? { 'x-slack-retry-num': retry, 'x-slack-retry-reason': 'http_timeout' } : {}),
        },
        body,
      });
    const nowSec = now / 1000;
    expect((await send(nowSec)).status).toBe(200);
    expect((await send(nowSec + 3, '1')).status).toBe(200);
    expect((await send(nowSec + 60, '2')).status).toBe(200);
    expect(passed).toEqual(['0']);

    // An interaction redelivered with a fresh timestamp and signature: the same payload, acted on once.
    const click = new URLSearchParams({
      payload: JSON.stringify({
        type: 'block_actions',
        trigger_id: 't1',
        actions: [{ action_id: 'ack', action_ts: '1.2' }],
      }),
    }).toString();
    const sendClick = (ts: number, retry?: string) =>
      fetch(`http://127.0.0.1:${port}/slack/events`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...signRequest(SECRET, click, ts),
          ...(retry ? { 'x-slack-retry-num': retry } : {}),
        },
        body: click,
      });
    expect((await sendClick(nowSec)).status).toBe(200);
    expect((await sendClick(nowSec + 2, '1')).status).toBe(200);
    expect(passed).toEqual(['0', '0']);
    server.close();
  });
});
