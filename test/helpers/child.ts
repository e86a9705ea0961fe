import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const children: ChildProcess[] = [];
/** Kills every child a test started and left running. */
export function killChildren(): void {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
}

/** Starts `incident-bot serve --port 0` from the sources and resolves with its URL once it listens. */
export function startServe(env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ib-serve-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve', '--port', '0'], {
    env: { ...process.env, INCIDENT_BOT_DATA: dir, LOG_LEVEL: 'info', DATABASE_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  const url = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = out.match(/"url":"(http:[^"]+)".*"msg":"listening"/);
      if (m) resolve(m[1]!);
    });
    child.stderr!.on('data', (d) => {
      out += d;
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, url, exited, output: () => out, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
