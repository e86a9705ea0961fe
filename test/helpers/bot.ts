import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Bot, type StartOptions, startBot } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { Emulator } from '../../src/emulator/index.js';
import { silentLogger } from '../../src/log.js';
import { type Backend, backends, freshDb } from './db.js';

export const SEEDS_DIR = resolve(import.meta.dirname, '../../../shared/seeds');
export const hasSeeds = existsSync(SEEDS_DIR);
if (!hasSeeds) console.log(`seed runbooks not found at ${SEEDS_DIR}: seed-based tests skip`);

/** The seed runbooks copied into a temp dir as .md files (the bot loads Markdown runbooks from a directory). */
export function seedRunbooksDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ib-seeds-'));
  for (const f of readdirSync(SEEDS_DIR))
    writeFileSync(join(dir, f.replace(/\.txt$/, '.md')), readFileSync(join(SEEDS_DIR, f)));
  return dir;
}

/** How the local workspace reaches the bot: signed HTTP posts to /slack/events, or Socket Mode envelopes. */
export type Transport = 'http' | 'socket';

/**
 * The e2e matrix: every backend over HTTP, and Socket Mode on PGlite (the transport does not touch the store).
 * Each entry reads as "pglite/http", "postgres/http", "pglite/socket" in test names.
 */
export const backendTransports: [Backend, Transport][] = [
  ...backends.map((b): [Backend, Transport] => [b, 'http']),
  ['pglite', 'socket'],
];

/** The env that puts the bot on a transport: SLACK_APP_TOKEN makes the local workspace speak Socket Mode. */
export function transportEnv(transport: Transport): Record<string, string> {
  return transport === 'socket' ? { SLACK_APP_TOKEN: 'xapp-1-A0LOCAL-1-test' } : {};
}

export interface TestBot {
  bot: Bot;
  emulator: Emulator;
  /** POSTs an Alertmanager payload to the bot. */
  alert(payload: unknown, headers?: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Waits until the outbox has sent everything. */
  settle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** A bot on a fresh database with the local Slack workspace, on a random port. */
export async function startTestBot(
  backend: Backend,
  env: Record<string, string> = {},
  opts: Partial<StartOptions> = {},
): Promise<TestBot> {
  const db = opts.db ?? (await freshDb(backend));
  const config = loadConfig({
    RUNBOOKS_DIR: 'runbooks',
    LOG_LEVEL: 'silent',
    OUTBOX_POLL_MS: '50',
    TIMER_POLL_MS: '50',
    ...env,
  });
  const bot = await startBot(config, { logger: silentLogger, port: 0, ...opts, db });
  const emulator = bot.emulator!;
  return {
    bot,
    emulator,
    async alert(payload, headers = {}) {
      const res = await fetch(`${bot.url}/alerts/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof payload === 'string' ? payload : JSON.stringify(payload),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    settle: (timeoutMs = 20_000) => bot.sender.idle(timeoutMs),
    async close() {
      await bot.stop();
      await db.close();
    },
  };
}

let seq = 0;
/** An Alertmanager v4 webhook for one or more alerts. */
export function amPayload(
  alerts: {
    alertname: string;
    status?: 'firing' | 'resolved';
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    fingerprint?: string;
    /** Default 2026-11-23T03:00:00.000Z; a new value is a new firing of the same alert. */
    startsAt?: string;
  }[],
  opts: { groupKey?: string; status?: 'firing' | 'resolved' } = {},
) {
  const first = alerts[0]!;
  const status = opts.status ?? (alerts.some((a) => (a.status ?? 'firing') === 'firing') ? 'firing' : 'resolved');
  return {
    version: '4',
    groupKey: opts.groupKey ?? `{}:{alertname="${first.alertname}"}`,
    truncatedAlerts: 0,
    status,
    receiver: 'incident-bot',
    groupLabels: { alertname: first.alertname },
    commonLabels: { alertname: first.alertname, ...(first.labels ?? {}) },
    commonAnnotations: first.annotations ?? {},
    externalURL: 'http://alertmanager.example:9093',
    alerts: alerts.map((a) => ({
      status: a.status ?? 'firing',
      labels: { alertname: a.alertname, severity: 'critical', ...(a.labels ?? {}) },
      annotations: a.annotations ?? {},
      startsAt: a.startsAt ?? '2026-11-23T03:00:00.000Z',
      endsAt: a.status === 'resolved' ? '2026-11-23T03:20:00.000Z' : '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.example:9090/graph?g0.expr=up',
      fingerprint: a.fingerprint ?? `fp${++seq}`,
    })),
  };
}

/** Retries an assertion until it passes (the bot acts after its ack), or rethrows its last failure. */
export async function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 10_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }
}
