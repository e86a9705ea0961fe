import pg from 'pg';
import { COALESCED_OPS, type OutboxPriority, outboxPriority } from '../outbox/priority.js';
import type { Db, Queryable } from './db.js';

export interface OutboxDraft {
  op: string;
  orderingKey: string;
  incidentId?: number | null;
  payload?: Record<string, unknown>;
  /** A second enqueue with the same key is ignored (e.g. one escalation ping per timer). */
  dedupeKey?: string | null;
  notBefore?: Date | null;
  /** Overrides the priority outbox/priority.ts gives the op (0 most urgent ... 4). */
  priority?: OutboxPriority;
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
  /** 0 (pings, pages) ... 4 (announcements): see outbox/priority.ts. */
  priority: OutboxPriority;
  /** The priority it was claimed at: lower than its own when a more urgent row waits behind it in its key. */
  claimPriority?: OutboxPriority;
}

/** Advisory lock space of "the open rows of one ordering key" (two-key form; migrations use a one-key lock). */
const KEY_LOCK = 7272;
/** "This row is open" for a table alias. */
const open = (t: string) => `${t}.status IN ('pending', 'inflight')`;

/**
 * Stores outbox rows in one statement, in the order given (ids follow that order, and an ordering key's rows
 * are sent in id order); returns how many were inserted. Each row gets its priority from outboxPriority (op,
 * payload, dedupe key and the severity of its incident, read in the same statement). A row with a dedupe key
 * already used is ignored; a header refresh while another one of the same key is pending is ignored too
 * (that one renders the incident when it is sent, so it shows this change as well). The pending one is
 * locked until this transaction commits, so it cannot be claimed and rendered without the change.
 * On PostgreSQL new rows are placed behind their key's open rows by the next claim (placeRows), under the
 * key's lock; on the embedded store (`q.serial`), where nothing runs concurrently, they are placed at once
 * by a second statement. Rows without notBefore are due at once, whatever clock the sender runs on.
 */
export async function enqueue(q: Queryable, items: OutboxDraft | OutboxDraft[]): Promise<number> {
  const drafts = withinCallCoalesced(Array.isArray(items) ? items : [items]);
  if (!drafts.length) return 0;
  const cols = {
    incident: [] as (number | null)[],
    key: [] as string[],
    op: [] as string[],
    payload: [] as string[],
    dedupe: [] as (string | null)[],
    notBefore: [] as (string | null)[],
    severe: [] as number[],
    mild: [] as number[],
    coalesce: [] as (string | null)[],
  };
  for (const it of drafts) {
    const extra = { payload: it.payload, dedupeKey: it.dedupeKey };
    cols.incident.push(it.incidentId ?? null);
    cols.key.push(it.orderingKey);
    cols.op.push(it.op);
    cols.payload.push(JSON.stringify(it.payload ?? {}));
    cols.dedupe.push(it.dedupeKey ?? null);
    cols.notBefore.push(it.notBefore?.toISOString() ?? null);
    cols.severe.push(it.priority ?? outboxPriority(it.op, 'P1', extra));
    cols.mild.push(it.priority ?? outboxPriority(it.op, 'P4', extra));
    cols.coalesce.push(coalesceKey(it));
  }
  const r = await q.query<{ id: number; inserted: boolean }>(ENQUEUE_SQL, Object.values(cols));
  if (r.rows.length) storedIn.add(q);
  const inserted = r.rows.filter((x) => x.inserted).map((x) => Number(x.id));
  if (q.serial && inserted.length) await place(q, 'o.id = ANY($1::int[])', [inserted]);
  return inserted.length;
}

/** Transactions (their Queryable) that stored or merged outbox rows: their commit wakes the sender. */
const storedIn = new WeakSet<Queryable>();

/**
 * Runs fn in a transaction; after it commits, calls `kick` (wakes the outbox sender) when the transaction
 * stored or merged outbox rows. A commit that stored none (a channel id saved by the sender's own handler, say)
 * wakes nobody: a claim would find nothing new.
 */
export async function commitThenKick<T>(db: Db, fn: (q: Queryable) => Promise<T>, kick?: () => void): Promise<T> {
  let stored = false;
  const out = await db.tx(async (q) => {
    const value = await fn(q);
    stored = storedIn.has(q);
    return value;
  });
  if (stored) kick?.();
  return out;
}

/** The pending-row key a coalesced op shares with its kind in one ordering key (COALESCED_OPS), or null. */
function coalesceKey(it: OutboxDraft): string | null {
  return COALESCED_OPS.has(it.op) && !it.dedupeKey ? `${it.op}:${it.orderingKey}` : null;
}

/**
 * One row per coalesce key within a single call (PostgreSQL refuses an upsert that touches a row twice):
 * the first stays where it is, due at the earliest of their due times.
 */
function withinCallCoalesced(drafts: OutboxDraft[]): OutboxDraft[] {
  const first = new Map<string, OutboxDraft>();
  const out: OutboxDraft[] = [];
  for (const it of drafts) {
    const key = coalesceKey(it);
    const seen = key ? first.get(key) : undefined;
    if (!key || !seen) {
      const copy = { ...it };
      if (key) first.set(key, copy);
      out.push(copy);
    } else if (seen.notBefore && (!it.notBefore || it.notBefore < seen.notBefore))
      seen.notBefore = it.notBefore ?? null;
  }
  return out;
}

/**
 * Ids are drawn in the order given before either insert runs, so rows keep their order whichever insert
 * (ignore-on-dedupe, or merge-on-coalesce) stores them. The incident is read only for rows whose priority
 * depends on its severity (severe <> mild).
 */
const ENQUEUE_SQL = `
  WITH input AS MATERIALIZED (
    SELECT nextval(pg_get_serial_sequence('outbox', 'id'))::int AS id, u.*
    FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::int[], $9::text[])
      WITH ORDINALITY AS u(incident_id, ordering_key, op, payload, dedupe_key, not_before, severe, mild, coalesce_key, ord)
  ), rows AS (
    SELECT input.*, COALESCE(input.not_before::timestamptz, 'epoch'::timestamptz) AS due,
      CASE WHEN input.severe = input.mild THEN input.severe
           WHEN i.severity IN ('P1', 'P2') THEN input.severe ELSE input.mild END AS p
    FROM input LEFT JOIN incidents i ON input.severe <> input.mild AND i.id = input.incident_id
  ), plain AS (
    INSERT INTO outbox (id, incident_id, ordering_key, op, payload, dedupe_key, next_attempt_at, priority, claim_priority)
    SELECT id, incident_id, ordering_key, op, payload::jsonb, dedupe_key, due, p, p FROM rows
    WHERE coalesce_key IS NULL ORDER BY ord
    ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
    RETURNING id, true AS inserted
  ), merged AS (
    INSERT INTO outbox (id, incident_id, ordering_key, op, payload, dedupe_key, next_attempt_at, priority, claim_priority, coalesce_key)
    SELECT id, incident_id, ordering_key, op, payload::jsonb, dedupe_key, due, p, p, coalesce_key FROM rows
    WHERE coalesce_key IS NOT NULL ORDER BY ord
    ON CONFLICT (coalesce_key) WHERE status = 'pending' AND coalesce_key IS NOT NULL
    DO UPDATE SET next_attempt_at = LEAST(outbox.next_attempt_at, EXCLUDED.next_attempt_at)
    RETURNING id, (xmax = 0) AS inserted
  )
  SELECT id, inserted FROM plain UNION ALL SELECT id, inserted FROM merged`;

/**
 * Places the unplaced rows `where` selects (alias o; its parameters from $1): a row with no older open row in
 * its key becomes the key's head, carrying the lowest priority of the key; others wait behind it (a row's
 * claim_priority counts only while it is a head). Each row costs two index lookups, however many rows its key
 * holds. A row more urgent than its key's existing head (a ping queued behind a header refresh) lifts that head,
 * so the key is claimed at the row's priority. One statement: the lift reads the placed rows from the first
 * part and changes only heads placed before, whose claim_priority the first part does not touch.
 * Returns how many rows were placed.
 */
async function place(q: Queryable, where: string, params: unknown[]): Promise<number> {
  const r = await q.query<{ placed: number }>(
    `WITH placed AS (
       UPDATE outbox t SET head = s.head, claim_priority = CASE WHEN s.head THEN s.top ELSE t.priority END
       FROM (SELECT o.id,
               NOT EXISTS (SELECT 1 FROM outbox p WHERE p.ordering_key = o.ordering_key AND ${open('p')} AND p.id < o.id) AS head,
               -- A head is the oldest open row: the lowest priority of its key is the lowest of all its open rows.
               (SELECT min(x.priority) FROM outbox x WHERE x.ordering_key = o.ordering_key AND ${open('x')}) AS top
             FROM outbox o WHERE ${where} AND o.head IS NULL AND o.status = 'pending') s
       WHERE t.id = s.id
       RETURNING t.ordering_key, t.priority, t.head
     ), lifted AS (
       UPDATE outbox h SET claim_priority = m.p
       FROM (SELECT ordering_key, min(priority) AS p FROM placed WHERE NOT head GROUP BY ordering_key) m
       WHERE h.ordering_key = m.ordering_key AND h.head AND ${open('h')} AND h.claim_priority > m.p
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM placed)::int AS placed, (SELECT count(*) FROM lifted)::int AS lifted`,
    params,
  );
  return Number(r.rows[0]?.placed ?? 0);
}

/**
 * Places rows enqueued since the last claim (at most `limit`, oldest first; see place). On PostgreSQL only keys
 * this transaction can lock are placed (a key another transaction is finishing or placing is placed by a later
 * claim), so this never waits; the placing statement comes after the locks, so its snapshot includes what a
 * finisher that held one of these keys committed. Returns how many rows were placed.
 */
export async function placeRows(q: Queryable, limit = 500): Promise<number> {
  const unplaced = `o.id IN (SELECT id FROM outbox WHERE head IS NULL AND status = 'pending' ORDER BY id LIMIT $1)`;
  if (q.serial) return place(q, unplaced, [limit]);
  const locked = await q.query<{ k: string }>(
    `SELECT k FROM (
       SELECT DISTINCT ordering_key AS k FROM (
         SELECT ordering_key FROM outbox WHERE head IS NULL AND status = 'pending' ORDER BY id LIMIT $1) f) keys
     WHERE pg_try_advisory_xact_lock(${KEY_LOCK}, hashtext(k))`,
    [limit],
  );
  if (!locked.rows.length) return 0;
  return place(q, `${unplaced} AND o.ordering_key = ANY($2::text[])`, [limit, locked.rows.map((r) => r.k)]);
}

/**
 * Claims up to `limit` rows and leases them for `leaseMs`: heads of their ordering key (nothing older still
 * open) that are due, lowest claim priority first, then the one due earliest (new rows are due at the
 * epoch, so in id order), then id; and rows whose lease expired (their process died). On PostgreSQL it first
 * places rows enqueued since the last claim (placeRows) unless `opts.place` is false (the caller knows nothing
 * was stored since its last claim); the embedded store placed them when they were stored. Each priority is one
 * range scan of the claimable-heads index, so a claim costs O(limit · log n) whatever the backlog, and rows
 * waiting for a retry are never read.
 * SKIP LOCKED lets replicas claim side by side; the conditions on the locked row are re-checked by
 * PostgreSQL after a concurrent claim commits, so a row is never claimed twice.
 */
export async function claim(
  q: Queryable,
  now: Date,
  limit: number,
  leaseMs: number,
  opts: { place?: boolean } = {},
): Promise<OutboxRow[]> {
  // The embedded store placed every row when it was stored (enqueue).
  if (!q.serial && opts.place !== false) await placeRows(q);
  const r = await q.query<Record<string, unknown>>(
    `WITH candidates AS MATERIALIZED (
       SELECT c.id FROM generate_series(0, 4) AS p(n), LATERAL (
         SELECT id FROM outbox
         WHERE head AND status = 'pending' AND claim_priority = p.n AND next_attempt_at <= $2
         ORDER BY next_attempt_at, id LIMIT $1) c
       UNION ALL
       (SELECT id FROM outbox WHERE status = 'inflight' AND locked_until < $2 ORDER BY locked_until LIMIT $1)
     ), picked AS (
       SELECT o.id FROM outbox o
       -- Looked up by id; re-checked on the locked version (a CASE, so the planner does not scan an index for it).
       WHERE o.id = ANY (ARRAY(SELECT id FROM candidates)) AND CASE o.status WHEN 'pending' THEN o.head AND o.next_attempt_at <= $2
                           WHEN 'inflight' THEN o.locked_until < $2 ELSE false END
       ORDER BY o.claim_priority, o.next_attempt_at, o.id
       LIMIT $1
       FOR UPDATE SKIP LOCKED)
     UPDATE outbox SET status = 'inflight', locked_until = $2::timestamptz + ($3::int * interval '1 millisecond'),
       attempts = attempts + 1, coalesce_key = NULL
     FROM picked WHERE outbox.id = picked.id
     RETURNING outbox.id, incident_id, ordering_key, op, payload, attempts, created_at, last_error, priority, claim_priority, next_attempt_at`,
    [limit, now, leaseMs],
  );
  return r.rows
    .sort(
      (a, b) =>
        Number(a.claim_priority) - Number(b.claim_priority) ||
        (a.next_attempt_at as Date).getTime() - (b.next_attempt_at as Date).getTime() ||
        Number(a.id) - Number(b.id),
    )
    .map((x) => ({
      id: Number(x.id),
      incidentId: x.incident_id == null ? null : Number(x.incident_id),
      orderingKey: String(x.ordering_key),
      op: String(x.op),
      payload: (x.payload as Record<string, unknown>) ?? {},
      attempts: Number(x.attempts),
      createdAt: x.created_at as Date,
      lastError: (x.last_error as string | null) ?? null,
      priority: Number(x.priority) as OutboxPriority,
      claimPriority: Number(x.claim_priority) as OutboxPriority,
    }));
}

/**
 * The claim as it was before migration 031: every open row sorted per key (DISTINCT ON) on each claim.
 * Kept for the bench's before/after figure only; it ignores priorities.
 */
export async function claimByScan(q: Queryable, now: Date, limit: number, leaseMs: number): Promise<number> {
  const r = await q.query(
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
       FOR UPDATE SKIP LOCKED)`,
    [limit, now, leaseMs],
  );
  return r.rowCount;
}

/** The statement that ends row `id` and promotes the next open row of its key (ids and values as SQL text). */
const endAndPromote = (id: string, set: string) =>
  // The subqueries see the row as it was before this statement: it is left out by id.
  `WITH ended AS (
     UPDATE outbox SET ${set}, locked_until = NULL, coalesce_key = NULL WHERE id = ${id} RETURNING ordering_key)
   UPDATE outbox o SET head = true,
     claim_priority = (SELECT min(x.priority) FROM outbox x WHERE x.ordering_key = o.ordering_key AND ${open('x')} AND x.id <> ${id})
   WHERE o.id = (SELECT min(p.id) FROM outbox p JOIN ended e ON p.ordering_key = e.ordering_key
                 WHERE ${open('p')} AND p.id <> ${id})`;

/**
 * Ends a row (done or failed: `set` assigns the columns, its one value as `$2`) and makes the next open row of
 * its key the head, with the lowest priority left in the key. On PostgreSQL the key's lock is taken first, in a
 * statement of its own, so a row placed meanwhile (placeRows) sees the row ended, and the ending statement's
 * snapshot sees every placement committed before the lock was ours. Given the pool, both statements go in one
 * round trip, as one simple query that PostgreSQL runs as one transaction (values inlined as quoted literals);
 * inside a caller's transaction, as two. On the embedded store nothing interleaves: one statement, no transaction.
 */
async function finish(q: Queryable, id: number, set: (value: string) => string, value: string): Promise<void> {
  if (!Number.isSafeInteger(id)) throw new Error(`outbox row id ${id} is not an integer`);
  if (q.serial) {
    await q.query(endAndPromote('$1', set('$2')), [id, value]);
    return;
  }
  const lock = (idText: string) =>
    `SELECT pg_advisory_xact_lock(${KEY_LOCK}, hashtext(ordering_key))::text FROM outbox WHERE id = ${idText}`;
  const db = q as Partial<Db>;
  if (typeof db.tx === 'function' && typeof db.exec === 'function') {
    await db.exec(`${lock(String(id))};\n${endAndPromote(String(id), set(pg.escapeLiteral(value)))}`);
    return;
  }
  const locked = await q.query(lock('$1'), [id]);
  if (locked.rows.length) await q.query(endAndPromote('$1', set('$2')), [id, value]);
}

/**
 * Ends the pending rows of one ordering key that match `filter` without sending them (`result` recorded as
 * theirs): the Slack work of an incident folded into a storm, say. When the key's head was among them, the
 * next open row becomes the head, as when a row finishes (finish), under the key's lock on PostgreSQL.
 * Returns how many rows were ended.
 */
export async function skipPending(
  q: Queryable,
  orderingKey: string,
  filter: { incidentId?: number; opLike?: string },
  result: Record<string, unknown>,
): Promise<number> {
  if (!q.serial) await q.query(`SELECT pg_advisory_xact_lock(${KEY_LOCK}, hashtext($1))::text`, [orderingKey]);
  const r = await q.query(
    `UPDATE outbox SET status = 'done', done_at = now(), result = $4::jsonb, coalesce_key = NULL
     WHERE ordering_key = $1 AND status = 'pending'
       AND ($2::int IS NULL OR incident_id = $2::int) AND ($3::text IS NULL OR op LIKE $3::text)`,
    [orderingKey, filter.incidentId ?? null, filter.opLike ?? null, JSON.stringify(result)],
  );
  if (!r.rowCount) return 0;
  // A new statement: it sees the rows just ended. A head still open (in flight, or not skipped) stays the head.
  await q.query(
    `UPDATE outbox SET head = true,
       claim_priority = (SELECT min(x.priority) FROM outbox x WHERE x.ordering_key = $1 AND ${open('x')})
     WHERE id = (SELECT min(id) FROM outbox WHERE ordering_key = $1 AND ${open('outbox')})
       AND NOT EXISTS (SELECT 1 FROM outbox h WHERE h.ordering_key = $1 AND h.head AND ${open('h')})`,
    [orderingKey],
  );
  return r.rowCount;
}

/**
 * Gives back rows left in flight by a process that died. Only safe when no other process can be
 * sending: the embedded database, which one process owns at a time.
 */
export async function releaseInflight(q: Queryable): Promise<number> {
  const r = await q.query("UPDATE outbox SET status = 'pending', locked_until = NULL WHERE status = 'inflight'");
  return r.rowCount;
}

/** Records a row sent; the next row of its key becomes claimable. */
export async function markDone(q: Queryable, id: number, result: unknown = null): Promise<void> {
  await finish(q, id, (v) => `status = 'done', done_at = now(), result = ${v}::jsonb`, JSON.stringify(result ?? null));
}

/** Gives a row back for another attempt at `at`; it stays its key's head. */
export async function markRetry(q: Queryable, id: number, at: Date, error: string): Promise<void> {
  await q.query(
    "UPDATE outbox SET status = 'pending', locked_until = NULL, next_attempt_at = $2, last_error = $3 WHERE id = $1",
    [id, at, error.slice(0, 2000)],
  );
}

/**
 * Puts a row back until `at` without counting an attempt (nothing was sent: it waited for the Slack
 * budget); last_error stays what the previous attempt left.
 */
export async function markDeferred(q: Queryable, id: number, at: Date): Promise<void> {
  await q.query(
    "UPDATE outbox SET status = 'pending', locked_until = NULL, next_attempt_at = $2, attempts = greatest(0, attempts - 1) WHERE id = $1",
    [id, at],
  );
}

/** Records a row failed for good; the next row of its key becomes claimable. */
export async function markFailed(q: Queryable, id: number, error: string): Promise<void> {
  await finish(q, id, (v) => `status = 'failed', last_error = ${v}, done_at = now()`, error.slice(0, 2000));
}

/**
 * Makes the oldest open row of every key its head where none is (rows finished by a process that did not
 * keep heads, e.g. during a rolling upgrade from before migration 031). Reads every open row: run it
 * rarely (the sender does once a minute). Returns how many heads it set.
 */
export async function repairHeads(q: Queryable): Promise<number> {
  const r = await q.query(
    `UPDATE outbox o SET head = true, claim_priority = k.top
     FROM (SELECT ordering_key, min(id) AS first_id, min(priority) AS top FROM outbox
           WHERE status IN ('pending', 'inflight') GROUP BY ordering_key) k
     WHERE o.id = k.first_id AND o.head IS DISTINCT FROM true
       AND NOT EXISTS (SELECT 1 FROM outbox h WHERE h.ordering_key = k.ordering_key AND h.head AND ${open('h')})`,
  );
  return r.rowCount;
}

export async function outboxDepth(q: Queryable): Promise<number> {
  const r = await q.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM outbox WHERE status IN ('pending', 'inflight')",
  );
  return Number(r.rows[0]?.n ?? 0);
}

/**
 * Earliest time a row becomes claimable (a head's retry time, a lease ending, or, on PostgreSQL, now when rows
 * wait to be placed), so the sender can sleep exactly that long. A few index lookups, whatever the backlog.
 */
export async function nextDue(q: Queryable): Promise<Date | null> {
  const r = await q.query<{ t: Date | null }>(
    `SELECT least(
       (SELECT min(t) FROM generate_series(0, 4) AS p(n), LATERAL (
          SELECT next_attempt_at AS t FROM outbox WHERE head AND status = 'pending' AND claim_priority = p.n
          ORDER BY next_attempt_at LIMIT 1) h),
       (SELECT min(locked_until) FROM outbox WHERE status = 'inflight')${
         // The embedded store places rows when they are stored (enqueue).
         q.serial
           ? ''
           : `,
       (SELECT 'epoch'::timestamptz FROM outbox WHERE head IS NULL AND status = 'pending' LIMIT 1)`
       }) AS t`,
  );
  return r.rows[0]?.t ?? null;
}
