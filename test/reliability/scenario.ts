/**
 * Assertions shared by the kill -9 and two-replica scenarios: what the database and the Slack emulator must
 * hold once an alert storm has been taken and the outbox has drained.
 */
import { expect } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import type { Db } from '../../src/store/db.js';
import { count, type Notification, PING_TEXT } from './support.js';

export interface Invariants {
  incidents: number;
  channels: number;
  headers: number;
  /** Channels with more than one header message (a crash between posting and recording its ts). */
  duplicateHeaders: number;
}

/**
 * Every accepted notification is stored; every firing fingerprint is linked to an incident; one incident per
 * group; one `inc-*` channel per incident (no duplicate); every incident has its channel and header; each
 * acknowledge timer fired exactly once, with exactly one ping in its channel; nothing failed in the outbox.
 */
export async function checkInvariants(
  db: Db,
  emulator: Emulator,
  accepted: Notification[],
  groups: number,
): Promise<Invariants> {
  // Accepted (2xx) notifications: each one is a stored row (the payload is stored as received). More rows than
  // answers is fine: a notification committed just before the kill lost its answer and was sent again.
  const stored = await db.query<{ fps: string }>(
    "SELECT string_agg(a->>'fingerprint', ',' ORDER BY a->>'fingerprint') AS fps FROM alert_notifications n, jsonb_array_elements(n.payload->'alerts') a GROUP BY n.id",
  );
  const storedSets = new Map<string, number>();
  for (const r of stored.rows) storedSets.set(r.fps, (storedSets.get(r.fps) ?? 0) + 1);
  const wanted = new Map<string, number>();
  for (const n of accepted) {
    const key = n.payload.alerts
      .map((a) => a.fingerprint)
      .sort()
      .join(',');
    wanted.set(key, (wanted.get(key) ?? 0) + 1);
  }
  for (const [key, n] of wanted)
    expect(storedSets.get(key) ?? 0, `stored notifications with alerts ${key}`).toBeGreaterThanOrEqual(n);

  // Every firing fingerprint sent is an alert row linked to an incident.
  const fingerprints = new Set(accepted.flatMap((n) => n.payload.alerts.map((a) => a.fingerprint)));
  const linked = await db.query<{ fingerprint: string }>(
    "SELECT DISTINCT fingerprint FROM alerts WHERE incident_id IS NOT NULL AND status = 'firing'",
  );
  expect(new Set(linked.rows.map((r) => r.fingerprint))).toEqual(fingerprints);
  // A delivery killed before its 2xx may leave its raw body unprocessed (resumed later; the sender retried anyway);
  // every processed notification belongs to an incident.
  expect(
    await count(
      db,
      'SELECT count(*)::int AS n FROM alert_notifications WHERE incident_id IS NULL AND processed_at IS NOT NULL',
    ),
  ).toBe(0);

  const incidents = await db.query<{ id: number; group_key: string; channel_id: string | null; header_ts: string }>(
    'SELECT id, group_key, channel_id, header_ts FROM incidents ORDER BY id',
  );
  expect(incidents.rows.length, 'one incident per alert group').toBe(groups);
  expect(new Set(incidents.rows.map((r) => r.group_key)).size).toBe(groups);
  expect(incidents.rows.filter((r) => !r.channel_id || !r.header_ts)).toEqual([]);

  const channels = emulator.state.listChannels().filter((c) => c.name.startsWith('inc-'));
  expect(channels.length, 'one inc-* channel per incident, no duplicate').toBe(groups);
  expect(new Set(incidents.rows.map((r) => r.channel_id))).toEqual(new Set(channels.map((c) => c.id)));

  // Acknowledge timers: one per incident, fired once, one outbox ping each, one ping message per channel.
  const timers = await db.query<{ id: number; incident_id: number; status: string }>(
    "SELECT id, incident_id, status FROM timers WHERE kind = 'acknowledge' ORDER BY id",
  );
  expect(timers.rows.length).toBe(groups);
  expect(timers.rows.filter((t) => t.status !== 'fired')).toEqual([]);
  const pings = await db.query<{ timer: string; n: number }>(
    "SELECT payload->>'timerId' AS timer, count(*)::int AS n FROM outbox WHERE op = 'slack.escalationPing' GROUP BY 1",
  );
  expect(pings.rows.length).toBe(groups);
  expect(pings.rows.filter((p) => Number(p.n) !== 1)).toEqual([]);
  let duplicateHeaders = 0;
  let headers = 0;
  for (const inc of incidents.rows) {
    const msgs = emulator.channel(inc.channel_id!).messages();
    const mine = msgs.filter((m) => (m.text ?? '').includes(PING_TEXT));
    expect(mine.length, `pings in the channel of INC-${inc.id}`).toBe(1);
    const header = msgs.filter((m) => (m.text ?? '').startsWith(`INC-${inc.id} `) || m.ts === inc.header_ts);
    headers += header.length;
    if (header.length > 1) duplicateHeaders++;
  }
  const failed = await db.query<{ op: string; last_error: string }>(
    "SELECT op, last_error FROM outbox WHERE status = 'failed'",
  );
  expect(failed.rows).toEqual([]);
  return { incidents: incidents.rows.length, channels: channels.length, headers, duplicateHeaders };
}
