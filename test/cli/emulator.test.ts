/**
 * `incident-bot emulator` on its own, and the bot configured as for real Slack (SLACK_BOT_TOKEN, SLACK_API_URL,
 * SLACK_APP_TOKEN or SLACK_SIGNING_SECRET) tried against it, in Socket Mode and over HTTP.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type Bot, startBot } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { freshDb } from '../helpers/db.js';

const TOKEN = 'ctl-token-for-cli-test';
const children: ChildProcess[] = [];
const bots: Bot[] = [];
afterEach(async () => {
  for (const b of bots.splice(0)) await b.stop();
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

function startEmulator(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'emulator', '--memory', ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', EMULATOR_TOKEN: TOKEN, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  const url = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /Local Slack workspace: (http:\/\/\S+?)\/\s/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.stderr!.on('data', (d) => (out += d));
    child.on('exit', (code) => reject(new Error(`emulator exited ${code}: ${out}`)));
  });
  return { url, output: () => out };
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

async function control(url: string, path: string, body?: unknown) {
  const res = await fetch(`${url}/_emulator/${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { 'x-emulator-token': TOKEN, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return (await res.json()) as Record<string, unknown>;
}

type State = { channels: { id: string; name: string; messages: { text: string }[] }[] };

async function declareAndSee(url: string, title: string) {
  const ack = await control(url, 'slash', { user: 'alice', command: '/incident', text: `declare P1 ${title}` });
  // Declared in #incidents: the announcement there answers, nothing private.
  expect(ack).toMatchObject({ status: 200, body: '' });
  const slug = title.toLowerCase().replace(/\s+/g, '-');
  for (let i = 0; i < 600; i++) {
    const state = (await control(url, 'state')) as unknown as State;
    const ch = state.channels.find((c) => c.name.endsWith(slug));
    if (ch?.messages.some((m) => m.text.includes(`INC-1 P1`))) return ch;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the incident channel never showed the header');
}

const botConfig = (env: Record<string, string>) =>
  loadConfig({ RUNBOOKS_DIR: 'runbooks', LOG_LEVEL: 'silent', OUTBOX_POLL_MS: '50', ALERT_WEBHOOK_TOKEN: 'w', ...env });

describe('incident-bot emulator', () => {
  it('prints what the bot needs, and serves a bot in Socket Mode', async () => {
    const emu = startEmulator(['--port', '0'], { EMULATOR_BOT_TOKEN: 'xoxb-cli', EMULATOR_APP_TOKEN: 'xapp-cli' });
    const url = await emu.url;
    expect(emu.output()).toContain(`SLACK_API_URL=${url}/api/`);
    expect(emu.output()).toContain('SLACK_BOT_TOKEN=xoxb-cli');
    expect(emu.output()).toContain('SLACK_APP_TOKEN=xapp-cli');
    expect(emu.output()).toContain(`X-Emulator-Token: ${TOKEN}`);
    const bot = await startBot(
      botConfig({ SLACK_BOT_TOKEN: 'xoxb-cli', SLACK_APP_TOKEN: 'xapp-cli', SLACK_API_URL: `${url}/api/` }),
      { logger: silentLogger, port: 0, db: await freshDb('pglite') },
    );
    bots.push(bot);
    expect(bot.emulator).toBeNull();
    await declareAndSee(url, 'Tried in socket mode');
  }, 90_000);

  it('serves a bot over HTTP, signing with EMULATOR_SIGNING_SECRET', async () => {
    const botPort = await freePort();
    const emu = startEmulator(['--port', '0', '--bot-url', `http://127.0.0.1:${botPort}/slack/events`], {
      EMULATOR_BOT_TOKEN: 'xoxb-cli2',
      EMULATOR_SIGNING_SECRET: 'cli-secret',
    });
    const url = await emu.url;
    expect(emu.output()).toContain('SLACK_SIGNING_SECRET=cli-secret');
    const bot = await startBot(
      botConfig({ SLACK_BOT_TOKEN: 'xoxb-cli2', SLACK_SIGNING_SECRET: 'cli-secret', SLACK_API_URL: `${url}/api/` }),
      { logger: silentLogger, port: botPort, db: await freshDb('pglite') },
    );
    bots.push(bot);
    await declareAndSee(url, 'Tried over http');
  }, 90_000);

  it('says what is wrong with a bad --bot-url, in one line', async () => {
    const emu = startEmulator(['--bot-url', 'ftp://bot'], {});
    await expect(emu.url).rejects.toThrow(/--bot-url must be an http\(s\) URL/);
    expect(emu.output()).not.toContain('    at ');
  }, 60_000);
});
