import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerDiagnosticsCommand } from '../../src/cli/diagnostics.js';

const PG = process.env.DATABASE_URL;
const REDIS = process.env.REDIS_URL;

/** Runs `incident-bot diagnostics …` in-process with `env` set, capturing stdout, stderr and the exit code. */
async function cli(args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  const so = vi.spyOn(process.stdout, 'write').mockImplementation((s) => out.push(String(s)) > 0);
  const se = vi.spyOn(process.stderr, 'write').mockImplementation((s) => err.push(String(s)) > 0);
  process.exitCode = undefined;
  const program = new Command('incident-bot').exitOverride();
  registerDiagnosticsCommand(program);
  try {
    await program.parseAsync(['node', 'incident-bot', 'diagnostics', ...args]);
  } finally {
    so.mockRestore();
    se.mockRestore();
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  }
  const code = process.exitCode ?? 0;
  process.exitCode = undefined;
  return { stdout: out.join(''), stderr: err.join(''), code };
}

afterEach(() => vi.restoreAllMocks());

describe('incident-bot diagnostics check', () => {
  it('exit 0 with the executor and risk for a read the bot runs', async () => {
    const r = await cli(['check', 'SELECT count(*) FROM pg_stat_activity']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/executor: postgres\nrisk: +read\nruns: +yes/);
  });

  it('exit 1 with the reason for the rt-01 step, as JSON', async () => {
    const r = await cli(['check', "SELECT word FROM ts_stat('SELECT 1')", '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ executor: 'postgres', risk: 'exec', runs: false });
    expect(j.reasons.join(' ')).toMatch(/ts_stat/);
  });

  it('exit 1 for CONFIG GET * (rt-04) and for a destructive kubectl', async () => {
    expect((await cli(['check', 'redis-cli -h cache CONFIG GET *'])).code).toBe(1);
    const k = await cli(['check', 'kubectl delete pod api-1']);
    expect(k.code).toBe(1);
    expect(k.stdout).toMatch(/risk: +destructive/);
  });

  it('exit 2 on usage errors', async () => {
    expect((await cli(['check', ''])).code).toBe(2);
    await expect(cli(['check'])).rejects.toThrow(/missing required argument/);
  });
});

describe('incident-bot diagnostics run', () => {
  it('exit 2 naming the --label a placeholder needs', async () => {
    const r = await cli(['run', 'kubectl get pods -n <namespace>']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--label namespace=VALUE/);
  });

  it('exit 1 when the guard refuses, before anything is contacted', async () => {
    const r = await cli(['run', 'redis-cli -h cache CONFIG GET requirepass'], {
      DIAG_REDIS_URLS: 'cache=redis://127.0.0.1:1',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot read "requirepass"/);
  });

  it.runIf(REDIS)('runs an allowed Redis read', async () => {
    const r = await cli(['run', 'redis-cli -h cache CONFIG GET maxmemory'], { DIAG_REDIS_URLS: `cache=${REDIS}` });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/maxmemory/);
  });

  it.runIf(PG)('runs SQL with a --label bound as a parameter, and refuses a superuser unless allowed', async () => {
    const sql = "SELECT count(*) >= 0 AS ok FROM pg_stat_activity WHERE state = '<state>' OR state IS NULL";
    const refused = await cli(['run', sql, '--label', 'state=active'], { DIAG_POSTGRES_URLS: `orders=${PG}` });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/superuser/);
    const r = await cli(['run', sql, '--label', 'state=active', '--json'], {
      DIAG_POSTGRES_URLS: `orders=${PG}`,
      DIAG_POSTGRES_ALLOW_SUPERUSER: 'true',
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, executor: 'postgres', rows: 1 });
  });
});
