import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Db, Queryable } from '../store/db.js';
import { commitThenKick, enqueue, type OutboxDraft } from '../store/outbox.js';
import { type ClaimedTimer, claimDue, markFailed, markMoot, nextDueAt, type TimerRow } from '../store/timers.js';
import { isMoot } from './schedule.js';

export interface FireContext {
  /** Fired more than `lateAfterMs` after its due time: it became due while the bot was down or stalled. */
  late: boolean;
  lagMs: number;
  now: Date;
}

/**
 * Called once per due timer, inside the claiming transaction. Write the consequences (timeline event, the next
 * reminder) with `q` only — no network calls here — and return the outbox rows (the Slack ping, a PagerDuty
 * trigger): the worker stores the rows of the whole batch in one statement before it commits, together with the
 * timers' fired state, which is what makes firing exactly-once. Throwing rolls back this timer's writes
 * (savepoint) and drops its rows, and the timer is retried later; the other timers of the batch still fire.
 */
export type FireFn = (q: Queryable, timer: TimerRow, ctx: FireContext) => Promise<OutboxDraft[] | undefined>;

export interface TimerWorkerOptions {
  db: Db;
  logger: Logger;
  metrics?: Metrics;
  /** Longest sleep between looks at the table (other replicas insert timers too). TIMER_POLL_MS. */
  pollMs: number;
  /**
   * Timers claimed per transaction. Default 50: each firing runs in its own savepoint (subtransaction), and
   * PostgreSQL tracks up to 64 per transaction cheaply before snapshots get slower for everyone.
   */
  batch?: number;
  now?: () => Date;
  fire: FireFn;
  /** Called after a batch that stored outbox rows committed (wakes the outbox sender). */
  kick?: () => void;
  /** Lag beyond which a firing counts as late. Default: 5 poll intervals, at least 5 s. */
  lateAfterMs?: number;
  /** First retry delay of a timer whose `fire` threw; doubles per attempt up to retryMaxMs. */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

export interface TimerWorker {
  start(): void;
  stop(): Promise<void>;
  /** Fires everything due now (several batches if needed); returns how many fired. */
  tick(): Promise<number>;
  /** Look again right away (this replica just stored a timer due soon). */
  wake(): void;
}

const MAX_BATCHES_PER_TICK = 20;
const MIN_SLEEP_MS = 1;
const BUSY_BACKOFF_MS = 50;

export function createTimerWorker(opts: TimerWorkerOptions): TimerWorker {
  const { db, logger, metrics, pollMs, fire } = opts;
  const batch = opts.batch ?? 50;
  const clock = opts.now ?? (() => new Date());
  const lateAfterMs = opts.lateAfterMs ?? Math.max(5 * pollMs, 5000);
  const retryBaseMs = opts.retryBaseMs ?? 5000;
  const retryMaxMs = opts.retryMaxMs ?? 5 * 60_000;
  const log = logger.child({ component: 'timer-worker' });

  let running = false;
  let sleeper: NodeJS.Timeout | null = null;
  let loopDone: Promise<void> = Promise.resolve();
  // Ticks run one after another: the loop and a caller's tick() never claim at the same time.
  let chain: Promise<unknown> = Promise.resolve();

  /**
   * One transaction: claim and mark the batch fired (one statement), cancel the moot ones, run `fire` for
   * each under a savepoint, store the outbox rows they returned (one statement), commit. Returns [claimed, fired].
   */
  async function runBatch(): Promise<[number, number]> {
    const fired: { timer: ClaimedTimer; ctx: FireContext }[] = [];
    const claimed = await commitThenKick(
      db,
      async (q) => {
        const rows: OutboxDraft[] = [];
        const now = clock();
        const due = await claimDue(q, now, batch, lateAfterMs);
        const moot = due.filter((t) => isMoot(t, t.incident));
        await markMoot(
          q,
          moot.map((t) => t.id),
        );
        for (const t of moot)
          log.info({ timerId: t.id, incidentId: t.incidentId, kind: t.kind }, 'timer no longer needed; cancelled');
        for (const t of due) {
          if (moot.includes(t)) continue;
          const ctx: FireContext = { late: t.late, lagMs: Math.max(0, now.getTime() - t.dueAt.getTime()), now };
          // A savepoint per timer rather than a transaction per timer: one commit per batch keeps a backlog
          // of thousands fast, and a failing `fire` still loses only its own writes. Not released on
          // success: the next SAVEPOINT of the same name shadows it, saving a round trip per timer.
          await q.query('SAVEPOINT timer_fire');
          try {
            const { incident: _incident, ...row } = t;
            rows.push(...((await fire(q, row, ctx)) ?? []));
            fired.push({ timer: t, ctx });
          } catch (err) {
            await q.query('ROLLBACK TO SAVEPOINT timer_fire');
            const delay = Math.min(retryBaseMs * 2 ** Math.min(t.attempts, 20), retryMaxMs);
            const message = err instanceof Error ? err.message : String(err);
            await markFailed(q, t.id, new Date(now.getTime() + delay), message);
            log[t.attempts >= 5 ? 'error' : 'warn'](
              {
                timerId: t.id,
                incidentId: t.incidentId,
                kind: t.kind,
                attempts: t.attempts + 1,
                retryInMs: delay,
                err,
              },
              'firing a timer failed; will retry',
            );
          }
        }
        // One statement for the batch's outbox rows (a timer's own rows stay in its order).
        await enqueue(q, rows);
        return due.length;
      },
      opts.kick,
    );
    // Counted after commit, so a rolled-back batch is not reported as fired.
    const committedAt = clock().getTime();
    for (const { timer, ctx } of fired) {
      metrics?.timerLag.observe(Math.max(0, committedAt - timer.dueAt.getTime()) / 1000);
      metrics?.timersFired.inc({ kind: timer.kind, late: String(ctx.late) });
      log.info(
        { timerId: timer.id, incidentId: timer.incidentId, kind: timer.kind, lagMs: ctx.lagMs, late: ctx.late },
        'timer fired',
      );
    }
    return [claimed, fired.length];
  }

  async function drain(): Promise<number> {
    let total = 0;
    for (let i = 0; i < MAX_BATCHES_PER_TICK; i++) {
      const [claimed, fired] = await runBatch();
      total += fired;
      if (claimed < batch) break;
    }
    return total;
  }

  function tick(): Promise<number> {
    const run = chain.then(drain, drain);
    chain = run.catch(() => {});
    return run;
  }

  /** Fire what is due, then sleep until the next due time, never longer than pollMs. */
  async function loop(): Promise<void> {
    if (!running) return;
    let delay = pollMs;
    try {
      // Idle polls cost one index lookup, not a claiming transaction: only claim when something is due.
      let next = await nextDueAt(db);
      let stuck = false;
      if (next && next.getTime() <= clock().getTime()) {
        stuck = (await tick()) === 0;
        next = await nextDueAt(db);
      }
      if (next) delay = Math.min(pollMs, Math.max(MIN_SLEEP_MS, next.getTime() - clock().getTime() + 1));
      // Due rows we could not claim are held by another replica (or just went moot): don't spin on them.
      if (stuck && delay < BUSY_BACKOFF_MS) delay = Math.min(pollMs, BUSY_BACKOFF_MS);
    } catch (err) {
      log.error({ err }, 'timer worker tick failed; retrying after the poll interval');
    }
    schedule(delay);
  }

  function schedule(delay: number) {
    if (!running) return;
    if (sleeper) clearTimeout(sleeper);
    sleeper = setTimeout(() => {
      sleeper = null;
      loopDone = loop();
    }, delay);
  }

  return {
    start() {
      if (running) return;
      running = true;
      log.info({ pollMs, batch, lateAfterMs }, 'timer worker started');
      loopDone = loop();
    },
    async stop() {
      running = false;
      if (sleeper) clearTimeout(sleeper);
      sleeper = null;
      await loopDone;
      await chain;
    },
    tick,
    wake() {
      if (running && sleeper) schedule(0);
    },
  };
}
