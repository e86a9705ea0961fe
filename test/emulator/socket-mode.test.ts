/**
 * Socket Mode as Slack speaks it: the protocol seen by a raw WebSocket client (envelopes, acks, retries,
 * disconnects), and Bolt's own SocketModeReceiver staying connected through a refresh.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, LogLevel, SocketModeReceiver } from '@slack/bolt';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createEmulator, type Emulator } from '../../src/emulator/index.js';

const BOT = 'xoxb-socket-test';
const APP = 'xapp-1-A0LOCAL-1-socket-test';

type Frame = Record<string, unknown> & { type?: string; envelope_id?: string; payload?: Record<string, unknown> };

/** A raw Socket Mode client: collects every frame, acks nothing unless told. */
async function connect(emulator: Emulator) {
  const open = (await (
    await fetch(`${emulator.apiUrl}apps.connections.open`, {
      method: 'POST',
      headers: { authorization: `Bearer ${APP}` },
    })
  ).json()) as { ok: boolean; url: string };
  expect(open.ok).toBe(true);
  const ws = new WebSocket(open.url);
  const frames: Frame[] = [];
  ws.on('message', (d) => frames.push(JSON.parse(d.toString()) as Frame));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const next = async (pred: (f: Frame) => boolean) => {
    for (let i = 0; i < 400; i++) {
      const f = frames.find(pred);
      if (f) {
        frames.splice(frames.indexOf(f), 1);
        return f;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no frame matched; got ${JSON.stringify(frames)}`);
  };
  return { ws, url: open.url, frames, next };
}

/** Polls a condition that no workspace state change signals (connections come and go on their own). */
async function until(pred: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('Socket Mode in the local workspace', () => {
  let emulator: Emulator;
  const closers: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });

  async function start(extra: Partial<Parameters<typeof createEmulator>[0]> = {}) {
    emulator = createEmulator({
      signingSecret: 's',
      botToken: BOT,
      appToken: APP,
      delivery: 'socket',
      ackTimeoutMs: 300,
      eventRetryDelaysMs: [0, 50, 50],
      ...extra,
    });
    await emulator.listen(0);
    closers.push(() => emulator.close());
  }

  it('opens a connection only with the app-level token, once per URL, and says hello', async () => {
    await start();
    const call = async (method: string, token: string) =>
      (await (
        await fetch(`${emulator.apiUrl}${method}`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })
      ).json()) as Record<string, unknown>;
    expect(await call('apps.connections.open', BOT)).toEqual({ ok: false, error: 'not_allowed_token_type' });
    expect(await call('apps.connections.open', 'xapp-wrong')).toEqual({ ok: false, error: 'invalid_auth' });
    expect(await call('auth.test', APP)).toEqual({ ok: false, error: 'not_allowed_token_type' });
    const c = await connect(emulator);
    closers.push(() => c.ws.terminate());
    expect(c.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=[0-9a-f]+&app_id=A0LOCAL$/);
    const hello = await c.next((f) => f.type === 'hello');
    expect(hello).toMatchObject({ num_connections: 1, connection_info: { app_id: 'A0LOCAL' } });
    expect(emulator.socketConnections()).toBe(1);
    // The same URL does not open a second connection.
    const again = new WebSocket(c.url);
    const refused = await new Promise<string>((resolve) => {
      again.once('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
      again.once('open', () => resolve('open'));
      again.once('error', (e) => resolve(e.message));
    });
    expect(refused).not.toBe('open');
  });

  it('sends slash commands and interactions as envelopes; the ack payload is the response', async () => {
    await start();
    const c = await connect(emulator);
    closers.push(() => c.ws.terminate());
    await c.next((f) => f.type === 'hello');
    const slash = emulator.as('alice').slash('/incident', 'help');
    const env = await c.next((f) => f.type === 'slash_commands');
    expect(env).toMatchObject({
      accepts_response_payload: true,
      payload: { command: '/incident', text: 'help', user_id: 'U0ALICE', channel_name: 'incidents' },
    });
    expect(String(env.payload?.response_url)).toContain('/_emulator/response/');
    c.ws.send(JSON.stringify({ envelope_id: env.envelope_id, payload: { text: 'Usage: /incident declare' } }));
    expect(await slash).toMatchObject({ status: 200, body: { text: 'Usage: /incident declare' } });
    expect(emulator.as('alice').ephemerals().at(-1)?.text).toBe('Usage: /incident declare');

    // No ack within the timeout: the user sees Slack's operation_timeout.
    const late = emulator.as('alice').slash('/incident', 'slow');
    await c.next((f) => f.type === 'slash_commands');
    expect(await late).toMatchObject({ error: 'operation_timeout' });
    expect(emulator.as('alice').ephemerals().at(-1)?.text).toContain('operation_timeout');
  });

  it('redelivers an unacknowledged event with retry_attempt and retry_reason, and stops once acked', async () => {
    await start();
    const c = await connect(emulator);
    closers.push(() => c.ws.terminate());
    await c.next((f) => f.type === 'hello');
    await emulator.as('bob').in('#general').say('hello there');
    const attempts = [
      await c.next((f) => f.type === 'events_api' && f.retry_attempt === 0),
      await c.next((f) => f.type === 'events_api' && f.retry_attempt === 1),
    ];
    expect(attempts[1]).toMatchObject({ retry_reason: 'timeout', accepts_response_payload: false });
    // Same event, same event_id: the app can tell it is a redelivery.
    expect(attempts[1]!.payload?.event_id).toBe(attempts[0]!.payload?.event_id);
    c.ws.send(JSON.stringify({ envelope_id: attempts[1]!.envelope_id }));
    await emulator.idle(50);
    expect(emulator.eventRetries()).toBe(1);
    expect(c.frames.filter((f) => f.type === 'events_api')).toEqual([]);
  });

  it('over HTTP, redelivers with X-Slack-Retry-Num / X-Slack-Retry-Reason unless the app says X-Slack-No-Retry', async () => {
    const seen: { num?: string; reason?: string; id: string }[] = [];
    let answer = 500;
    const app: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const id = (JSON.parse(body) as { event_id: string }).event_id;
        seen.push({
          num: req.headers['x-slack-retry-num'] as string | undefined,
          reason: req.headers['x-slack-retry-reason'] as string | undefined,
          id,
        });
        res.writeHead(seen.length >= 3 ? 200 : answer, answer === 404 ? { 'x-slack-no-retry': '1' } : {}).end();
      });
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => app.close(r)));
    await start({ delivery: 'http', eventsUrl: `http://127.0.0.1:${(app.address() as AddressInfo).port}/` });
    await emulator.as('bob').in('#general').say('first');
    await emulator.idle(50);
    expect(seen.map((s) => [s.num, s.reason])).toEqual([
      [undefined, undefined],
      ['1', 'http_error'],
      ['2', 'http_error'],
    ]);
    expect(new Set(seen.map((s) => s.id)).size).toBe(1);
    seen.length = 0;
    answer = 404;
    await emulator.as('bob').in('#general').say('second');
    await emulator.idle(50);
    expect(seen).toHaveLength(1);
  });

  it("Bolt's SocketModeReceiver reconnects after refresh_requested and keeps working", async () => {
    await start({ ackTimeoutMs: 3000 });
    const receiver = new SocketModeReceiver({
      appToken: APP,
      logLevel: LogLevel.ERROR,
      clientPingTimeout: 1000,
      installerOptions: { clientOptions: { slackApiUrl: emulator.apiUrl } },
    });
    const app = new App({
      receiver,
      token: BOT,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: emulator.apiUrl },
      tokenVerificationEnabled: false,
    });
    app.command('/incident', async ({ ack, command }) => {
      await ack({ text: `got ${command.text}` });
    });
    await app.start();
    closers.push(() => app.stop());
    expect(await emulator.as('alice').slash('/incident', 'one')).toMatchObject({ body: { text: 'got one' } });
    expect(emulator.socketDisconnect('warning')).toBe(1);
    await until(() => emulator.socketConnectionsOpened() === 2 && emulator.socketConnections() === 1);
    expect(emulator.socketDisconnect('refresh_requested')).toBe(1);
    // Sent while the app is reconnecting: Slack holds it for the next connection.
    expect(await emulator.as('alice').slash('/incident', 'two')).toMatchObject({ body: { text: 'got two' } });
    expect(emulator.socketConnectionsOpened()).toBe(3);
  });
});
