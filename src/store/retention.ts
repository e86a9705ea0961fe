import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { Db } from './db.js';

export interface RetentionResult {
  /** Finished (done or failed) outbox rows deleted. */
  outbox: number;
  /** Raw notification payloads dropped (the notification row stays, with its incident link). */
  payloads: number;
}

/**
 * Deletes finished outbox rows and drops raw alert notification payloads older than `days`, in batches
 * of `batch` rows, each its own short statement (no long locks; SKIP LOCKED leaves rows another replica
 * holds). Incidents, alerts, timelines and dead letters are kept: they are the audit.
 */
export async function purgeOnce(
  db: Db,
  opts: { now: Date; days: number; batch?: number; pauseMs?: number },
): Promise<RetentionResult> {
  const out: RetentionResult = { outbox: 0, payloads: 0 };
  if (!(opts.days > 0)) return out;
  const before = new Date(opts.now.getTime() - opts.days * 86_400_000);
  const batch = opts.batch ?? 500;
  for (;;) {
    const r = await db.query(
      `DELETE FROM outbox WHERE id IN (
         SELECT id FROM outbox WHERE status IN ('done', 'failed') AND done_at < $1
         ORDER BY done_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [before, batch],
    );
    out.outbox += r.rowCount;
    if (r.rowCount < batch) break;
    await sleep(opts.pauseMs ?? 20);
  }
  for (;;) {
    const n = await db.tx(async (q) => {
      const ids = await q.query<{ id: number }>(
        `SELECT id FROM alert_notifications WHERE received_at < $1 AND payload_purged_at IS NULL
         ORDER BY received_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [before, batch],
      );
      const list = ids.rows.map((x) => Number(x.id));
      if (!list.length) return 0;
      await q.query('DELETE FROM alert_notification_parts WHERE notification_id = ANY($1::int[])', [list]);
      await q.query(
        `UPDATE alert_notifications SET payload = '{}'::jsonb, body_parts = 0, payload_purged_at = $2
         WHERE id = ANY($1::int[])`,
        [list, opts.now],
      );
      return list.length;
    });
    out.payloads += n;
    if (n < batch) break;
    await sleep(opts.pauseMs ?? 20);
  }
  return out;
}

/** Bytes on disk per table of the current schema (heap, indexes and TOAST). */
export async function tableSizes(db: Db): Promise<Record<string, number>> {
  const r = await db.query<{ name: string; bytes: number }>(
    `SELECT c.relname AS name, pg_total_relation_size(c.oid)::bigint AS bytes
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r' AND n.nspname = current_schema()`,
  );
  return Object.fromEntries(r.rows.map((x) => [x.name, Number(x.bytes)]));
}

/**
 * Housekeeping in the background: retention every `everyMs` (first run a minute after start) and the
 * table-size and dead-letter gauges every `gaugeMs`.
 */
export function createRetentionWorker(deps: {
  db: Db;
  days: number;
  logger: Logger;
  metrics?: Metrics;
  now?: () => Date;
  everyMs?: number;
  gaugeMs?: number;
}) {
  const now = deps.now ?? (() => new Date());
  const timers: NodeJS.Timeout[] = [];
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const purge = () => {
    if (stopped) return;
    running = purgeOnce(deps.db, { now: now(), days: deps.days })
      .then((r) => {
        deps.metrics?.retentionDeleted.inc({ table: 'outbox' }, r.outbox);
        deps.metrics?.retentionDeleted.inc({ table: 'alert_notifications' }, r.payloads);
        if (r.outbox || r.payloads) deps.logger.info({ ...r, days: deps.days }, 'retention: old rows deleted');
      })
      .catch((err) => deps.logger.warn({ err }, 'retention run failed; trying again later'));
  };
  const gauges = async () => {
    if (stopped || !deps.metrics) return;
    try {
      for (const [table, bytes] of Object.entries(await tableSizes(deps.db)))
        deps.metrics.tableBytes.set({ table }, bytes);
      const dl = await deps.db.query<{ n: number }>('SELECT count(*)::int AS n FROM alert_dead_letters');
      deps.metrics.deadLetters.set(Number(dl.rows[0]?.n ?? 0));
    } catch (err) {
      deps.logger.debug({ err }, 'table sizes unavailable');
    }
  };
  return {
    start() {
      const first = setTimeout(purge, 60_000);
      const every = setInterval(purge, deps.everyMs ?? 3_600_000);
      const g = setInterval(() => void gauges(), deps.gaugeMs ?? 60_000);
      for (const t of [first, every, g]) t.unref();
      timers.push(first, every, g);
      void gauges();
    },
    async stop() {
      stopped = true;
      for (const t of timers) clearInterval(t);
      await running;
    },
  };
}
