import { afterAll, describe, expect, it } from 'vitest';
import { insertNotification, insertNotificationPart, notificationBody } from '../../src/store/alerts.js';
import { purgeOnce, tableSizes } from '../../src/store/retention.js';
import { backends, dropSchemas, freshDb } from '../helpers/db.js';

afterAll(dropSchemas);

const now = new Date('2026-11-29T12:00:00Z');
const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);

describe.each(backends)('retention on %s', (backend) => {
  it('deletes finished outbox rows and raw payloads older than the retention, in batches, and keeps the rest', async () => {
    const db = await freshDb(backend);
    try {
      for (const [status, doneAt] of [
        ['done', daysAgo(40)],
        ['done', daysAgo(31)],
        ['failed', daysAgo(35)],
        ['done', daysAgo(2)],
        ['pending', null],
      ] as const)
        await db.query(
          `INSERT INTO outbox (ordering_key, op, status, done_at, created_at) VALUES ('k', 'slack.post', $1, $2, $3)`,
          [status, doneAt, doneAt ?? now],
        );
      const old = await insertNotification(db, {
        receivedAt: daysAgo(45),
        sender: 'alertmanager',
        groupKey: 'g',
        status: 'firing',
        payload: { alerts: 'in parts' },
        alertCount: 1,
      });
      await insertNotificationPart(db, old, 0, '{"alerts":[');
      await insertNotificationPart(db, old, 1, ']}');
      const recent = await insertNotification(db, {
        receivedAt: daysAgo(1),
        sender: 'alertmanager',
        groupKey: 'g',
        status: 'firing',
        payload: { alerts: [] },
        alertCount: 0,
      });
      expect(await notificationBody(db, old)).toBe('{"alerts":[]}');
      const r = await purgeOnce(db, { now, days: 30, batch: 2, pauseMs: 0 });
      expect(r).toEqual({ outbox: 3, payloads: 1 });
      const left = await db.query<{ status: string }>('SELECT status FROM outbox ORDER BY id');
      expect(left.rows.map((x) => x.status)).toEqual(['done', 'pending']);
      expect(await notificationBody(db, old)).toBe('{}');
      expect(await notificationBody(db, recent)).toBe('{"alerts":[]}');
      const n = await db.query('SELECT 1 FROM alert_notifications');
      expect(n.rows).toHaveLength(2);
      expect(await purgeOnce(db, { now, days: 30 })).toEqual({ outbox: 0, payloads: 0 });
      expect(await purgeOnce(db, { now, days: 0 })).toEqual({ outbox: 0, payloads: 0 });
      const sizes = await tableSizes(db);
      expect(sizes.alerts).toBeGreaterThan(0);
      expect(sizes.outbox).toBeGreaterThan(0);
    } finally {
      await db.close();
    }
  });
});
