import type { Queryable } from './db.js';

export interface OutboxDraft {
  op: string;
  orderingKey: string;
  incidentId?: number | null;
  payload?: Record<string, unknown>;
  /** A second enqueue with the same key is ignored (e.g. one escalation ping per timer). */
  dedupeKey?: string | null;
  notBefore?: Date | null;
}

export interface OutboxRow {
  id: number;
  incidentId: number | null;
  orderingKey: string;
  op: string;
  payload: Record<string, unknown>;
  attempts: number;
  createdAt: Date;
  /** Why the previous attempt failed (null on the first attempt, or when a process died mid-call). */
  lastError: string | null;
}

/** Rows without notBefore are due at once, whatever clock the sender runs on (tests use a fake one). */
export async function enqueue(q: Queryable, items: OutboxDraft | OutboxDraft[]): Promise<number> {
  let n = 0;
  for (const it of Array.isArray(items) ? items : [items]) {
    const r = await q.query(
      `INSERT INTO outbox (incident_id, ordering_key, op, payload, dedupe_key, next_attempt_at)
       VALUES ($1, $2, $3, $4::jsonb, $5, COALESCE($6::timestamptz, 'epoch'::timestamptz))
       ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING`,
      [
        it.incidentId ?? null,
        it.orderingKey,
        it.op,
        JSON.stringify(it.payload ?? {}),
        it.dedupeKey ?? null,
        it.notBefore ?? null,
      ],
    );
    n += r.rowCount;
  }
  return n;
}

/**
 * Claims up to `limit` rows that are next in their ordering key (nothing older still open), leasing
 * them for `leaseMs`. The heads come from one pass over the open rows (DISTINCT ON over the partial
 * index), so a backlog of thousands costs one index scan rather than a comparison of every pair.
 * SKIP LOCKED lets replicas claim side by side; the status test on the locked row is re-checked by
 * PostgreSQL after a concurrent claim commits, so a row is never claimed twice.
 */
export async function claim(q: Queryable, now: Date, limit: number, leaseMs: number): Promise<OutboxRow[]> {
  const r = await q.query<Record<string, unknown>>(
    `UPDATE outbox SET status = 'inflight', locked_until = $2::timestamptz + ($3::int * interval '1 millisecond'), attempts = attempts + 1
     WHERE id IN (
       SELECT o.id FROM outbox o
       WHERE o.id IN (
           SELECT h.id FROM (
             SELECT DISTINCT ON (ordering_key) id, status, next_attempt_at, locked_until
             FROM outbox WHERE status IN ('pending', 'inflight')
             ORDER BY ordering_key, id) h
           WHERE h.status = 'pending' AND h.next_attempt_at <= $2 OR h.status = 'inflight' AND h.locked_until < $2
           ORDER BY h.id
           LIMIT $1)
         AND (o.status = 'pending' AND o.next_attempt_at <= $2 OR o.status = 'inflight' AND o.locked_until < $2)
       FOR UPDATE SKIP LOCKED)
     RETURNING id, incident_id, ordering_key, op, payload, attempts, created_at, last_error`,
    [limit, now, leaseMs],
  );
  return r.rows
    .map((x) => ({
      id: Number(x.id),
      incidentId: x.incident_id == null ? null : Number(x.incident_id),
      orderingKey: String(x.ordering_key),
      op: String(x.op),
      payload: (x.payload as Record<string, unknown>) ?? {},
      attempts: Number(x.attempts),
      createdAt: x.created_at as Date,
      lastError: (x.last_error as string | null) ?? null,
    }))
    .sort((a, b) => a.id - b.id);
}

/**
 * Gives back rows left in flight by a process that died. Only safe when no other process can be
 * sending: the embedded database, which one process owns at a time.
 */
export async function releaseInflight(q: Queryable): Promise<number> {
  const r = await q.query("UPDATE outbox SET status = 'pending', locked_until = NULL WHERE status = 'inflight'");
  return r.rowCount;
}

export async function markDone(q: Queryable, id: number, result: unknown = null): Promise<void> {
  await q.query(
    "UPDATE outbox SET status = 'done', done_at = now(), locked_until = NULL, result = $2::jsonb WHERE id = $1",
    [id, JSON.stringify(result ?? null)],
  );
}

export async function markRetry(q: Queryable, id: number, at: Date, error: string): Promise<void> {
  await q.query(
    "UPDATE outbox SET status = 'pending', locked_until = NULL, next_attempt_at = $2, last_error = $3 WHERE id = $1",
    [id, at, error.slice(0, 2000)],
  );
}

export async function markFailed(q: Queryable, id: number, error: string): Promise<void> {
  await q.query(
    "UPDATE outbox SET status = 'failed', locked_until = NULL, last_error = $2, done_at = now() WHERE id = $1",
    [id, error.slice(0, 2000)],
  );
}

export async function outboxDepth(q: Queryable): Promise<number> {
  const r = await q.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM outbox WHERE status IN ('pending', 'inflight')",
  );
  return Number(r.rows[0]?.n ?? 0);
}

/** Earliest time a pending row becomes claimable, so the sender can sleep exactly that long. */
export async function nextDue(q: Queryable): Promise<Date | null> {
  const r = await q.query<{ t: Date | null }>("SELECT min(next_attempt_at) AS t FROM outbox WHERE status = 'pending'");
  return r.rows[0]?.t ?? null;
}

/**
 * Frees a row's dedupe key once its handler has started, so the key dedupes only while the row is still waiting:
 * a change that commits after this enqueues a row of its own (coalescing "one pending edit per incident",
 * e.g. `slack.announceUpdate`). Returns whether the row still held a key.
 */
export async function releaseDedupeKey(q: Queryable, id: number): Promise<boolean> {
  const r = await q.query('UPDATE outbox SET dedupe_key = NULL WHERE id = $1 AND dedupe_key IS NOT NULL', [id]);
  return r.rowCount > 0;
}
