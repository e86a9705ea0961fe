import type { EventDraft, Incident } from '../incidents/model.js';
import type { Queryable } from './db.js';

/** Column <-> field names; the one place that knows both. */
const COLUMNS: [keyof Incident, string][] = [
  ['title', 'title'],
  ['description', 'description'],
  ['severity', 'severity'],
  ['status', 'status'],
  ['source', 'source'],
  ['groupKey', 'group_key'],
  ['commander', 'commander'],
  ['commsLead', 'comms_lead'],
  ['scribe', 'scribe'],
  ['declaredBy', 'declared_by'],
  ['channelId', 'channel_id'],
  ['channelName', 'channel_name'],
  ['headerTs', 'header_ts'],
  ['runbookSource', 'runbook_source'],
  ['runbookId', 'runbook_id'],
  ['startedAt', 'started_at'],
  ['ackedAt', 'acked_at'],
  ['ackedBy', 'acked_by'],
  ['mitigatedAt', 'mitigated_at'],
  ['resolvedAt', 'resolved_at'],
  ['lastUpdateAt', 'last_update_at'],
  ['alertsResolvedAt', 'alerts_resolved_at'],
  ['summary', 'summary'],
  ['statuspageIncidentId', 'statuspage_incident_id'],
  ['statuspageUpdatedAt', 'statuspage_updated_at'],
  ['labels', 'labels'],
];

const toDate = (v: unknown): Date | null => (v == null ? null : v instanceof Date ? v : new Date(String(v)));

export function rowToIncident(r: Record<string, unknown>): Incident {
  const inc: Record<string, unknown> = { id: Number(r.id) };
  for (const [field, col] of COLUMNS) inc[field] = r[col] ?? null;
  for (const f of [
    'startedAt',
    'ackedAt',
    'mitigatedAt',
    'resolvedAt',
    'lastUpdateAt',
    'alertsResolvedAt',
    'statuspageUpdatedAt',
  ])
    inc[f] = toDate(inc[f]);
  inc.labels = (r.labels as Record<string, string>) ?? {};
  return inc as Incident;
}

const param = (field: keyof Incident, v: unknown) => (field === 'labels' ? JSON.stringify(v ?? {}) : v);

/** Inserts a new incident; returns null when an open incident already holds its group key. */
export async function insertIncident(q: Queryable, inc: Incident): Promise<Incident | null> {
  const cols = COLUMNS.map(([, c]) => c);
  const values = COLUMNS.map(([f]) => param(f, inc[f]));
  const placeholders = COLUMNS.map(([f], i) => (f === 'labels' ? `$${i + 1}::jsonb` : `$${i + 1}`));
  const r = await q.query(
    `INSERT INTO incidents (${cols.join(', ')}) VALUES (${placeholders.join(', ')})
     ON CONFLICT (group_key) WHERE status <> 'resolved' AND group_key IS NOT NULL DO NOTHING
     RETURNING *`,
    values,
  );
  return r.rows[0] ? rowToIncident(r.rows[0]) : null;
}

/** Writes every field that differs from `before`; returns the stored row. */
export async function updateIncident(q: Queryable, before: Incident, after: Incident): Promise<Incident> {
  const changed = COLUMNS.filter(([f]) => JSON.stringify(before[f]) !== JSON.stringify(after[f]));
  if (!changed.length) return after;
  const sets = changed.map(([f, c], i) => `${c} = $${i + 2}${f === 'labels' ? '::jsonb' : ''}`);
  const r = await q.query(`UPDATE incidents SET ${sets.join(', ')}, updated_at = now() WHERE id = $1 RETURNING *`, [
    after.id,
    ...changed.map(([f]) => param(f, after[f])),
  ]);
  return rowToIncident(r.rows[0]!);
}

/** Sets Slack-side fields learned after a call succeeds (channel id, header ts). */
export async function setIncidentFields(
  q: Queryable,
  id: number,
  fields: Partial<
    Pick<Incident, 'channelId' | 'channelName' | 'headerTs' | 'statuspageIncidentId' | 'statuspageUpdatedAt'>
  >,
): Promise<void> {
  const entries = COLUMNS.filter(([f]) => f in fields);
  if (!entries.length) return;
  await q.query(
    `UPDATE incidents SET ${entries.map(([, c], i) => `${c} = $${i + 2}`).join(', ')}, updated_at = now() WHERE id = $1`,
    [id, ...entries.map(([f]) => fields[f as keyof typeof fields])],
  );
}

export async function getIncident(q: Queryable, id: number, forUpdate = false): Promise<Incident | null> {
  const r = await q.query(`SELECT * FROM incidents WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return r.rows[0] ? rowToIncident(r.rows[0]) : null;
}

export async function getIncidentByChannel(q: Queryable, channelId: string): Promise<Incident | null> {
  const r = await q.query('SELECT * FROM incidents WHERE channel_id = $1', [channelId]);
  return r.rows[0] ? rowToIncident(r.rows[0]) : null;
}

export async function getOpenIncidentByGroup(
  q: Queryable,
  groupKey: string,
  forUpdate = false,
): Promise<Incident | null> {
  const r = await q.query(
    `SELECT * FROM incidents WHERE group_key = $1 AND status <> 'resolved'${forUpdate ? ' FOR UPDATE' : ''}`,
    [groupKey],
  );
  return r.rows[0] ? rowToIncident(r.rows[0]) : null;
}

export async function listOpenIncidents(q: Queryable): Promise<Incident[]> {
  const r = await q.query("SELECT * FROM incidents WHERE status <> 'resolved' ORDER BY severity, started_at");
  return r.rows.map(rowToIncident);
}

export async function countOpenBySeverity(q: Queryable): Promise<Record<string, number>> {
  const r = await q.query<{ severity: string; n: number }>(
    "SELECT severity, count(*)::int AS n FROM incidents WHERE status <> 'resolved' GROUP BY severity",
  );
  return Object.fromEntries(r.rows.map((x) => [x.severity, Number(x.n)]));
}

export interface StoredEvent extends EventDraft {
  id: number;
  incidentId: number;
  /** 'mrkdwn' for rows written before events were plain text (migration 015); null otherwise. */
  markup?: 'mrkdwn' | null;
}

export async function appendEvents(q: Queryable, incidentId: number, events: EventDraft[]): Promise<void> {
  for (const e of events) {
    await q.query(
      'INSERT INTO incident_events (incident_id, at, actor, kind, text, data) VALUES ($1, $2, $3, $4, $5, $6::jsonb)',
      [incidentId, e.at, e.actor, e.kind, e.text, JSON.stringify(e.data ?? {})],
    );
  }
}

export async function listEvents(q: Queryable, incidentId: number): Promise<StoredEvent[]> {
  const r = await q.query<Record<string, unknown>>(
    'SELECT id, incident_id, at, actor, kind, text, data, markup FROM incident_events WHERE incident_id = $1 ORDER BY id',
    [incidentId],
  );
  return r.rows.map(eventFromRow);
}

/** One incident_events row as a StoredEvent (rows older than migration 015 keep markup 'mrkdwn'). */
function eventFromRow(x: Record<string, unknown>): StoredEvent {
  return {
    id: Number(x.id),
    incidentId: Number(x.incident_id),
    at: toDate(x.at)!,
    actor: (x.actor as string) ?? null,
    kind: String(x.kind),
    text: String(x.text),
    data: (x.data as Record<string, unknown>) ?? {},
    markup: x.markup === 'mrkdwn' ? 'mrkdwn' : null,
  };
}

/** A follow-up row across incidents, newest first, for App Home ("my follow-ups"). */
export interface FollowUpRow {
  incidentId: number;
  incidentTitle: string;
  at: Date;
  actor: string | null;
  owner: string;
  text: string;
}

/**
 * Follow-ups owned by `owner` (a Slack user id), newest first: at most `limit` rows, and how many there are in
 * all, so a list can say "N more" without loading them.
 */
export async function listFollowupsOwnedBy(
  q: Queryable,
  owner: string,
  limit: number,
): Promise<{ rows: FollowUpRow[]; total: number }> {
  const r = await q.query<Record<string, unknown>>(
    `SELECT e.incident_id, i.title, e.at, e.actor, e.data, count(*) OVER () AS total
       FROM incident_events e JOIN incidents i ON i.id = e.incident_id
      WHERE e.kind = 'followup' AND e.data->>'owner' = $1
      ORDER BY e.id DESC LIMIT $2`,
    [owner, limit],
  );
  return {
    total: r.rows.length ? Number(r.rows[0]!.total) : 0,
    rows: r.rows.map((x) => {
      const d = (x.data as Record<string, unknown>) ?? {};
      return {
        incidentId: Number(x.incident_id),
        incidentTitle: String(x.title),
        at: toDate(x.at)!,
        actor: (x.actor as string) ?? null,
        owner: String(d.owner ?? owner),
        text: String(d.text ?? ''),
      };
    }),
  };
}

/**
 * The newest `limit` events of an incident, oldest first, and how many it has in all: `/incident timeline` shows
 * the latest ones and says how many earlier ones exist, without loading them.
 */
export async function listLatestEvents(
  q: Queryable,
  incidentId: number,
  limit: number,
): Promise<{ events: StoredEvent[]; total: number }> {
  const r = await q.query<Record<string, unknown>>(
    `SELECT * FROM (
       SELECT id, incident_id, at, actor, kind, text, data, markup, count(*) OVER () AS total
         FROM incident_events WHERE incident_id = $1 ORDER BY id DESC LIMIT $2
     ) latest ORDER BY id`,
    [incidentId, limit],
  );
  return {
    total: r.rows.length ? Number(r.rows[0]!.total) : 0,
    events: r.rows.map(eventFromRow),
  };
}

/** Which incidents a bounded list shows (App Home). */
export type IncidentListKind = 'open' | 'mine' | 'resolved';

/**
 * At most `limit` incidents of a kind and how many there are in all (for "N more"), bounded in the query:
 * `open` by severity then age, `mine` (open, `user` is commander or comms lead) likewise, `resolved` newest first.
 */
export async function listIncidentsBounded(
  q: Queryable,
  kind: IncidentListKind,
  limit: number,
  user?: string,
): Promise<{ rows: Incident[]; total: number }> {
  const where =
    kind === 'resolved'
      ? "status = 'resolved'"
      : kind === 'mine'
        ? "status <> 'resolved' AND (commander = $2 OR comms_lead = $2)"
        : "status <> 'resolved'";
  const order = kind === 'resolved' ? 'resolved_at DESC NULLS LAST, id DESC' : 'severity, started_at';
  const r = await q.query<Record<string, unknown>>(
    `SELECT *, count(*) OVER () AS total_rows FROM incidents WHERE ${where} ORDER BY ${order} LIMIT $1`,
    kind === 'mine' ? [limit, user ?? ''] : [limit],
  );
  return { total: r.rows.length ? Number(r.rows[0]!.total_rows) : 0, rows: r.rows.map(rowToIncident) };
}
