/** Shared pieces of the benchmark: percentiles, a throwaway PostgreSQL database, an in-process bot. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { type Bot, type StartOptions, startBot } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { type Db, openDb } from '../src/store/db.js';
import { migrate } from '../src/store/migrate.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export type Backend = 'pglite' | 'postgres';

/** Nearest-rank percentile of an ascending array. */
export function pct(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export function summary(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  return {
    n: s.length,
    p50Ms: round(pct(s, 50)),
    p95Ms: round(pct(s, 95)),
    p99Ms: round(pct(s, 99)),
    maxMs: round(s.at(-1) ?? 0),
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs `fn(i)` for i in [0, n) with at most `limit` in flight. */
export async function pool(n: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, lane));
}

/**
 * PostgreSQL to bench against: DATABASE_URL when set, else the local server on 127.0.0.1:5432 if it answers
 * within a second; null when there is none.
 */
export async function findPostgres(): Promise<string | null> {
  const url = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return url;
  } catch {
    return null;
  } finally {
    await c.end().catch(() => {});
  }
}

/** A fresh database on the server of `baseUrl` (CREATE DATABASE), dropped by `drop()`. */
export async function freshPostgres(baseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `ib_bench_${randomBytes(5).toString('hex')}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: baseUrl });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  return { url: u.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

export interface BenchBot {
  bot: Bot;
  backend: Backend;
  close(): Promise<void>;
}

/**
 * A bot in this process, like test/helpers/bot.ts: its own migrated database (PGlite in memory, or in a
 * data directory as `serve` runs it when `store.onDisk`; or a fresh PostgreSQL database), the local Slack workspace, the shipped runbooks, production defaults otherwise.
 */
export async function startBenchBot(
  backend: Backend,
  pgBase: string | null,
  env: Record<string, string> = {},
  opts: Partial<StartOptions> = {},
  store: { onDisk?: boolean } = {},
): Promise<BenchBot> {
  let db: Db;
  let dropDb: (() => Promise<void>) | null = null;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ib-bench-'));
  if (backend === 'postgres') {
    if (!pgBase) throw new Error('no PostgreSQL to bench against');
    const fresh = await freshPostgres(pgBase);
    dropDb = fresh.drop;
    db = await openDb({ databaseUrl: fresh.url });
  } else db = await openDb({ dataDir: store.onDisk ? path.join(dataDir, 'db') : 'memory://' });
  await migrate(db);
  const config = loadConfig({
    RUNBOOKS_DIR: path.join(repoRoot, 'runbooks'),
    INCIDENT_BOT_DATA: dataDir,
    LOG_LEVEL: 'silent',
    ...env,
  });
  const bot = await startBot(config, { logger: silentLogger, port: 0, ...opts, db });
  return {
    bot,
    backend,
    async close() {
      await bot.stop();
      await db.close();
      await dropDb?.();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** POSTs an Alertmanager payload; resolves with the status and the parsed body. */
export async function postAlert(
  botUrl: string,
  payload: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${botUrl}/alerts/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { raw: text };
  }
  return { status: res.status, body };
}

export interface AmAlertDraft {
  alertname: string;
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  fingerprint: string;
  annotations?: Record<string, string>;
}

/** An Alertmanager v4 webhook body for one group. */
export function amWebhook(groupKey: string, alerts: AmAlertDraft[], commonLabels: Record<string, string>) {
  const firing = alerts.some((a) => a.status === 'firing');
  return {
    version: '4',
    groupKey,
    truncatedAlerts: 0,
    status: firing ? 'firing' : 'resolved',
    receiver: 'incident-bot',
    groupLabels: { alertname: commonLabels.alertname ?? alerts[0]!.alertname },
    commonLabels,
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example:9093',
    alerts: alerts.map((a) => ({
      status: a.status,
      labels: { alertname: a.alertname, ...a.labels },
      annotations: a.annotations ?? {},
      startsAt: '2026-11-23T03:00:00.000Z',
      endsAt: a.status === 'resolved' ? '2026-11-23T03:20:00.000Z' : '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.example:9090/graph?g0.expr=up',
      fingerprint: a.fingerprint,
    })),
  };
}
