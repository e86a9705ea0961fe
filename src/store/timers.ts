import { z } from 'zod';
import type { TimerDraft } from '../escalation/schedule.js';
import type { Queryable } from './db.js';

/** A stored timer (table `timers`, 001_initial.sql + 010_escalation.sql). */
export const TimerRow = z.object({
  id: z.number().int(),
  incidentId: z.number().int(),
  kind: z.string(),
  dueAt: z.date(),
  status: z.enum(['pending', 'fired', 'cancelled']),
  target: z.string().nullable(),
  severity: z.string().nullable(),
  condition: z.string().nullable(),
  text: z.string(),
  cancelOn: z.string().nullable(),
  source: z.string().nullable(),
  firedAt: z.date().nullable(),
  late: z.boolean(),
  data: z.record(z.unknown()),
  createdAt: z.date(),
  attempts: z.number().int(),
  retryAt: z.date().nullable(),
  lastError: z.string().nullable(),
});
export type TimerRow = z.infer<typeof TimerRow>;

/** A claimed timer with the incident state the worker needs to tell a missed cancel from a real firing. */
export type ClaimedTimer = TimerRow & { incident: { status: string | null; ackedAt: Date | null } | null };

const COLS =
  'id, incident_id, kind, due_at, status, target, severity, condition, text, cancel_on, source, fired_at, late, data, created_at, attempts, retry_at, last_error';
const T_COLS = COLS.split(', ')
  .map((c) => `t.${c}`)
  .join(', ');

const toDate = (v: unknown): Date | null => (v == null ? null : v instanceof Date ? v : new Date(String(v)));
const str = (v: unknown): string | null => (v == null ? null : String(v));

export function rowToTimer(r: Record<string, unknown>): TimerRow {
  return {
    id: Number(r.id),
    incidentId: Number(r.incident_id),
    kind: String(r.kind),
    dueAt: toDate(r.due_at) as Date,
    status: r.status as TimerRow['status'],
    target: str(r.target),
    severity: str(r.severity),
    condition: str(r.condition),
    text: String(r.text ?? ''),
    cancelOn: str(r.cancel_on),
    source: str(r.source),
    firedAt: toDate(r.fired_at),
    late: Boolean(r.late),
    data: (r.data as Record<string, unknown>) ?? {},
    createdAt: toDate(r.created_at) as Date,
    attempts: Number(r.attempts ?? 0),
    retryAt: toDate(r.retry_at),
    lastError: str(r.last_error),
  };
}

/** Rows per INSERT: one round trip per chunk keeps 100,000 timers to a few seconds on both backends. */
const CHUNK = 5000;

/** Stores drafts as pending timers; returns how many were inserted. */
export async function insertTimers(q: Queryable, incidentId: number, drafts: TimerDraft[]): Promise<number> {
  let n = 0;
  for (let i = 0; i < drafts.length; i += CHUNK) {
    const rows = drafts.slice(i, i + CHUNK).map((d) => ({
      kind: d.kind,
      due_at: d.dueAt.toISOString(),
      target: d.target,
      severity: d.severity,
      condition: d.condition,
      text: d.text,
      cancel_on: d.cancelOn,
      source: d.source,
      data: { ...d.data, afterMinutes: d.afterMinutes },
    }));
    const r = await q.query(
      `INSERT INTO timers (incident_id, kind, due_at, target, severity, condition, text, cancel_on, source, data)
       SELECT $1, x.kind, x.due_at, x.target, x.severity, x.condition, x.text, x.cancel_on, x.source, x.data
       FROM jsonb_to_recordset($2::jsonb) AS x(kind text, due_at timestamptz, target text, severity text,
         condition text, text text, cancel_on text, source text, data jsonb)`,
      [incidentId, JSON.stringify(rows)],
    );
    n += r.rowCount;
  }
  return n;
}

/** Cancels the incident's pending timers whose cancel_on is one of `cancelOn` (see cancelKinds). */
export async function cancelTimers(q: Queryable, incidentId: number, cancelOn: string[]): Promise<number> {
  if (!cancelOn.length) return 0;
  const r = await q.query(
    `UPDATE timers SET status = 'cancelled' WHERE incident_id = $1 AND status = 'pending' AND cancel_on = ANY($2::text[])`,
    [incidentId, cancelOn],
  );
  return r.rowCount;
}

/** Cancels every pending timer of the incident (closing it, deleting the channel). */
export async function cancelAllPending(q: Queryable, incidentId: number): Promise<number> {
  const r = await q.query(`UPDATE timers SET status = 'cancelled' WHERE incident_id = $1 AND status = 'pending'`, [
    incidentId,
  ]);
  return r.rowCount;
}

/**
 * Severity changed: cancels the pending planned timers (section/document/default, snoozed copies too) and
 * stores the new plan. Due times stay counted from the incident start, so a timer already overdue under
 * the new severity is due `now` (original due time kept in data.plannedDueAt); a timer whose kind and
 * target already fired is not stored again (no second ack ping for the same incident). Reminder drafts
 * replace the pending reminder of the same name. Run it in the transaction that changes the severity.
 */
export async function rescheduleForSeverity(
  q: Queryable,
  incidentId: number,
  drafts: TimerDraft[],
  now: Date,
): Promise<{ cancelled: number; inserted: number }> {
  const c = await q.query(
    `UPDATE timers SET status = 'cancelled'
     WHERE incident_id = $1 AND status = 'pending' AND source IN ('section', 'document', 'default')`,
    [incidentId],
  );
  const fired = await q.query<{ kind: string; target: string | null }>(
    `SELECT DISTINCT kind, lower(coalesce(target, '')) AS target FROM timers WHERE incident_id = $1 AND status = 'fired'`,
    [incidentId],
  );
  const done = new Set(fired.rows.map((r) => `${r.kind}|${r.target ?? ''}`));
  let inserted = 0;
  const planned: TimerDraft[] = [];
  for (const d of drafts) {
    if (d.source === 'reminder') {
      inserted += await replaceReminder(q, incidentId, d);
      continue;
    }
    if (done.has(`${d.kind}|${(d.target ?? '').toLowerCase()}`)) continue;
    planned.push(d.dueAt < now ? { ...d, dueAt: now, data: { ...d.data, plannedDueAt: d.dueAt.toISOString() } } : d);
  }
  inserted += await insertTimers(q, incidentId, planned);
  return { cancelled: c.rowCount, inserted };
}

/**
 * Replaces the pending reminder with the same `data.reminder` name (e.g. 'update') by `draft`: call it
 * when an update is posted, with `updateReminder(severity, postedAt, minutes)`.
 */
export async function replaceReminder(q: Queryable, incidentId: number, draft: TimerDraft): Promise<number> {
  const name = String(draft.data.reminder ?? 'update');
  await q.query(
    `UPDATE timers SET status = 'cancelled'
     WHERE incident_id = $1 AND status = 'pending' AND kind = 'reminder' AND coalesce(data->>'reminder', 'update') = $2`,
    [incidentId, name],
  );
  return insertTimers(q, incidentId, [{ ...draft, data: { ...draft.data, reminder: name } }]);
}

/** All timers of an incident, pending and done, in due order (`/incident timers`). */
export async function listTimers(q: Queryable, incidentId: number): Promise<TimerRow[]> {
  const r = await q.query(`SELECT ${COLS} FROM timers WHERE incident_id = $1 ORDER BY due_at, id`, [incidentId]);
  return r.rows.map(rowToTimer);
}

/** The next pending timer worth a countdown in the header; phase and reminder nudges are left out. */
export async function nextPending(q: Queryable, incidentId: number): Promise<TimerRow | null> {
  const r = await q.query(
    `SELECT ${COLS} FROM timers
     WHERE incident_id = $1 AND status = 'pending' AND kind NOT IN ('phase', 'reminder')
     ORDER BY due_at, id LIMIT 1`,
    [incidentId],
  );
  return r.rows[0] ? rowToTimer(r.rows[0]) : null;
}

export async function getTimer(q: Queryable, id: number): Promise<TimerRow | null> {
  const r = await q.query(`SELECT ${COLS} FROM timers WHERE id = $1`, [id]);
  return r.rows[0] ? rowToTimer(r.rows[0]) : null;
}

/**
 * "Snooze 10 min" on an escalation ping. A pending timer moves to at least now + minutes. A fired timer
 * gets one pending copy due at now + minutes (a second click moves that copy rather than adding another);
 * the copy keeps the original's cancel_on, so an ack or resolve still stops it. Returns the pending timer,
 * or null when the timer is unknown or cancelled.
 */
export async function snoozeTimer(q: Queryable, timerId: number, minutes: number, now: Date): Promise<TimerRow | null> {
  const until = new Date(now.getTime() + minutes * 60_000);
  const cur = await q.query(`SELECT ${COLS} FROM timers WHERE id = $1 FOR UPDATE`, [timerId]);
  if (!cur.rows[0]) return null;
  const t = rowToTimer(cur.rows[0]);
  if (t.status === 'cancelled') return null;
  if (t.status === 'pending') {
    const r = await q.query(
      `UPDATE timers SET due_at = GREATEST(due_at, $2::timestamptz), retry_at = NULL WHERE id = $1 RETURNING ${COLS}`,
      [timerId, until],
    );
    return rowToTimer(r.rows[0]!);
  }
  const root = Number(t.data.snoozeOf ?? t.id);
  const moved = await q.query(
    `UPDATE timers SET due_at = $3 WHERE incident_id = $1 AND status = 'pending' AND (data->>'snoozeOf')::int = $2
     RETURNING ${COLS}`,
    [t.incidentId, root, until],
  );
  if (moved.rows[0]) return rowToTimer(moved.rows[0]);
  const copy = await q.query(
    `INSERT INTO timers (incident_id, kind, due_at, target, severity, condition, text, cancel_on, source, data)
     SELECT incident_id, kind, $2, target, severity, condition, text, cancel_on, source,
            data || jsonb_build_object('snoozeOf', $3::int, 'snoozedMinutes', $4::int)
     FROM timers WHERE id = $1
     RETURNING ${COLS}`,
    [timerId, until, root, Math.round(minutes)],
  );
  return rowToTimer(copy.rows[0]!);
}

/** Timer kinds a snooze pauses: the ones that page people. */
export const SNOOZABLE_KINDS = ['acknowledge', 'escalate', 'declare'] as const;

/**
 * Snoozes an incident: every pending acknowledge/escalate/declare timer due before `until` moves to
 * `until`; each remembers its own due time (data.snoozedFrom, epoch ms; a snoozed re-ping copy remembers
 * `now`) so ending the snooze early puts it back. Every pending one of those kinds is stamped with
 * data.snoozedUntil. Returns the timers the snooze holds back (moved now or by an earlier snooze).
 */
export async function snoozeIncident(q: Queryable, incidentId: number, until: Date, now: Date): Promise<TimerRow[]> {
  const r = await q.query(
    `UPDATE timers SET
       data = data || jsonb_build_object(
         'snoozedUntil', to_jsonb(floor(extract(epoch from $2::timestamptz) * 1000)::bigint),
         'snoozedFrom', COALESCE(data->'snoozedFrom',
           CASE WHEN data ? 'snoozeOf' THEN to_jsonb($3::bigint)
                ELSE to_jsonb(floor(extract(epoch from due_at) * 1000)::bigint) END)),
       due_at = GREATEST(due_at, $2::timestamptz), retry_at = NULL
     WHERE incident_id = $1 AND status = 'pending' AND kind = ANY($4::text[])
       AND (due_at <= $2::timestamptz OR data ? 'snoozedFrom')
     RETURNING ${COLS}`,
    [incidentId, until, now.getTime(), [...SNOOZABLE_KINDS]],
  );
  return r.rows.map(rowToTimer).sort((a, b) => +a.dueAt - +b.dueAt || a.id - b.id);
}

/**
 * Ends an incident's snooze early: every pending timer it holds goes back to its own due time (firing
 * at once when that has passed). Returns the timers released; empty when nothing was snoozed.
 */
export async function endSnooze(q: Queryable, incidentId: number): Promise<TimerRow[]> {
  const r = await q.query(
    `UPDATE timers SET due_at = to_timestamp((data->>'snoozedFrom')::bigint / 1000.0),
       data = data - 'snoozedFrom' - 'snoozedUntil', retry_at = NULL
     WHERE incident_id = $1 AND status = 'pending' AND data ? 'snoozedFrom'
     RETURNING ${COLS}`,
    [incidentId],
  );
  return r.rows.map(rowToTimer).sort((a, b) => +a.dueAt - +b.dueAt || a.id - b.id);
}

/** When the incident's snooze ends, or null when no pending timer is snoozed past `now`. */
export async function snoozedUntil(q: Queryable, incidentId: number, now: Date): Promise<Date | null> {
  const r = await q.query<{ ms: string | number | null }>(
    `SELECT max((data->>'snoozedUntil')::bigint) AS ms FROM timers
     WHERE incident_id = $1 AND status = 'pending' AND data ? 'snoozedUntil'`,
    [incidentId],
  );
  const ms = r.rows[0]?.ms;
  return ms != null && Number(ms) > now.getTime() ? new Date(Number(ms)) : null;
}

/**
 * Claims up to `limit` pending timers due at `now` (and not waiting out a retry), oldest first, and marks
 * them fired in the same statement (fired_at = now, late when now - due_at > lateAfterMs). SKIP LOCKED lets
 * replicas claim side by side: a row another worker holds is skipped, and once that worker commits the
 * row is no longer pending. Must run inside the transaction that writes each timer's consequences; a
 * timer whose consequences fail goes back to pending with markFailed.
 */
export async function claimDue(q: Queryable, now: Date, limit: number, lateAfterMs = 0): Promise<ClaimedTimer[]> {
  const r = await q.query(
    `WITH c AS (
       SELECT id FROM timers
       WHERE status = 'pending' AND due_at <= $1 AND (retry_at IS NULL OR retry_at <= $1)
       ORDER BY due_at, id
       LIMIT $2
       FOR UPDATE SKIP LOCKED
     ), u AS (
       UPDATE timers t SET status = 'fired', fired_at = $1, retry_at = NULL,
              late = ($1::timestamptz - t.due_at) > ($3::int * interval '1 millisecond')
       FROM c WHERE t.id = c.id
       RETURNING ${T_COLS}
     )
     SELECT u.*, i.status AS incident_status, i.acked_at AS incident_acked_at, (i.id IS NOT NULL) AS has_incident
     FROM u LEFT JOIN incidents i ON i.id = u.incident_id
     ORDER BY u.due_at, u.id`,
    [now, limit, Math.round(lateAfterMs)],
  );
  return r.rows.map((row) => ({
    ...rowToTimer(row),
    incident: row.has_incident ? { status: str(row.incident_status), ackedAt: toDate(row.incident_acked_at) } : null,
  }));
}

/** The incident already did what these timers waited for: cancel them, saying why. */
export async function markMoot(q: Queryable, ids: number[]): Promise<void> {
  if (!ids.length) return;
  await q.query(
    `UPDATE timers SET status = 'cancelled', fired_at = NULL, late = false,
       data = data || '{"cancelledBy":"worker:moot"}'::jsonb
     WHERE id = ANY($1::int[])`,
    [ids],
  );
}

/** Firing failed: back to pending, retried at `retryAt`. */
export async function markFailed(q: Queryable, id: number, retryAt: Date, error: string): Promise<void> {
  await q.query(
    `UPDATE timers SET status = 'pending', fired_at = NULL, late = false, attempts = attempts + 1, retry_at = $2,
       last_error = $3
     WHERE id = $1`,
    [id, retryAt, error.slice(0, 2000)],
  );
}

/**
 * Earliest moment a pending timer becomes claimable, read from the two partial indexes (never a scan of
 * all pending rows), so an idle worker can sleep until then.
 */
export async function nextDueAt(q: Queryable): Promise<Date | null> {
  const r = await q.query<{ t: unknown }>(
    `SELECT LEAST(
       (SELECT due_at FROM timers WHERE status = 'pending' AND retry_at IS NULL ORDER BY due_at LIMIT 1),
       (SELECT retry_at FROM timers WHERE status = 'pending' AND retry_at IS NOT NULL ORDER BY retry_at LIMIT 1)
     ) AS t`,
  );
  return toDate(r.rows[0]?.t);
}

export async function countPending(q: Queryable): Promise<number> {
  const r = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM timers WHERE status = 'pending'`);
  return Number(r.rows[0]?.n ?? 0);
}
