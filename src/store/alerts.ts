import type { Queryable } from './db.js';

export interface AlertRow {
  id: number;
  incidentId: number | null;
  groupKey: string;
  fingerprint: string;
  alertname: string;
  status: 'firing' | 'resolved';
  severity: string | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: Date | null;
  endsAt: Date | null;
  generatorUrl: string | null;
  firstSeenAt: Date;
  lastSeenAt: Date;
  notifications: number;
}

const toRow = (r: Record<string, unknown>): AlertRow => ({
  id: Number(r.id),
  incidentId: r.incident_id == null ? null : Number(r.incident_id),
  groupKey: String(r.group_key),
  fingerprint: String(r.fingerprint),
  alertname: String(r.alertname),
  status: r.status as AlertRow['status'],
  severity: (r.severity as string) ?? null,
  labels: (r.labels as Record<string, string>) ?? {},
  annotations: (r.annotations as Record<string, string>) ?? {},
  startsAt: (r.starts_at as Date) ?? null,
  endsAt: (r.ends_at as Date) ?? null,
  generatorUrl: (r.generator_url as string) ?? null,
  firstSeenAt: r.first_seen_at as Date,
  lastSeenAt: r.last_seen_at as Date,
  notifications: Number(r.notifications),
});

export async function insertNotification(
  q: Queryable,
  n: { receivedAt: Date; groupKey: string; status: string; payload: unknown },
): Promise<number> {
  const r = await q.query<{ id: number }>(
    'INSERT INTO alert_notifications (received_at, group_key, status, payload) VALUES ($1, $2, $3, $4::jsonb) RETURNING id',
    [n.receivedAt, n.groupKey, n.status, JSON.stringify(n.payload)],
  );
  return Number(r.rows[0]!.id);
}

export async function linkNotification(q: Queryable, id: number, incidentId: number): Promise<void> {
  await q.query('UPDATE alert_notifications SET incident_id = $2 WHERE id = $1 AND incident_id IS NULL', [
    id,
    incidentId,
  ]);
}

export type AlertInput = Omit<AlertRow, 'id' | 'firstSeenAt' | 'lastSeenAt' | 'notifications'>;

export interface UpsertResult {
  row: AlertRow;
  /** null when the alert is new to this incident. */
  previousStatus: AlertRow['status'] | null;
}

/** Inserts or refreshes an alert of an incident (caller holds the incident row lock). */
export async function upsertAlert(q: Queryable, a: AlertInput, now: Date): Promise<UpsertResult> {
  const prev = await q.query<Record<string, unknown>>(
    a.incidentId == null
      ? 'SELECT * FROM alerts WHERE incident_id IS NULL AND group_key = $2 AND fingerprint = $1'
      : 'SELECT * FROM alerts WHERE incident_id = $2 AND fingerprint = $1',
    [a.fingerprint, a.incidentId ?? a.groupKey],
  );
  const before = prev.rows[0] ? toRow(prev.rows[0]) : null;
  if (before) {
    const r = await q.query<Record<string, unknown>>(
      `UPDATE alerts SET status = $2, labels = $3::jsonb, annotations = $4::jsonb, starts_at = COALESCE($5, starts_at), ends_at = $6,
         generator_url = $7, severity = $8, last_seen_at = $9, notifications = notifications + 1
       WHERE id = $1 RETURNING *`,
      [
        before.id,
        a.status,
        JSON.stringify(a.labels),
        JSON.stringify(a.annotations),
        a.startsAt,
        a.endsAt,
        a.generatorUrl,
        a.severity,
        now,
      ],
    );
    return { row: toRow(r.rows[0]!), previousStatus: before.status };
  }
  const r = await q.query<Record<string, unknown>>(
    `INSERT INTO alerts (incident_id, group_key, fingerprint, alertname, status, severity, labels, annotations, starts_at, ends_at,
       generator_url, first_seen_at, last_seen_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10, $11, $12, $12) RETURNING *`,
    [
      a.incidentId,
      a.groupKey,
      a.fingerprint,
      a.alertname,
      a.status,
      a.severity,
      JSON.stringify(a.labels),
      JSON.stringify(a.annotations),
      a.startsAt,
      a.endsAt,
      a.generatorUrl,
      now,
    ],
  );
  return { row: toRow(r.rows[0]!), previousStatus: null };
}

export async function listAlerts(q: Queryable, incidentId: number): Promise<AlertRow[]> {
  const r = await q.query<Record<string, unknown>>('SELECT * FROM alerts WHERE incident_id = $1 ORDER BY id', [
    incidentId,
  ]);
  return r.rows.map(toRow);
}
