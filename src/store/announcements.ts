import type { Queryable } from './db.js';

/** Where an incident's announcement lives (migration 032): the channel it was posted in and its ts. */
export interface AnnouncementRef {
  channelId: string;
  ts: string;
}

/** The stored announcement of an incident, or null when it was never posted (or posted before migration 032). */
export async function getAnnouncement(q: Queryable, incidentId: number): Promise<AnnouncementRef | null> {
  const r = await q.query<{ channel_id: string; ts: string }>(
    'SELECT channel_id, ts FROM incident_announcements WHERE incident_id = $1',
    [incidentId],
  );
  const row = r.rows[0];
  return row ? { channelId: String(row.channel_id), ts: String(row.ts) } : null;
}

/** Records (or replaces, when the old message was deleted and posted anew) where the announcement is. */
export async function setAnnouncement(q: Queryable, incidentId: number, ref: AnnouncementRef): Promise<void> {
  await q.query(
    `INSERT INTO incident_announcements (incident_id, channel_id, ts) VALUES ($1, $2, $3)
     ON CONFLICT (incident_id) DO UPDATE SET channel_id = EXCLUDED.channel_id, ts = EXCLUDED.ts, posted_at = now()`,
    [incidentId, ref.channelId, ref.ts],
  );
}
