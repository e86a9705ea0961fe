/**
 * Shared pieces of the reliability suite: bot child processes pointed at a Slack emulator that lives in the
 * test process (so killing a bot does not kill Slack's state), throwaway PostgreSQL databases, and an
 * Alertmanager storm sent in bounded concurrent loops.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { createEmulator, type Emulator } from '../../src/emulator/index.js';
import type { Db } from '../../src/store/db.js';
import { amPayload } from '../helpers/bot.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const SIGNING_SECRET = 'reliability-signing-secret';
export const BOT_TOKEN = 'xoxb-reliability-test';
export const PING_TEXT = 'Nobody has acknowledged this incident yet';

const children: ChildProcess[] = [];
const dirs: string[] = [];
const databases: string[] = [];

export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** afterAll: kills bot children a failed run left behind, drops test databases, removes temp dirs. */
export async function cleanupAll(): Promise<void> {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (databases.length && process.env.DATABASE_URL) {
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    for (const name of databases.splice(0)) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A fresh, empty PostgreSQL database (dropped by cleanupAll); returns its URL. */
export async function createDatabase(): Promise<string> {
  const base = process.env.DATABASE_URL!;
  const name = `ib_rel_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  databases.push(name);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The Slack emulator, standing alone in the test process, with the token and secret the bot children get. */
export async function startSlack(): Promise<Emulator> {
  const emulator = createEmulator({ signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN });
  await emulator.listen(0);
  return emulator;
}

/** The environment of a bot child pointed at `emulator`, with a 3 s acknowledge timer on every P1. */
export function botEnv(emulator: Emulator, storage: Record<string, string>): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: emulator.apiUrl,
    // The suite posts alerts without a token; a real workspace requires saying so.
    ALERT_WEBHOOK_AUTH: 'none',
    RUNBOOKS_DIR: tempDir('ib-rel-runbooks-'),
    DEFAULT_TIMERS: 'P1=ack:0.05@On-call',
    OUTBOX_POLL_MS: '50',
    TIMER_POLL_MS: '50',
    // Calls a killed replica held are taken over after this long (60 s in production).
    OUTBOX_LEASE_MS: '10000',
    HOST: '127.0.0.1',
    // info: the "listening" line carries the URL; the rest is kept (tail only) for failure messages.
    LOG_LEVEL: 'info',
    // The emulator here enforces no rate limits, while the budget would pace calls at Slack's real tiers (about
    // 20 channels a minute): these tests are about crashes and replicas, the budget has tests of its own
    // (test/slack/budget.test.ts, test/e2e/budget.test.ts).
    SLACK_BUDGET: 'off',
    DATABASE_URL: '',
    INCIDENT_BOT_DATA: '',
    ...storage,
  };
}

export interface BotChild {
  proc: ChildProcess;
  url: Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last 20 kB of its stdout and stderr. */
  output(): string;
}

/** Starts `incident-bot serve --port 0` from the sources in a child process. */
export function startBotChild(env: Record<string, string>): BotChild {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve', '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(proc);
  let out = '';
  let listening = false;
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
  };
  const url = new Promise<string>((resolveUrl, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      keep(d);
      if (listening) return;
      const m = out.match(/"url":"(http:[^"]+)"[^\n]*"msg":"listening"/);
      if (m) {
        listening = true;
        resolveUrl(m[1]!);
      }
    });
    proc.stderr!.on('data', keep);
    proc.on('exit', (code, signal) => {
      if (!listening) reject(new Error(`bot child exited (${code ?? signal}) before listening:\n${out}`));
    });
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    proc.on('exit', (code, signal) => r({ code, signal })),
  );
  return { proc, url, exited, output: () => out };
}

/** One Alertmanager notification of the storm: its group and the payload. */
export interface Notification {
  group: number;
  payload: ReturnType<typeof amPayload>;
}

/**
 * Notifications of `groups` alert groups, `rounds` each, interleaved; round r of a group carries alerts
 * 0..min(r, 2), so later rounds repeat earlier alerts and add new ones. Groups g and g + titles share an
 * alertname (the same incident title, so the same channel name is wanted twice).
 */
export function stormNotifications(opts: {
  groups: number[];
  rounds: number[];
  tag: string;
  /** Groups g and g + titles share an alertname. */
  titles: number;
}): Notification[] {
  const out: Notification[] = [];
  for (const r of opts.rounds)
    for (const g of opts.groups) {
      const alertname = `Storm${opts.tag}${g % opts.titles}`;
      const alerts = Array.from({ length: Math.min(r, 2) + 1 }, (_, k) => ({
        alertname,
        labels: { shard: `g${g}`, replica: `r${k}` },
        fingerprint: `${opts.tag}-g${g}-a${k}`,
      }));
      out.push({ group: g, payload: amPayload(alerts, { groupKey: `{}:{alertname="${alertname}",shard="g${g}"}` }) });
    }
  return out;
}

export interface SendOutcome {
  accepted: Notification[];
  /** Refused, or the connection failed (the bot died): Alertmanager would send these again. */
  failed: Notification[];
  /** Never sent because `stop` said so. */
  unsent: Notification[];
}

/**
 * Sends notifications with `concurrency` loops. `urls` are used round-robin per request (replicas). After each
 * answer, `onAccepted(n)` may return true to stop taking new work (the requests in flight still finish).
 */
export async function sendAll(
  urls: string[],
  items: Notification[],
  opts: { concurrency: number; onAccepted?: (acceptedSoFar: number) => boolean; timeoutMs?: number } = {
    concurrency: 8,
  },
): Promise<SendOutcome> {
  const queue = [...items];
  const outcome: SendOutcome = { accepted: [], failed: [], unsent: [] };
  let stopped = false;
  let n = 0;
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  const loop = async () => {
    for (;;) {
      if (stopped || Date.now() > deadline) return;
      const item = queue.shift();
      if (!item) return;
      const url = urls[n++ % urls.length]!;
      try {
        const res = await fetch(`${url}/alerts/alertmanager`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(item.payload),
          signal: AbortSignal.timeout(15_000),
        });
        await res.arrayBuffer();
        (res.ok ? outcome.accepted : outcome.failed).push(item);
      } catch {
        outcome.failed.push(item);
      }
      if (opts.onAccepted?.(outcome.accepted.length)) stopped = true;
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, loop));
  outcome.unsent = queue;
  return outcome;
}

export const count = async (db: Db, sql: string, params: unknown[] = []) =>
  Number((await db.query<{ n: number }>(sql, params)).rows[0]?.n ?? 0);

/** Waits until no timer is pending before `before` and the outbox has nothing pending or in flight. */
export async function drained(db: Db, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quietSince = 0;
  for (;;) {
    const due = await count(
      db,
      "SELECT count(*)::int AS n FROM timers WHERE status = 'pending' AND kind = 'acknowledge'",
    );
    const open = await count(db, "SELECT count(*)::int AS n FROM outbox WHERE status IN ('pending', 'inflight')");
    if (due === 0 && open === 0) {
      // Two looks 300 ms apart: a timer firing commits its ping in the same transaction, so this is stable.
      if (quietSince && Date.now() - quietSince > 300) return;
      quietSince ||= Date.now();
    } else quietSince = 0;
    if (Date.now() > deadline)
      throw new Error(`not drained after ${timeoutMs} ms: ${due} acknowledge timers pending, ${open} outbox rows open`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
