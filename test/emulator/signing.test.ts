import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeSignature, signRequest } from '../../src/emulator/index.js';
import { SIGNING_SECRET, startLoop } from './harness.js';

/** Bolt's real HTTPReceiver, verifying signatures with the shared secret. */
describe('Slack request signing', () => {
  let server: Server;
  let url: string;
  const seen: string[] = [];

  beforeAll(async () => {
    const receiver = new HTTPReceiver({ signingSecret: SIGNING_SECRET, logLevel: LogLevel.ERROR });
    const app = new App({
      receiver,
      authorize: async () => ({ botToken: 'xoxb-x', botId: 'B0BOT' }),
      logLevel: LogLevel.ERROR,
    });
    app.command('/incident', async ({ ack, command }) => {
      seen.push(command.text);
      await ack('ok');
    });
    server = createServer((req, res) => receiver.requestListener(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const body = new URLSearchParams({
    command: '/incident',
    text: 'declare P1 API down',
    user_id: 'U0ALICE',
    team_id: 'T0LOCAL',
    channel_id: 'C0INCIDENTS',
    api_app_id: 'A0LOCAL',
  }).toString();
  const send = (rawBody: string, headers: Record<string, string>) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: rawBody,
    });

  it('computes v0 HMAC-SHA256 over v0:{timestamp}:{body} (Slack’s documented example)', () => {
    // From https://api.slack.com/authentication/verifying-requests-from-slack
    const exampleBody =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    expect(computeSignature('8f742231b10e8888abcd99yyyzzz85a5', exampleBody, 1531420618)).toBe(
      'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
    );
  });

  it('accepts a correctly signed request', async () => {
    const res = await send(body, signRequest(SIGNING_SECRET, body));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok');
    expect(seen).toContain('declare P1 API down');
  });

  it('rejects a tampered body (signature computed over another body) with 401', async () => {
    const headers = signRequest(SIGNING_SECRET, body);
    const tampered = body.replace('P1', 'P5');
    const res = await send(tampered, headers);
    expect(res.status).toBe(401);
  });

  it('rejects a wrong secret with 401', async () => {
    const res = await send(body, signRequest('another-secret', body));
    expect(res.status).toBe(401);
  });

  it('rejects a correctly signed but stale request (timestamp older than 5 minutes) with 401', async () => {
    const stale = Math.floor(Date.now() / 1000) - 6 * 60;
    const res = await send(body, signRequest(SIGNING_SECRET, body, stale));
    expect(res.status).toBe(401);
    const fresh = Math.floor(Date.now() / 1000) - 4 * 60;
    expect((await send(body, signRequest(SIGNING_SECRET, body, fresh))).status).toBe(200);
  });

  it('the emulator’s own deliveries pass verification; a wrong emulator secret is rejected by the bot', async () => {
    const good = await startLoop();
    try {
      expect((await good.emulator.as('alice').slash('/incident', 'help')).status).toBe(200);
    } finally {
      await good.close();
    }
    const bad = await startLoop({ signingSecret: 'not-the-bots-secret' });
    try {
      const res = await bad.emulator.as('alice').slash('/incident', 'help');
      expect(res).toMatchObject({ status: 401, error: 'http_service_error' });
      expect(bad.emulator.as('alice').ephemerals().at(-1)?.text).toBe(
        '/incident failed with the error "http_service_error"',
      );
    } finally {
      await bad.close();
    }
  });
});
