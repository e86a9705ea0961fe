import { afterAll, describe, expect, it } from 'vitest';
import { declare } from '../../src/incidents/model.js';
import {
  appendEvents,
  getOpenIncidentByGroup,
  insertIncident,
  listEvents,
  listOpenIncidents,
  updateIncident,
} from '../../src/store/incidents.js';
import { migrate } from '../../src/store/migrate.js';
import { claim, enqueue, markDone, markRetry, outboxDepth } from '../../src/store/outbox.js';
import { backends, dropSchemas, freshDb } from '../helpers/db.js';

afterAll(dropSchemas);

const now = new Date('2026-11-23T03:00:00Z');

describe.each(backends)('store on %s', (backend) => {
  it('applies migrations once and skips them the second time', async () => {
    const db = await freshDb(backend, { migrate: false });
    const first = await migrate(db);
    const second = await migrate(db);
    expect(first.applied.length).toBeGreaterThan(0);
    expect(second.applied).toEqual([]);
    expect(second.skipped).toEqual(first.applied);
    await db.close();
  });

  it('stores an incident and reads it back with the same fields', async () => {
    const db = await freshDb(backend);
    const { incident } = declare(
      { title: 'API is down', severity: 'P1', source: 'slash', declaredBy: 'U1', labels: { team: 'api' } },
      now,
    );
    const stored = await insertIncident(db, incident);
    expect(stored?.id).toBeGreaterThan(0);
    expect(stored).toMatchObject({
      title: 'API is down',
      severity: 'P1',
      status: 'investigating',
      labels: { team: 'api' },
    });
    expect(stored?.startedAt.toISOString()).toBe(now.toISOString());
    const updated = await updateIncident(db, stored!, { ...stored!, status: 'identified', commander: 'U2' });
    expect(updated).toMatchObject({ status: 'identified', commander: 'U2' });
    expect(await listOpenIncidents(db)).toHaveLength(1);
    await db.close();
  });

  it('refuses a second open incident for the same alert group but allows one after resolve', async () => {
    const db = await freshDb(backend);
    const mk = () => declare({ title: 'x', severity: 'P2', source: 'alert', groupKey: 'g1' }, now).incident;
    const a = await insertIncident(db, mk());
    expect(a).not.toBeNull();
    expect(await insertIncident(db, mk())).toBeNull();
    expect((await getOpenIncidentByGroup(db, 'g1'))?.id).toBe(a!.id);
    await updateIncident(db, a!, { ...a!, status: 'resolved' });
    expect(await insertIncident(db, mk())).not.toBeNull();
    await db.close();
  });

  it('keeps the timeline append-only', async () => {
    const db = await freshDb(backend);
    const { incident, events } = declare({ title: 'x', severity: 'P3', source: 'slash' }, now);
    const stored = await insertIncident(db, incident);
    await appendEvents(db, stored!.id, events);
    expect((await listEvents(db, stored!.id)).map((e) => e.kind)).toEqual(['declared']);
    await expect(db.query('UPDATE incident_events SET text = $1', ['tampered'])).rejects.toThrow(/append-only/);
    await expect(db.query('DELETE FROM incident_events')).rejects.toThrow(/append-only/);
    await db.close();
  });

  it('rolls back a transaction that throws', async () => {
    const db = await freshDb(backend);
    await expect(
      db.tx(async (q) => {
        await enqueue(q, { op: 'x', orderingKey: 'k' });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await outboxDepth(db)).toBe(0);
    await db.close();
  });

  it('hands out outbox rows in order per key, one at a time per key', async () => {
    const db = await freshDb(backend);
    await enqueue(db, [
      { op: 'a1', orderingKey: 'A' },
      { op: 'b1', orderingKey: 'B' },
      { op: 'a2', orderingKey: 'A' },
    ]);
    const t = new Date(Date.now() + 1000);
    const first = await db.tx((q) => claim(q, t, 10, 30_000));
    expect(first.map((r) => r.op)).toEqual(['a1', 'b1']);
    expect(await db.tx((q) => claim(q, t, 10, 30_000))).toEqual([]);
    await markRetry(db, first[0]!.id, new Date(t.getTime() + 5000), 'rate limited');
    expect(await db.tx((q) => claim(q, t, 10, 30_000))).toEqual([]);
    const retried = await db.tx((q) => claim(q, new Date(t.getTime() + 6000), 10, 30_000));
    expect(retried.map((r) => r.op)).toEqual(['a1']);
    await markDone(db, retried[0]!.id);
    const next = await db.tx((q) => claim(q, new Date(t.getTime() + 6000), 10, 30_000));
    expect(next.map((r) => r.op)).toEqual(['a2']);
    await db.close();
  });

  it('ignores a second enqueue with the same dedupe key', async () => {
    const db = await freshDb(backend);
    expect(await enqueue(db, { op: 'x', orderingKey: 'k', dedupeKey: 'd1' })).toBe(1);
    expect(await enqueue(db, { op: 'x', orderingKey: 'k', dedupeKey: 'd1' })).toBe(0);
    expect(await outboxDepth(db)).toBe(1);
    await db.close();
  });

  it('never hands the same row to two senders and keeps each key in order while they race', async () => {
    const db = await freshDb(backend, { max: 6 });
    const rows = Array.from({ length: 300 }, (_, i) => ({ op: `op${i}`, orderingKey: `k${i % 40}` }));
    await enqueue(db, rows);
    const done: { id: number; key: string }[] = [];
    const seen = new Set<number>();
    let dupes = 0;
    const worker = async () => {
      for (let idle = 0; idle < 3; ) {
        const got = await db.tx((q) => claim(q, new Date(Date.now() + 1000), 7, 30_000));
        if (!got.length) {
          idle++;
          await new Promise((r) => setTimeout(r, 5));
          continue;
        }
        idle = 0;
        for (const row of got) {
          if (seen.has(row.id)) dupes++;
          seen.add(row.id);
          await markDone(db, row.id);
          done.push({ id: row.id, key: row.orderingKey });
        }
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    expect(dupes).toBe(0);
    expect(done).toHaveLength(300);
    for (let k = 0; k < 40; k++) {
      const ids = done.filter((d) => d.key === `k${k}`).map((d) => d.id);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
    }
    await db.close();
  });
});
