import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDiagnostics } from '../../src/diagnostics/run.js';
import { silentLogger } from '../../src/log.js';
import { classifyCommand } from '../../src/runbooks/classify.js';
import { cmd } from './helpers.js';

const BIN = ['/usr/bin/prometheus', '/usr/local/bin/prometheus'].find((p) => existsSync(p));
if (!BIN) console.log('prometheus binary not found (apt-get install prometheus): real Prometheus executor tests skip');

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe.runIf(BIN)('prometheus executor against a real Prometheus', () => {
  let child: ChildProcess;
  let dir: string;
  let url: string;
  let log = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ib-prom-'));
    const port = await freePort();
    writeFileSync(
      join(dir, 'rules.yml'),
      'groups:\n  - name: t\n    interval: 1s\n    rules:\n      - record: job:up:sum\n        expr: sum by (job) (up)\n',
    );
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: [${join(dir, 'rules.yml')}]\nscrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: ['127.0.0.1:${port}']\n`,
    );
    child = spawn(
      BIN as string,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--query.timeout=2m',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stderr?.on('data', (d) => (log = (log + d).slice(-4000)));
    url = `http://127.0.0.1:${port}`;
    // Ready, then at least a few scrapes and rule evaluations stored.
    for (let i = 0; i < 300; i++) {
      const r = await fetch(`${url}/api/v1/query?query=job:up:sum`).catch(() => null);
      const j = r?.ok ? ((await r.json()) as { data: { result: unknown[] } }) : null;
      if (j?.data.result.length) break;
      if (child.exitCode !== null) throw new Error(`prometheus exited: ${log}`);
      await new Promise((res) => setTimeout(res, 100));
    }
    await new Promise((res) => setTimeout(res, 3000));
  }, 60_000);

  afterAll(() => {
    child?.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const diag = (timeoutMs = 5000) =>
    createDiagnostics({
      prometheusUrl: url,
      postgresTargets: {},
      redisTargets: {},
      timeoutMs,
      maxConcurrent: 2,
      maxPerIncident: 2,
      logger: silentLogger,
      promTrend: false,
    });
  const run = (text: string, timeoutMs?: number) =>
    diag(timeoutMs).run({ command: cmd(text, 'prometheus'), values: {}, incidentId: 1 });

  it('runs an instant query and a recording rule', async () => {
    const r = await run('up{job="self"}');
    expect(r.error).toBeNull();
    expect(r.output).toMatch(/self\s+1/);
    const rule = await run('job:up:sum');
    expect(rule.error).toBeNull();
    expect(rule.output).toMatch(/job:up:sum\s+self\s+1|self\s+1/);
  });

  it('honours query_range start/end/step from a runbook curl line', async () => {
    const now = Math.floor(Date.now() / 1000);
    const r = await run(
      `curl -s 'http://prometheus:9090/api/v1/query_range?query=up{job="self"}&start=${now - 4}&end=${now}&step=1s'`,
    );
    expect(r.error).toBeNull();
    const hms = new Date((now - 4) * 1000).toISOString().slice(11, 19);
    expect(r.output.split('\n')[0]).toMatch(
      new RegExp(`^\\d{4}-\\d\\d-\\d\\d ${hms} – .* UTC \\(4 seconds\\), every 1 second, 5 points$`),
    );
    // last, min and max of a target that is up: all 1.
    expect(r.output).toMatch(/up\{instance="[^"]+", job="self"\}\s+1\s+1\s+1\s+▄+/);
  });

  it('runs the range a runbook command carries (Command.range), relative to now', async () => {
    const text =
      "curl -G http://prometheus:9090/api/v1/query_range --data-urlencode 'query=job:up:sum' -d start=now-3s -d step=1s";
    const c = classifyCommand(text, { lang: 'bash' });
    expect(c.range).toEqual({ start: 'now-3s', end: null, step: '1s' });
    const r = await diag().run({
      command: cmd(text, 'prometheus', 'read', { query: c.query, range: c.range }),
      values: {},
      incidentId: 1,
    });
    expect(r.error).toBeNull();
    expect(r.output.split('\n')[0]).toMatch(/ UTC \(3 seconds\), every 1 second, 4 points$/);
    expect(r.output).toMatch(/job:up:sum\{job="self"\}\s+1\s+1\s+1/);
  });

  it('refuses a range that would return too many points, with the step to use', async () => {
    const r = await run(`curl -s 'http://prometheus:9090/api/v1/query_range?query=up&start=now-7d&end=now&step=1s'`);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/604801 points per series.*step=\d+s or more/);
  });

  it('reports a parse error from Prometheus', async () => {
    const r = await run('sum(rate(up[5m])');
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/Prometheus refused the query \(bad_data: .*parse error/);
  });

  it('times out a query that runs too long, and Prometheus is told to stop too', async () => {
    // A subquery at 1 ms resolution over a week: far more work than 200 ms allow.
    const r = await run('count(count_over_time(up[1w:1ms]))', 200);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/Timed out|timed out|too many samples/i);
  });
});
