import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDb } from '../../src/store/db.js';
import { LOCK_FILE, lockDataDir, StoreInUseError } from '../../src/store/lock.js';
import { killChildren, startServe } from '../helpers/child.js';

afterEach(killChildren);

const tmp = () => mkdtempSync(join(tmpdir(), 'ib-lock-'));

describe('one writer per embedded data directory', () => {
  it('a second open of the same directory is refused, naming the holder; closing frees it', async () => {
    const dir = tmp();
    const a = await openDb({ dataDir: dir, command: 'serve' });
    await expect(openDb({ dataDir: dir, command: 'incidents' })).rejects.toThrow(
      /in use by `incident-bot serve` \(pid \d+/,
    );
    await a.close();
    const b = await openDb({ dataDir: dir, command: 'incidents' });
    await b.close();
    rmSync(dir, { recursive: true, force: true });
    // Creating a PGlite directory takes seconds, more on a busy machine.
  }, 180_000);

  it('takes over a lock left by a process that is gone', () => {
    const dir = tmp();
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), command: 'serve', startedAt: 'x', port: 1 }),
    );
    const l = lockDataDir(dir, 'serve');
    expect(JSON.parse(readFileSync(l.file, 'utf8')).pid).toBe(process.pid);
    l.update({ port: 4321 });
    expect(JSON.parse(readFileSync(l.file, 'utf8')).port).toBe(4321);
    expect(() => lockDataDir(dir, 'other')).toThrow(StoreInUseError);
    l.release();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a lock held on another host and says how to clear it', () => {
    const dir = tmp();
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid: 1, host: 'pod-a', command: 'serve', startedAt: 'x', port: 3000 }),
    );
    expect(() => lockDataDir(dir, 'serve')).toThrow(/pid 1, port 3000 on pod-a.*delete .*incident-bot\.lock/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('rt-06: a second `serve` on the same directory refuses to start, and the CLI beside it says why', async () => {
    const dir = tmp();
    const first = startServe({ INCIDENT_BOT_DATA: dir });
    const url = await first.url;
    const port = new URL(url).port;
    const second = startServe({ INCIDENT_BOT_DATA: dir });
    await expect(second.url).rejects.toThrow(
      new RegExp(`in use by \`incident-bot serve\` \\(pid ${first.child.pid}, port ${port}`),
    );
    expect(await second.exited).not.toBe(0);
    // The first one still answers.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    const cli = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'incidents', 'list'], {
      env: { ...process.env, INCIDENT_BOT_DATA: dir, DATABASE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    cli.stdout.on('data', (d) => (out += d));
    cli.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((r) => cli.on('exit', r));
    expect(code).not.toBe(0);
    expect(out).toMatch(/in use by `incident-bot serve`.*DATABASE_URL/);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  }, 180_000);
});
