import type { Queryable } from './db.js';

/** One stored alert: one row per fingerprint per incident (or per group, for digest alerts without one). */
export interface AlertRow {
  id: number;
  incidentId: number | null;
  /** The incident key (sender identity + group key), see alerts/intake.ts identityKey. */
  groupKey: string;
  fingerprint: string;
  alertname: string;
  /** The sender gave no alertname; it was made up from other labels. */
  nameDerived: boolean;
  status: 'firing' | 'resolved';
  severity: string | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: Date | null;
  endsAt: Date | null;
  generatorUrl: string | null;
  /** runbook / generator / silence / dashboard / panel / image URLs (http(s) only). */
  links: Record<string, string>;
  firstSeenAt: Date;
  lastSeenAt: Date;
  notifications: number;
}

const toDate = (v: unknown): Date | null => (v == null ? null : v instanceof Date ? v : new Date(String(v)));

/** One alerts row as an AlertRow. */
export const alertFromRow = (r: Record<string, unknown>): AlertRow => ({
  id: Number(r.id),
  incidentId: r.incident_id == null ? null : Number(r.incident_id),
  groupKey: String(r.group_key),
  fingerprint: String(r.fingerprint),
  alertname: String(r.alertname),
  nameDerived: Boolean(r.name_derived),
  status: r.status as AlertRow['status'],
  severity: (r.severity as string) ?? null,
  labels: (r.labels as Record<string, string>) ?? {},
  annotations: (r.annotations as Record<string, string>) ?? {},
  startsAt: toDate(r.starts_at),
  endsAt: toDate(r.ends_at),
  generatorUrl: (r.generator_url as string) ?? null,
  links: (r.links as Record<string, string>) ?? {},
  firstSeenAt: toDate(r.first_seen_at)!,
  lastSeenAt: toDate(r.last_seen_at)!,
  notifications: Number(r.notifications),
});

export interface NotificationInput {
  receivedAt: Date;
  sender: string;
  /** The first group's incident key. */
  groupKey: string;
  status: string;
  /** The parsed body, or (large bodies) the envelope without alerts while `parts` hold the raw text. */
  payload: unknown;
  alertCount: number;
}

/** Stores a notification as received; returns its id. */
export async function insertNotification(q: Queryable, n: NotificationInput): Promise<number> {
  const r = await q.query<{ id: number }>(
    `INSERT INTO alert_notifications (received_at, sender, group_key, status, payload, alert_count)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6) RETURNING id`,
    [n.receivedAt, n.sender, n.groupKey, n.status, JSON.stringify(n.payload), n.alertCount],
  );
  return Number(r.rows[0]!.id);
}

/** Stores one slice of a large notification's raw body (call in seq order; sets body_parts). */
export async function insertNotificationPart(q: Queryable, id: number, seq: number, body: string): Promise<void> {
  await q.query('INSERT INTO alert_notification_parts (notification_id, seq, body) VALUES ($1, $2, $3)', [
    id,
    seq,
    body,
  ]);
  await q.query('UPDATE alert_notifications SET body_parts = $2 WHERE id = $1', [id, seq + 1]);
}

/** The raw body of a notification as received (reassembled from its parts for large ones). */
export async function notificationBody(q: Queryable, id: number): Promise<string | null> {
  const n = await q.query<{ payload: unknown; body_parts: number }>(
    'SELECT payload, body_parts FROM alert_notifications WHERE id = $1',
    [id],
  );
  const row = n.rows[0];
  if (!row) return null;
  if (!Number(row.body_parts)) return JSON.stringify(row.payload);
  const parts = await q.query<{ body: string }>(
    'SELECT body FROM alert_notification_parts WHERE notification_id = $1 ORDER BY seq',
    [id],
  );
  return parts.rows.map((p) => p.body).join('');
}

export async function linkNotification(q: Queryable, id: number, incidentId: number): Promise<void> {
  await q.query('UPDATE alert_notifications SET incident_id = $2 WHERE id = $1 AND incident_id IS NULL', [
    id,
    incidentId,
  ]);
}

export type AlertInput = Omit<AlertRow, 'id' | 'firstSeenAt' | 'lastSeenAt' | 'notifications'>;

const RECORD_COLUMNS = `x(id integer, incident_id integer, group_key text, fingerprint text, alertname text, name_derived boolean,
  status text, severity text, labels jsonb, annotations jsonb, starts_at timestamptz, ends_at timestamptz,
  generator_url text, links jsonb)`;

const toRecord = (a: AlertInput & { id?: number }) => ({
  id: a.id ?? null,
  incident_id: a.incidentId,
  group_key: a.groupKey,
  fingerprint: a.fingerprint,
  alertname: a.alertname,
  name_derived: a.nameDerived,
  status: a.status,
  severity: a.severity,
  labels: a.labels,
  annotations: a.annotations,
  starts_at: a.startsAt?.toISOString() ?? null,
  ends_at: a.endsAt?.toISOString() ?? null,
  generator_url: a.generatorUrl,
  links: a.links,
});

/**
 * The stored alerts of an incident (or, with incidentId null, of a group without one) among these
 * fingerprints, by fingerprint. One query per call: callers pass batches (a few hundred).
 */
export async function findAlerts(
  q: Queryable,
  scope: { incidentId: number } | { groupKey: string },
  fingerprints: string[],
): Promise<Map<string, AlertRow>> {
  if (!fingerprints.length) return new Map();
  const r = await q.query<Record<string, unknown>>(
    'incidentId' in scope
      ? 'SELECT * FROM alerts WHERE incident_id = $1 AND fingerprint = ANY($2::text[])'
      : 'SELECT * FROM alerts WHERE incident_id IS NULL AND group_key = $1 AND fingerprint = ANY($2::text[])',
    ['incidentId' in scope ? scope.incidentId : scope.groupKey, fingerprints],
  );
  return new Map(r.rows.map((x) => [String(x.fingerprint), alertFromRow(x)]));
}

/**
 * The newest stored alert per fingerprint of a group's earlier incidents (repeats and recurrences after
 * a resolve are told apart by its startsAt).
 */
export async function alertHistory(
  q: Queryable,
  groupKey: string,
  fingerprints: string[],
): Promise<Map<string, AlertRow>> {
  if (!fingerprints.length) return new Map();
  const r = await q.query<Record<string, unknown>>(
    `SELECT DISTINCT ON (fingerprint) * FROM alerts
     WHERE group_key = $1 AND fingerprint = ANY($2::text[]) AND incident_id IS NOT NULL
     ORDER BY fingerprint, id DESC`,
    [groupKey, fingerprints],
  );
  return new Map(r.rows.map((x) => [String(x.fingerprint), alertFromRow(x)]));
}

/** The stored rows from what was written and the few columns PostgreSQL filled in (RETURNING * costs more). */
function merge(rows: AlertInput[], returned: Record<string, unknown>[], now: Date): AlertRow[] {
  const byFp = new Map(rows.map((r) => [r.fingerprint, r]));
  return returned.map((x) => ({
    ...byFp.get(String(x.fingerprint))!,
    id: Number(x.id),
    startsAt: toDate(x.starts_at),
    firstSeenAt: toDate(x.first_seen_at) ?? now,
    lastSeenAt: now,
    notifications: Number(x.notifications ?? 1),
  }));
}

const RETURNED = 'id, fingerprint, starts_at, first_seen_at, notifications';

/** Inserts alerts in one statement (callers pass batches of distinct fingerprints); returns the stored rows. */
export async function insertAlerts(q: Queryable, rows: AlertInput[], now: Date): Promise<AlertRow[]> {
  if (!rows.length) return [];
  const r = await q.query<Record<string, unknown>>(
    `INSERT INTO alerts (incident_id, group_key, fingerprint, alertname, name_derived, status, severity, labels,
       annotations, starts_at, ends_at, generator_url, links, first_seen_at, last_seen_at)
     SELECT incident_id, group_key, fingerprint, alertname, name_derived, status, severity, labels, annotations,
       starts_at, ends_at, generator_url, links, $2, $2
     FROM jsonb_to_recordset($1::jsonb) AS ${RECORD_COLUMNS}
     RETURNING ${RETURNED}`,
    [JSON.stringify(rows.map(toRecord)), now],
  );
  return merge(rows, r.rows, now);
}

/** Rewrites stored alerts (status, labels, annotations, times, links) in one statement. */
export async function updateAlerts(
  q: Queryable,
  rows: (AlertInput & { id: number })[],
  now: Date,
): Promise<AlertRow[]> {
  if (!rows.length) return [];
  const r = await q.query<Record<string, unknown>>(
    `UPDATE alerts a SET status = x.status, labels = x.labels, annotations = x.annotations,
       starts_at = COALESCE(x.starts_at, a.starts_at), ends_at = x.ends_at, generator_url = x.generator_url,
       severity = x.severity, links = x.links, alertname = x.alertname, name_derived = x.name_derived,
       last_seen_at = $2, notifications = a.notifications + 1
     FROM jsonb_to_recordset($1::jsonb) AS ${RECORD_COLUMNS}
     WHERE a.id = x.id
     RETURNING a.id, a.fingerprint, a.starts_at, a.first_seen_at, a.notifications`,
    [JSON.stringify(rows.map(toRecord)), now],
  );
  return merge(rows, r.rows, now);
}

/** Counts a repeat without changing anything else. */
export async function touchAlerts(q: Queryable, ids: number[], now: Date): Promise<void> {
  if (!ids.length) return;
  await q.query('UPDATE alerts SET last_seen_at = $2, notifications = notifications + 1 WHERE id = ANY($1::int[])', [
    ids,
    now,
  ]);
}

/** Every alert of an incident, oldest first. */
export async function listAlerts(q: Queryable, incidentId: number): Promise<AlertRow[]> {
  const r = await q.query<Record<string, unknown>>('SELECT * FROM alerts WHERE incident_id = $1 ORDER BY id', [
    incidentId,
  ]);
  return r.rows.map(alertFromRow);
}

/**
 * The oldest alert of an incident (the one that opened it), or null: one row, where listAlerts would read
 * every alert of a storm.
 */
export async function oldestAlert(q: Queryable, incidentId: number): Promise<AlertRow | null> {
  const r = await q.query<Record<string, unknown>>('SELECT * FROM alerts WHERE incident_id = $1 ORDER BY id LIMIT 1', [
    incidentId,
  ]);
  return r.rows[0] ? alertFromRow(r.rows[0]) : null;
}

export interface AlertSummary {
  firing: number;
  total: number;
  /** The most severe P-level among firing alerts, or null. */
  topFiringSeverity: string | null;
  /** Up to `limit` alerts, firing first, oldest first: what a header or message has room for. */
  shown: AlertRow[];
}

/** Counts and a few alerts of an incident, without reading thousands of rows. */
export async function alertSummary(q: Queryable, incidentId: number, limit = 10): Promise<AlertSummary> {
  const c = await q.query<{ firing: number; total: number; top: string | null }>(
    `SELECT count(*) FILTER (WHERE status = 'firing')::int AS firing, count(*)::int AS total,
       min(severity) FILTER (WHERE status = 'firing') AS top
     FROM alerts WHERE incident_id = $1`,
    [incidentId],
  );
  const r = limit
    ? await q.query<Record<string, unknown>>(
        "SELECT * FROM alerts WHERE incident_id = $1 ORDER BY (status = 'firing') DESC, id LIMIT $2",
        [incidentId, limit],
      )
    : { rows: [] };
  const row = c.rows[0]!;
  return {
    firing: Number(row.firing),
    total: Number(row.total),
    topFiringSeverity: row.top ?? null,
    shown: r.rows.map(alertFromRow),
  };
}

/** Alerts by id (messages about a few of them). */
export async function alertsById(q: Queryable, ids: number[]): Promise<AlertRow[]> {
  if (!ids.length) return [];
  const r = await q.query<Record<string, unknown>>('SELECT * FROM alerts WHERE id = ANY($1::int[]) ORDER BY id', [ids]);
  return r.rows.map(alertFromRow);
}

/** Where an alert incident came from (alert_groups). */
export interface AlertGroup {
  incidentId: number;
  sender: string;
  /** The sender's own group key (Alertmanager groupKey), '' when it sends none. */
  groupKey: string;
  /** The incident key of the group (alerts/intake.ts identityKey), as alerts.group_key. */
  incidentKey: string;
  externalUrl: string;
  cluster: string;
  receiver: string;
  truncatedAlerts: number;
  title: string | null;
  previousIncidentId: number | null;
  /** The storm key it counts towards (alerts/storm.ts stormKey); null when storms are off or it was split out. */
  stormKey?: string | null;
  updatedAt: Date;
}

/**
 * Records where an incident's alerts come from (one row per group and incident: a storm holds many), or
 * refreshes what changes (truncated count, title); one statement. A new row's joined_at is `now`.
 */
export async function saveAlertGroup(q: Queryable, g: Omit<AlertGroup, 'updatedAt'>, now: Date): Promise<void> {
  await q.query(
    `INSERT INTO alert_groups (incident_id, sender, group_key, external_url, cluster, receiver, truncated_alerts, title,
       previous_incident_id, updated_at, storm_key, joined_at, incident_key)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $10, $12)
     ON CONFLICT (incident_id, incident_key) DO UPDATE SET truncated_alerts = EXCLUDED.truncated_alerts,
       title = COALESCE(EXCLUDED.title, alert_groups.title), updated_at = EXCLUDED.updated_at
     WHERE alert_groups.truncated_alerts IS DISTINCT FROM EXCLUDED.truncated_alerts
       OR (EXCLUDED.title IS NOT NULL AND alert_groups.title IS DISTINCT FROM EXCLUDED.title)`,
    [
      g.incidentId,
      g.sender,
      g.groupKey,
      g.externalUrl,
      g.cluster,
      g.receiver,
      g.truncatedAlerts,
      g.title,
      g.previousIncidentId,
      now,
      g.stormKey ?? null,
      g.incidentKey,
    ],
  );
}

/** The first group of an incident (the one that opened it; a storm's first). */
export async function getAlertGroup(q: Queryable, incidentId: number): Promise<AlertGroup | null> {
  const r = await q.query<Record<string, unknown>>(
    'SELECT * FROM alert_groups WHERE incident_id = $1 ORDER BY id LIMIT 1',
    [incidentId],
  );
  const x = r.rows[0];
  if (!x) return null;
  return {
    incidentId: Number(x.incident_id),
    sender: String(x.sender),
    groupKey: String(x.group_key),
    incidentKey: String(x.incident_key ?? x.group_key),
    externalUrl: String(x.external_url ?? ''),
    cluster: String(x.cluster ?? ''),
    receiver: String(x.receiver ?? ''),
    truncatedAlerts: Number(x.truncated_alerts ?? 0),
    title: (x.title as string) ?? null,
    previousIncidentId: x.previous_incident_id == null ? null : Number(x.previous_incident_id),
    stormKey: (x.storm_key as string) ?? null,
    updatedAt: toDate(x.updated_at)!,
  };
}

/**
 * The newest resolved incident that held a group key (opened for it, or holding it in a storm or merge),
 * or null. Incidents folded into another do not count: their alerts moved on.
 */
export async function lastResolvedIncidentId(q: Queryable, groupKey: string): Promise<number | null> {
  const r = await q.query<{ id: number }>(
    `SELECT id FROM incidents WHERE status = 'resolved' AND merged_into IS NULL
       AND (group_key = $1 OR id IN (SELECT incident_id FROM alert_groups WHERE incident_key = $1))
     ORDER BY id DESC LIMIT 1`,
    [groupKey],
  );
  return r.rows[0] ? Number(r.rows[0].id) : null;
}

/** One thing that could not become (part of) an incident, kept raw. */
export interface DeadLetter {
  id: number;
  receivedAt: Date;
  sender: string;
  notificationId: number | null;
  reason: string;
  payload: unknown;
}

export async function insertDeadLetters(q: Queryable, items: Omit<DeadLetter, 'id'>[]): Promise<number> {
  if (!items.length) return 0;
  const r = await q.query(
    `INSERT INTO alert_dead_letters (received_at, sender, notification_id, reason, payload)
     SELECT received_at, sender, notification_id, reason, COALESCE(payload, 'null'::jsonb)
     FROM jsonb_to_recordset($1::jsonb) AS x(received_at timestamptz, sender text, notification_id integer, reason text, payload jsonb)`,
    [
      JSON.stringify(
        items.map((d) => ({
          received_at: d.receivedAt.toISOString(),
          sender: d.sender,
          notification_id: d.notificationId,
          reason: d.reason,
          payload: d.payload ?? null,
        })),
      ),
    ],
  );
  return r.rowCount;
}

export async function listDeadLetters(
  q: Queryable,
  opts: { limit: number; since?: Date | null },
): Promise<DeadLetter[]> {
  const r = await q.query<Record<string, unknown>>(
    `SELECT * FROM alert_dead_letters WHERE ($2::timestamptz IS NULL OR received_at >= $2)
     ORDER BY id DESC LIMIT $1`,
    [opts.limit, opts.since ?? null],
  );
  return r.rows.map((x) => ({
    id: Number(x.id),
    receivedAt: toDate(x.received_at)!,
    sender: String(x.sender),
    notificationId: x.notification_id == null ? null : Number(x.notification_id),
    reason: String(x.reason),
    payload: x.payload,
  }));
}

export async function countDeadLetters(q: Queryable): Promise<number> {
  const r = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM alert_dead_letters');
  return Number(r.rows[0]!.n);
}
