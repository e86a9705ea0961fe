/**
 * Storm and merge storage (issue #17): routing a group to the open incident that holds it, counting a storm
 * key's recent groups, moving alerts and groups between incidents, the storms table.
 */
import type { Incident } from '../incidents/model.js';
import { type AlertRow, alertFromRow } from './alerts.js';
import type { Queryable } from './db.js';
import { rowToIncident } from './incidents.js';
import { skipPending } from './outbox.js';

/**
 * Serialises work on one key (a storm key, a group key) until the transaction ends, across replicas
 * (PostgreSQL advisory lock; the embedded store has one connection, so it only orders work there).
 */
export async function lockKey(q: Queryable, key: string): Promise<void> {
  await q.query('SELECT pg_advisory_xact_lock(727417, hashtext($1))', [key]);
}

/**
 * The open incident holding a group: through alert_groups (a storm or a merge holds many groups), else the
 * incident opened for it (incidents.group_key). Null when none is open.
 */
export async function openIncidentForGroup(
  q: Queryable,
  groupKey: string,
  forUpdate = false,
): Promise<Incident | null> {
  const r = await q.query(
    `SELECT i.* FROM incidents i
     WHERE i.status <> 'resolved' AND i.id IN (
       SELECT id FROM incidents WHERE group_key = $1 AND status <> 'resolved'
       UNION SELECT incident_id FROM alert_groups WHERE incident_key = $1)
     ORDER BY (i.group_key = $1) DESC, i.id DESC LIMIT 1${forUpdate ? ' FOR UPDATE OF i' : ''}`,
    [groupKey],
  );
  return r.rows[0] ? rowToIncident(r.rows[0]) : null;
}

/**
 * Open incidents, not storms themselves, that a group of `stormKey` opened at or after `since`, oldest first:
 * the ones a new storm folds in.
 */
export async function recentStormIncidents(q: Queryable, stormKey: string, since: Date): Promise<Incident[]> {
  const r = await q.query(
    `SELECT i.* FROM incidents i
     WHERE i.status <> 'resolved' AND i.merged_into IS NULL
       AND i.id IN (SELECT incident_id FROM alert_groups WHERE storm_key = $1 AND joined_at >= $2)
       AND NOT EXISTS (SELECT 1 FROM storms s WHERE s.incident_id = i.id)
     ORDER BY i.id FOR UPDATE OF i`,
    [stormKey, since],
  );
  return r.rows.map(rowToIncident);
}

/** The storms row of an incident holding several groups. */
export interface StormRow {
  incidentId: number;
  /** Null for an incident that holds several groups through /incident merge. */
  stormKey: string | null;
  summaryTs: string | null;
  summaryAt: Date | null;
  /** Runbooks posted in its channel, as `source#sectionId`. */
  runbooks: string[];
}

/** Marks an incident as holding several groups (idempotent); returns its row. */
export async function ensureStorm(q: Queryable, incidentId: number, stormKey: string | null): Promise<StormRow> {
  await q.query('INSERT INTO storms (incident_id, storm_key) VALUES ($1, $2) ON CONFLICT (incident_id) DO NOTHING', [
    incidentId,
    stormKey,
  ]);
  return (await getStorm(q, incidentId))!;
}

export async function getStorm(q: Queryable, incidentId: number): Promise<StormRow | null> {
  const r = await q.query<Record<string, unknown>>('SELECT * FROM storms WHERE incident_id = $1', [incidentId]);
  const x = r.rows[0];
  if (!x) return null;
  return {
    incidentId: Number(x.incident_id),
    stormKey: (x.storm_key as string) ?? null,
    summaryTs: (x.summary_ts as string) ?? null,
    summaryAt:
      x.summary_at == null
        ? null
        : new Date(String(x.summary_at instanceof Date ? x.summary_at.toISOString() : x.summary_at)),
    runbooks: (x.runbooks as string[]) ?? [],
  };
}

/** Records a runbook as posted in the incident's channel; false when it already was (post it once). */
export async function claimStormRunbook(q: Queryable, incidentId: number, runbook: string): Promise<boolean> {
  const r = await q.query(
    `UPDATE storms SET runbooks = array_append(runbooks, $2) WHERE incident_id = $1 AND NOT ($2 = ANY(runbooks))`,
    [incidentId, runbook],
  );
  return r.rowCount > 0;
}

/** The summary message was posted or edited: its ts and when (what "every alert is visible" is measured by). */
export async function setSummaryPosted(q: Queryable, incidentId: number, ts: string, at: Date): Promise<void> {
  await q.query('UPDATE storms SET summary_ts = $2, summary_at = $3 WHERE incident_id = $1', [incidentId, ts, at]);
}

/** One group of an incident with its alerts counted (see alerts/storm.ts StormGroupLine). */
export interface GroupCounts {
  groupId: number;
  groupKey: string;
  alertname: string;
  labels: Record<string, string>;
  severity: string | null;
  firing: number;
  total: number;
  firstSeen: Date;
  lastSeen: Date;
}

const date = (v: unknown) => (v instanceof Date ? v : new Date(String(v)));

/** Every group of an incident with its alert counts, in one query (a storm has hundreds of groups). */
export async function groupCounts(q: Queryable, incidentId: number): Promise<GroupCounts[]> {
  const r = await q.query<Record<string, unknown>>(
    `SELECT g.id, g.incident_key, g.joined_at, a.alertname, a.labels, a.severity, a.firing, a.total, a.first_seen, a.last_seen
     FROM alert_groups g
     LEFT JOIN LATERAL (
       SELECT min(alertname) AS alertname, (array_agg(labels ORDER BY id))[1] AS labels,
         coalesce(min(severity) FILTER (WHERE status = 'firing'), min(severity)) AS severity,
         count(*) FILTER (WHERE status = 'firing')::int AS firing, count(*)::int AS total,
         min(first_seen_at) AS first_seen, max(last_seen_at) AS last_seen
       FROM alerts WHERE incident_id = g.incident_id AND group_key = g.incident_key) a ON true
     WHERE g.incident_id = $1 ORDER BY g.id`,
    [incidentId],
  );
  return r.rows.map((x) => ({
    groupId: Number(x.id),
    groupKey: String(x.incident_key),
    alertname: String(x.alertname ?? ''),
    labels: (x.labels as Record<string, string>) ?? {},
    severity: (x.severity as string) ?? null,
    firing: Number(x.firing ?? 0),
    total: Number(x.total ?? 0),
    firstSeen: date(x.first_seen ?? x.joined_at),
    lastSeen: date(x.last_seen ?? x.joined_at),
  }));
}

/** One alert_groups row by id, with the incident holding it. */
export async function getGroupRow(
  q: Queryable,
  id: number,
): Promise<{ id: number; incidentId: number; groupKey: string; title: string | null } | null> {
  const r = await q.query<Record<string, unknown>>(
    'SELECT id, incident_id, incident_key, title FROM alert_groups WHERE id = $1',
    [id],
  );
  const x = r.rows[0];
  return x
    ? {
        id: Number(x.id),
        incidentId: Number(x.incident_id),
        groupKey: String(x.incident_key),
        title: (x.title as string) ?? null,
      }
    : null;
}

/**
 * Moves every alert and group of incident `from` to `into`. An alert whose fingerprint `into` already holds
 * stays where it was (one row per fingerprint and incident). Returns how many alerts and groups moved.
 */
export async function moveIncidentContents(
  q: Queryable,
  from: number,
  into: number,
): Promise<{ alerts: number; groups: number }> {
  const a = await q.query(
    `UPDATE alerts a SET incident_id = $2 WHERE a.incident_id = $1
       AND NOT EXISTS (SELECT 1 FROM alerts b WHERE b.incident_id = $2 AND b.fingerprint = a.fingerprint)`,
    [from, into],
  );
  const g = await q.query(
    `UPDATE alert_groups g SET incident_id = $2 WHERE g.incident_id = $1
       AND NOT EXISTS (SELECT 1 FROM alert_groups h WHERE h.incident_id = $2 AND h.incident_key = g.incident_key)`,
    [from, into],
  );
  return { alerts: a.rowCount, groups: g.rowCount };
}

/** Moves one group (its alerts and its alert_groups row) to another incident; it no longer counts for a storm. */
export async function moveGroup(q: Queryable, groupId: number, from: number, into: number): Promise<number> {
  const g = await q.query<{ incident_key: string }>(
    'UPDATE alert_groups SET incident_id = $3, storm_key = NULL WHERE id = $1 AND incident_id = $2 RETURNING incident_key',
    [groupId, from, into],
  );
  if (!g.rows[0]) return 0;
  const a = await q.query('UPDATE alerts SET incident_id = $3 WHERE incident_id = $1 AND group_key = $2', [
    from,
    g.rows[0].incident_key,
    into,
  ]);
  return a.rowCount;
}

/** Records that `from` was folded into `into`. */
export async function setMergedInto(q: Queryable, from: number, into: number): Promise<void> {
  await q.query('UPDATE incidents SET merged_into = $2 WHERE id = $1', [from, into]);
}

/** The incident another was folded into, or null. */
export async function mergedInto(q: Queryable, id: number): Promise<number | null> {
  const r = await q.query<{ merged_into: number | null }>('SELECT merged_into FROM incidents WHERE id = $1', [id]);
  const v = r.rows[0]?.merged_into;
  return v == null ? null : Number(v);
}

/**
 * Drops the Slack work still waiting for a folded incident (channel, header, runbook, announcement not made
 * yet: they never will be) in its own queue (`orderingKey`, incidents/service.ts orderingKey). Work already in
 * flight finishes; rows after it in the same order still run.
 */
export async function dropPendingSlackWork(q: Queryable, incidentId: number, orderingKey: string): Promise<number> {
  return skipPending(q, orderingKey, { incidentId, opLike: 'slack.%' }, { skipped: 'merged' });
}

/** How many groups an incident holds. */
export async function groupCount(q: Queryable, incidentId: number): Promise<number> {
  const r = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM alert_groups WHERE incident_id = $1', [
    incidentId,
  ]);
  return Number(r.rows[0]?.n ?? 0);
}

/** Up to `limit` alerts of one group in an incident (firing first, oldest first) and how many it has. */
export async function groupAlerts(
  q: Queryable,
  incidentId: number,
  incidentKey: string,
  limit: number,
): Promise<{ alerts: AlertRow[]; total: number }> {
  const r = await q.query<Record<string, unknown>>(
    `SELECT *, count(*) OVER () AS total_rows FROM alerts WHERE incident_id = $1 AND group_key = $2
     ORDER BY (status = 'firing') DESC, id LIMIT $3`,
    [incidentId, incidentKey, limit],
  );
  return {
    total: r.rows.length ? Number(r.rows[0]!.total_rows) : 0,
    alerts: r.rows.map(alertFromRow),
  };
}
