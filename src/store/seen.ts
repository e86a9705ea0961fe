import type { Queryable } from './db.js';

/** Remembers keys for a while, across replicas when backed by the database. */
export interface SeenStore {
  /**
   * Records `key` at `now`; resolves true when it was not seen within `ttlMs` before (the caller acts),
   * false when it was (the caller ignores the request).
   */
  firstSeen(key: string, ttlMs: number, now: Date): Promise<boolean>;
}

/** In-process store (tests, single replica); keeps at most `max` keys. */
export function memorySeenStore(max = 20_000): SeenStore {
  const seen = new Map<string, number>();
  return {
    async firstSeen(key, ttlMs, now) {
      const t = now.getTime();
      const prev = seen.get(key);
      if (prev !== undefined && t - prev < ttlMs) return false;
      seen.delete(key);
      if (seen.size >= max) seen.delete(seen.keys().next().value as string);
      seen.set(key, t);
      return true;
    },
  };
}

/** The `slack_request_seen` table (migration 020); old rows are pruned now and then. */
export function dbSeenStore(db: Queryable): SeenStore {
  let calls = 0;
  return {
    async firstSeen(key, ttlMs, now) {
      const cutoff = new Date(now.getTime() - ttlMs);
      if (++calls % 200 === 0)
        await db.query('DELETE FROM slack_request_seen WHERE seen_at < $1', [new Date(now.getTime() - 24 * 3600_000)]);
      const r = await db.query<{ key: string }>(
        `INSERT INTO slack_request_seen (key, seen_at) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET seen_at = EXCLUDED.seen_at WHERE slack_request_seen.seen_at < $3
         RETURNING key`,
        [key, now, cutoff],
      );
      return r.rows.length === 1;
    },
  };
}
