/**
 * rt-05: in local mode, a web page the developer opens (or anyone on the LAN) must not be able to drive the
 * workspace. Replays the case's requests and checks they are refused, while the page and token holders work.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKubeConfig } from '../../src/diagnostics/run.js';
import { startTestBot, type TestBot } from '../helpers/bot.js';

describe('local mode is local (rt-05)', () => {
  let t: TestBot;
  beforeAll(async () => {
    t = await startTestBot('pglite', { EMULATOR_TOKEN: 'tok-for-tests-123' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('listens on loopback only when HOST is unset', () => {
    expect(new URL(t.bot.url).hostname).toBe('127.0.0.1');
  });

  it('refuses the cross-site text/plain requests of the case, and posts nothing', async () => {
    const before = t.emulator.channel('#incidents').messages({ includeSystem: true }).length;
    for (const [path, body] of [
      ['say', { user: 'U0ALICE', channel: '#incidents', text: '/incident resolve all good' }],
      ['click', { user: 'U0ALICE', channel: '#incidents', actionId: 'diag_run', blockId: 'cmd:x:1' }],
      ['slash', { user: 'U0ALICE', command: '/incident', text: 'declare P1 evil' }],
    ] as const) {
      const res = await fetch(`${t.bot.url}/_emulator/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', origin: 'http://evil.example' },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(403);
    }
    // JSON without the token is refused too, and so is reading the state.
    const noToken = await fetch(`${t.bot.url}/_emulator/say`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'U0ALICE', text: 'hello' }),
    });
    expect(noToken.status).toBe(403);
    expect((await fetch(`${t.bot.url}/_emulator/state`)).status).toBe(403);
    // The token alone is not enough for a write without a JSON content type.
    const textWithToken = await fetch(`${t.bot.url}/_emulator/say`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'x-emulator-token': 'tok-for-tests-123' },
      body: JSON.stringify({ user: 'U0ALICE', text: 'hello' }),
    });
    expect(textWithToken.status).toBe(403);
    await t.emulator.idle();
    expect(t.emulator.channel('#incidents').messages({ includeSystem: true }).length).toBe(before);
    expect(await t.bot.service.listOpen()).toHaveLength(0);
  });

  it('the page embeds the token, and requests carrying it work with the same shapes as before', async () => {
    const html = await (await fetch(`${t.bot.url}/`)).text();
    expect(html).toContain('data-token="tok-for-tests-123"');
    const ok = await fetch(`${t.bot.url}/_emulator/say`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-emulator-token': 'tok-for-tests-123' },
      body: JSON.stringify({ user: 'U0ALICE', channel: '#general', text: 'hello from a script' }),
    });
    expect(ok.status).toBe(200);
    expect(t.emulator.channel('#general').latest()?.text).toBe('hello from a script');
    const state = await fetch(`${t.bot.url}/_emulator/state`, { headers: { 'x-emulator-token': 'tok-for-tests-123' } });
    expect(state.status).toBe(200);
  });

  it('a random token is made per process when EMULATOR_TOKEN is unset', async () => {
    const other = await startTestBot('pglite');
    try {
      expect(other.emulator.controlToken).toMatch(/^[0-9a-f]{32}$/);
      expect(other.emulator.controlToken).not.toBe('tok-for-tests-123');
    } finally {
      await other.close();
    }
  });

  it('local mode does not pick up ~/.kube/config by itself', async () => {
    const home = mkdtempSync(join(tmpdir(), 'ib-home-'));
    mkdirSync(join(home, '.kube'));
    writeFileSync(
      join(home, '.kube', 'config'),
      'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://real-cluster.example"}}]\n' +
        'users: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
    );
    const saved = process.env.HOME;
    const savedHost = process.env.KUBERNETES_SERVICE_HOST;
    process.env.HOME = home;
    delete process.env.KUBERNETES_SERVICE_HOST;
    try {
      expect(await loadKubeConfig(undefined, false)).toBeNull();
      expect((await loadKubeConfig(undefined, true))?.getCurrentCluster()?.server).toBe('https://real-cluster.example');
    } finally {
      process.env.HOME = saved;
      if (savedHost !== undefined) process.env.KUBERNETES_SERVICE_HOST = savedHost;
    }
  });
});

describe('DNS rebinding', () => {
  it('the page and control endpoints refuse a Host that is not this machine', async () => {
    const { createEmulator } = await import('../../src/emulator/index.js');
    const { request } = await import('node:http');
    const emulator = createEmulator({ signingSecret: 's', botToken: 'x', controlToken: 'tok' });
    const { url } = await emulator.listen(0);
    const get = (path: string, host: string) =>
      new Promise<number>((resolve, reject) => {
        const u = new URL(url);
        const req = request(
          { host: u.hostname, port: u.port, path, headers: { host, 'x-emulator-token': 'tok' } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
    try {
      const port = new URL(url).port;
      expect(await get('/', `evil.example:${port}`)).toBe(403);
      expect(await get('/_emulator/state', `evil.example:${port}`)).toBe(403);
      expect(await get('/', `localhost:${port}`)).toBe(200);
      expect(await get('/_emulator/state', `127.0.0.1:${port}`)).toBe(200);
    } finally {
      await emulator.close();
    }
  });
});
