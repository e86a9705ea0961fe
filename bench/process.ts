/**
 * Process: `node bin/incident-bot.js serve --port 0` (dist/ when built, else the sources through tsx) with an
 * empty INCIDENT_BOT_DATA, so the embedded database is created on the way. Cold start = spawn → first 200 from
 * /readyz; idle RSS from /metrics after a short idle.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot, sleep } from './lib.js';

async function oneStart(idleMs: number) {
  const dir = mkdtempSync(path.join(tmpdir(), 'ib-bench-serve-'));
  const t0 = performance.now();
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin/incident-bot.js'), 'serve', '--port', '0'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      INCIDENT_BOT_DATA: dir,
      LOG_LEVEL: 'info',
      DATABASE_URL: '',
      REDIS_URL: '',
      SLACK_BOT_TOKEN: '',
      RUNBOOKS_DIR: path.join(repoRoot, 'runbooks'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "listening" line within 60 s: ${out.slice(-500)}`)), 60_000);
      child.stdout.on('data', (d) => {
        out += d;
        const m = out.match(/"url":"(http:[^"]+)".*"msg":"listening"/);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.stderr.on('data', (d) => {
        out += d;
      });
      child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${out.slice(-500)}`)));
    });
    const listeningMs = performance.now() - t0;
    let readyMs = 0;
    for (let i = 0; i < 6000; i++) {
      const ok = await fetch(`${url}/readyz`)
        .then((r) => r.status === 200)
        .catch(() => false);
      if (ok) {
        readyMs = performance.now() - t0;
        break;
      }
      await sleep(10);
    }
    await sleep(idleMs);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const rss = Number(/^incident_bot_process_resident_memory_bytes (\d+)/m.exec(metrics)?.[1] ?? 0);
    return { listeningMs, readyMs, rss };
  } finally {
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchProcess(opts: { runs: number; idleMs: number }) {
  const runs = [];
  for (let i = 0; i < opts.runs; i++) runs.push(await oneStart(opts.idleMs));
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  return {
    entry: existsSync(path.join(repoRoot, 'dist/main.js')) ? 'dist (compiled)' : 'src via tsx',
    store: 'PGlite in a new empty INCIDENT_BOT_DATA',
    runs: opts.runs,
    coldStartToReadyMs: Math.round(med(runs.map((r) => r.readyMs))),
    coldStartToListeningMs: Math.round(med(runs.map((r) => r.listeningMs))),
    coldStartToReadyMsEach: runs.map((r) => Math.round(r.readyMs)),
    idleRssBytes: med(runs.map((r) => r.rss)),
    idleAfterMs: opts.idleMs,
  };
}
