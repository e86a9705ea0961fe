import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { Db } from '../store/db.js';
import {
  claim,
  markDeferred,
  markDone,
  markFailed,
  markRetry,
  nextDue,
  type OutboxRow,
  outboxDepth,
  placeRows,
  repairHeads,
} from '../store/outbox.js';
import { BudgetWait, backoffMs, PermanentError, RetryableError } from './errors.js';
import { type OutboxCallContext, type OutboxPriority, runWithPriority } from './priority.js';

/** Shortest time between two claims that place new rows (PostgreSQL; store/outbox.ts placeRows). */
const PLACE_EVERY_MS = 10;
/** How often the sender looks for ordering keys left without a head (store/outbox.ts repairHeads). */
const REPAIR_EVERY_MS = 60_000;

/** Does the work of one outbox row; throws RetryableError / PermanentError (anything else counts as retryable). */
export type OutboxHandler = (row: OutboxRow) => Promise<unknown>;

export interface SenderOptions {
  db: Db;
  handlers: Record<string, OutboxHandler>;
  logger: Logger;
  metrics?: Metrics;
  pollMs: number;
  /** Rows in flight at once (each from a different ordering key). */
  concurrency?: number;
  leaseMs?: number;
  now?: () => Date;
}

export interface OutboxSender {
  start(): void;
  /** Wakes the sender now (after a transaction committed new rows). */
  kick(): void;
  /** Stops claiming and waits for rows in flight. */
  stop(): Promise<void>;
  /** Resolves when nothing is pending or in flight (tests, benches), or rejects after timeoutMs. */
  idle(timeoutMs?: number): Promise<void>;
  inFlight(): number;
}

/**
 * Drains the outbox: claims the head row of each ordering key (so messages in a channel keep their
 * order), most urgent first (outbox/priority.ts), runs its handler with the row's priority visible to the
 * Slack client (runWithPriority), and marks it done, retries it later (rate limits, 5xx), puts it back
 * without counting an attempt (BudgetWait) or records it failed.
 */
export function createOutboxSender(opts: SenderOptions): OutboxSender {
  const { db, handlers, logger, metrics } = opts;
  const concurrency = opts.concurrency ?? 16;
  const leaseMs = opts.leaseMs ?? 60_000;
  const now = opts.now ?? (() => new Date());
  const inflight = new Set<Promise<void>>();
  let running = false;
  let wake: (() => void) | null = null;
  let kicked = false;
  let loop: Promise<void> | null = null;

  // Whether the next claim first places new rows (PostgreSQL; see store/outbox.ts placeRows): after a wake from
  // outside (a commit that stored rows, the poll interval running out), not after one of our own rows finished,
  // which only makes the next row of its key claimable.
  let place = true;
  let placedAt = 0;
  const next = () => {
    kicked = true;
    wake?.();
  };
  const kick = () => {
    place = true;
    next();
  };

  async function runRow(row: OutboxRow): Promise<void> {
    const handler = handlers[row.op];
    const log = logger.child({ outboxId: row.id, op: row.op, incidentId: row.incidentId ?? undefined });
    let ctx: OutboxCallContext | undefined;
    try {
      if (!handler) throw new PermanentError(`no handler for outbox op ${row.op}`);
      // A row lifted by a more urgent one behind it spends budget at that priority, or it would block it.
      const priority = Math.min(row.priority, row.claimPriority ?? row.priority) as OutboxPriority;
      const result = await runWithPriority(priority, (c) => {
        ctx = c;
        return handler(row);
      });
      await markDone(db, row.id, result ?? null);
      metrics?.outboxSent.inc({ op: row.op, outcome: 'done' });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (err instanceof PermanentError) {
        log.error({ err: message }, 'outbox call failed for good; recorded');
        await markFailed(db, row.id, message);
        metrics?.outboxSent.inc({ op: row.op, outcome: 'failed' });
      } else if (err instanceof BudgetWait && !ctx?.calls) {
        // Nothing went out: not an attempt, and no log line per wait (a storm makes thousands).
        const delay = Math.max(10, (err.retryAfterSec ?? 0.05) * 1000);
        await markDeferred(db, row.id, new Date(now().getTime() + delay));
        metrics?.outboxSent.inc({ op: row.op, outcome: 'deferred' });
      } else {
        const retryAfter = err instanceof RetryableError ? err.retryAfterSec : null;
        const delay = retryAfter != null ? retryAfter * 1000 : backoffMs(row.attempts);
        log.warn({ err: message, attempt: row.attempts, retryInMs: delay }, 'outbox call will be retried');
        await markRetry(db, row.id, new Date(now().getTime() + delay), message);
        metrics?.outboxSent.inc({ op: row.op, outcome: 'retry' });
      }
    } finally {
      next();
    }
  }

  async function fill(): Promise<number> {
    const room = concurrency - inflight.size;
    if (room <= 0) return 0;
    // At most every PLACE_EVERY_MS: in a burst every commit wakes us, and placing on each claim would double the
    // claim's statements. A row stored meanwhile waits for the next claim (a row finishing, or 5 ms when idle).
    const placing = place && Date.now() - placedAt >= PLACE_EVERY_MS;
    if (placing) {
      place = false;
      placedAt = Date.now();
    }
    // Placing takes the keys' locks for the claim's transaction; a claim alone is one statement and needs none.
    const rows = await (placing && !db.serial
      ? db.tx((q) => claim(q, now(), room, leaseMs, { place: true }))
      : claim(db, now(), room, leaseMs, { place: false })
    ).catch((err) => {
      place ||= placing;
      throw err;
    });
    for (const row of rows) {
      const p: Promise<void> = runRow(row)
        .catch((err) => logger.error({ err, outboxId: row.id }, 'outbox bookkeeping failed'))
        .finally(() => inflight.delete(p));
      inflight.add(p);
    }
    return rows.length;
  }

  async function sleep(): Promise<void> {
    if (kicked) return;
    let ms = opts.pollMs;
    // New rows wait to be placed (a claim skipped placing them: too soon after the last one).
    if (place && !db.serial) ms = Math.min(ms, PLACE_EVERY_MS);
    if (inflight.size === 0) {
      const due = await nextDue(db).catch(() => null);
      if (due) ms = Math.max(5, Math.min(ms, due.getTime() - now().getTime()));
      // A kick or a stop while that read ran found no wake to call: without this it waited for the poll.
      if (kicked || !running) return;
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        // Rows stored by other replicas (or by this one without a kick) are placed by the claim after a poll.
        place = true;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
    wake = null;
  }

  let depthAt = 0;
  // At start too: rows an older version stored unplaced, heads a process without them left behind.
  let repairedAt = 0;
  async function run(): Promise<void> {
    while (running) {
      kicked = false;
      try {
        // A safety net for heads a process without them left behind (see repairHeads); reads every open row.
        if (Date.now() - repairedAt > REPAIR_EVERY_MS) {
          repairedAt = Date.now();
          const fixed = await repairHeads(db);
          if (fixed) logger.warn({ fixed }, 'outbox: ordering keys without a head repaired');
          // PostgreSQL's claim places new rows itself; the embedded store places them when stored.
          if (db.serial) await placeRows(db, 10_000);
        }
        await fill();
        // The gauge is refreshed at most once a second: counting after every row would double the queries.
        if (metrics && Date.now() - depthAt > 1000) {
          depthAt = Date.now();
          metrics.outboxDepth.set(await outboxDepth(db));
        }
      } catch (err) {
        logger.error({ err }, 'outbox claim failed; retrying');
      }
      if (running) await sleep();
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    kick,
    inFlight: () => inflight.size,
    async stop() {
      running = false;
      wake?.();
      await loop;
      await Promise.allSettled([...inflight]);
    },
    async idle(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const depth = await outboxDepth(db);
        if (depth === 0 && inflight.size === 0) return;
        if (Date.now() > deadline) throw new Error(`outbox not idle after ${timeoutMs} ms (${depth} waiting)`);
        kick();
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}
