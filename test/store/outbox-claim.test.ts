/**
 * The outbox claim contract with priorities and heads (migration 031), on PGlite and PostgreSQL: lower
 * priority numbers first, one row at a time per ordering key and in order, a row never claimed twice by
 * racing claimers, leases taken over when they expire, retries waiting for their time, header refreshes
 * coalesced while pending, and rows stored before the migration claimed like new ones.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrationsDir, splitStatements } from '../../src/store/migrate.js';
import {
  claim,
  enqueue,
  markDeferred,
  markDone,
  markFailed,
  markRetry,
  nextDue,
  outboxDepth,
  placeRows,
  repairHeads,
  skipPending,
} from '../../src/store/outbox.js';
import { backends, dropSchemas, freshDb } from '../helpers/db.js';

afterAll(dropSchemas);

const T = new Date('2026-11-29T12:00:00Z');
const at = (ms: number) => new Date(T.getTime() + ms);

describe.each(backends)('outbox claim on %s', (backend) => {
  it('takes lower priority numbers first, then the oldest, one head per key', async () => {
    const db = await freshDb(backend);
    await enqueue(db, [
      { op: 'slack.announce', orderingKey: 'chan:a' },
      { op: 'slack.updateHeader', orderingKey: 'inc:1' },
      { op: 'slack.post', orderingKey: 'inc:2', dedupeKey: 'runbook:9:0' },
      { op: 'slack.escalationPing', orderingKey: 'inc:3' },
      { op: 'slack.notice', orderingKey: 'inc:4', payload: { notice: { kind: 'update', actor: 'U1', text: 'x' } } },
      { op: 'slack.escalationPing', orderingKey: 'inc:3' },
    ]);
    const got = await db.tx((q) => claim(q, T, 10, 30_000));
    expect(got.map((r) => [r.orderingKey, r.op, r.priority])).toEqual([
      ['inc:3', 'slack.escalationPing', 0],
      ['inc:4', 'slack.notice', 1],
      ['inc:2', 'slack.post', 2],
      ['inc:1', 'slack.updateHeader', 3],
      ['chan:a', 'slack.announce', 4],
    ]);
    // The second ping of inc:3 waits for the first.
    expect(await db.tx((q) => claim(q, T, 10, 30_000))).toEqual([]);
    await markDone(db, got[0]!.id);
    const next = await db.tx((q) => claim(q, T, 10, 30_000));
    expect(next.map((r) => [r.orderingKey, r.op])).toEqual([['inc:3', 'slack.escalationPing']]);
    await db.close();
  });

  it("gives a P1/P2 incident's channel work priority 1 and a P3/P4 one's priority 2, read from the incident", async () => {
    const db = await freshDb(backend);
    const inc = async (severity: string) =>
      Number(
        (
          await db.query<{ id: number }>(
            `INSERT INTO incidents (title, severity, status, source, started_at) VALUES ('t', $1, 'investigating', 'slash', now()) RETURNING id`,
            [severity],
          )
        ).rows[0]!.id,
      );
    const p3 = await inc('P3');
    const p1 = await inc('P1');
    await enqueue(db, [
      { op: 'slack.createChannel', orderingKey: `inc:${p3}`, incidentId: p3 },
      { op: 'slack.createChannel', orderingKey: `inc:${p1}`, incidentId: p1 },
    ]);
    const got = await db.tx((q) => claim(q, T, 10, 30_000));
    expect(got.map((r) => [r.incidentId, r.priority])).toEqual([
      [p1, 1],
      [p3, 2],
    ]);
    await db.close();
  });

  it('lifts a key whose head is less urgent than a row queued behind it', async () => {
    const db = await freshDb(backend);
    await enqueue(db, { op: 'slack.post', orderingKey: 'chan:busy' });
    await enqueue(db, [
      { op: 'slack.announce', orderingKey: 'inc:7' },
      { op: 'slack.post', orderingKey: 'chan:other' },
    ]);
    // Placed (head of inc:7 at priority 4) before the ping arrives.
    await db.tx((q) => claim(q, T, 0, 30_000));
    await enqueue(db, { op: 'slack.escalationPing', orderingKey: 'inc:7' });
    const got = await db.tx((q) => claim(q, T, 10, 30_000));
    expect(got.map((r) => r.orderingKey)).toEqual(['inc:7', 'chan:busy', 'chan:other']);
    expect(got[0]!.op).toBe('slack.announce');
    // It spends Slack budget at the ping's priority (outbox/sender.ts), not at its own 4.
    expect([got[0]!.priority, got[0]!.claimPriority]).toEqual([4, 0]);
    await markDone(db, got[0]!.id);
    const ping = await db.tx((q) => claim(q, T, 10, 30_000));
    expect(ping.map((r) => r.op)).toEqual(['slack.escalationPing']);
    await db.close();
  });

  it('keeps order within a key across retries, failures and deferrals', async () => {
    const db = await freshDb(backend);
    await enqueue(
      db,
      [1, 2, 3, 4].map((n) => ({ op: 'slack.post', orderingKey: 'inc:1', payload: { n } })),
    );
    const order: number[] = [];
    const waited = new Set<number>();
    let clock = 0;
    for (let i = 0; i < 20 && order.length < 4; i++) {
      clock += 1000;
      const [row] = await db.tx((q) => claim(q, at(clock), 5, 30_000));
      if (!row) continue;
      const n = Number(row.payload.n);
      if (n === 1 && row.attempts === 1) await markRetry(db, row.id, at(clock + 1500), 'rate limited');
      else if (n === 2 && !waited.has(n)) {
        waited.add(n);
        await markDeferred(db, row.id, at(clock + 500));
      } else if (n === 3) {
        order.push(n);
        await markFailed(db, row.id, 'channel_not_found');
      } else {
        order.push(n);
        await markDone(db, row.id);
      }
    }
    expect(order).toEqual([1, 2, 3, 4]);
    const rows = await db.query<{ attempts: number }>(
      `SELECT attempts FROM outbox WHERE ordering_key = 'inc:1' ORDER BY id`,
    );
    // The deferred row's wait did not count as an attempt.
    expect(rows.rows.map((r) => r.attempts)).toEqual([2, 1, 1, 1]);
    await db.close();
  });

  it('does not hand out a row before its retry time, and says when the next one is due', async () => {
    const db = await freshDb(backend);
    await enqueue(db, { op: 'slack.post', orderingKey: 'k' });
    const [row] = await db.tx((q) => claim(q, T, 5, 30_000));
    await markRetry(db, row!.id, at(5000), 'rate limited');
    expect(await db.tx((q) => claim(q, at(4999), 5, 30_000))).toEqual([]);
    expect((await nextDue(db))?.getTime()).toBe(at(5000).getTime());
    expect(await db.tx((q) => claim(q, at(5000), 5, 30_000))).toHaveLength(1);
    await db.close();
  });

  it('takes over a row whose lease expired, and not before', async () => {
    const db = await freshDb(backend);
    await enqueue(db, [
      { op: 'slack.post', orderingKey: 'k1' },
      { op: 'slack.post', orderingKey: 'k1' },
    ]);
    const [first] = await db.tx((q) => claim(q, T, 5, 10_000));
    expect(await db.tx((q) => claim(q, at(9_999), 5, 10_000))).toEqual([]);
    const again = await db.tx((q) => claim(q, at(10_001), 5, 10_000));
    expect(again.map((r) => [r.id, r.attempts])).toEqual([[first!.id, 2]]);
    await markDone(db, first!.id);
    const second = await db.tx((q) => claim(q, at(10_002), 5, 10_000));
    expect(second.map((r) => r.id)).toEqual([first!.id + 1]);
    await db.close();
  });

  it('coalesces header refreshes while one is pending, not while it is in flight', async () => {
    const db = await freshDb(backend);
    const header = { op: 'slack.updateHeader', orderingKey: 'inc:5', incidentId: 5 };
    expect(await enqueue(db, header)).toBe(1);
    expect(await enqueue(db, [header, header])).toBe(0);
    expect(await outboxDepth(db)).toBe(1);
    const [row] = await db.tx((q) => claim(q, T, 5, 30_000));
    // In flight: it may have rendered already, so a change now needs a refresh of its own.
    expect(await enqueue(db, header)).toBe(1);
    await markRetry(db, row!.id, T, 'rate limited');
    expect(await outboxDepth(db)).toBe(2);
    await db.close();
  });

  it('still ignores a second row with the same dedupe key', async () => {
    const db = await freshDb(backend);
    const ping = { op: 'slack.escalationPing', orderingKey: 'inc:1', dedupeKey: 'timer:1:ping' };
    expect(await enqueue(db, ping)).toBe(1);
    const [row] = await db.tx((q) => claim(q, T, 5, 30_000));
    await markDone(db, row!.id);
    expect(await enqueue(db, ping)).toBe(0);
    expect(await outboxDepth(db)).toBe(0);
    await db.close();
  });

  it('never hands a row to two claimers, keeps each key in order while three race', async () => {
    const db = await freshDb(backend, { max: 8 });
    const ops = ['slack.announce', 'slack.post', 'slack.updateHeader', 'slack.escalationPing'];
    const rows = Array.from({ length: 400 }, (_, i) => ({
      op: ops[i % ops.length]!,
      orderingKey: `k${i % 37}`,
      payload: { n: i },
    }));
    // Header refreshes of one key coalesce while pending: one each.
    const stored = await enqueue(db, rows);
    expect(stored).toBe(400 - 100 + 37);
    const seen = new Set<number>();
    const perKey = new Map<string, number[]>();
    let dupes = 0;
    const worker = async () => {
      for (let idle = 0; idle < 4; ) {
        const got = await db.tx((q) => claim(q, new Date(Date.now() + 1000), 6, 30_000));
        if (!got.length) {
          idle++;
          await new Promise((r) => setTimeout(r, 5));
          continue;
        }
        idle = 0;
        for (const r of got) {
          if (seen.has(r.id)) dupes++;
          seen.add(r.id);
          perKey.set(r.orderingKey, [...(perKey.get(r.orderingKey) ?? []), Number(r.payload.n)]);
          await markDone(db, r.id);
        }
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    expect(dupes).toBe(0);
    expect(seen.size).toBe(stored);
    for (const [, ns] of perKey) expect(ns).toEqual([...ns].sort((a, b) => a - b));
    expect(await outboxDepth(db)).toBe(0);
    await db.close();
  });

  it('claims rows stored before migration 031 in their order, with priorities', async () => {
    const db = await freshDb(backend, { migrate: false });
    const dir = migrationsDir();
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.sql'))
      .sort();
    const apply = async (f: string) => {
      for (const stmt of splitStatements(readFileSync(join(dir, f), 'utf8'))) await db.query(stmt);
    };
    for (const f of files.filter((f) => f < '031')) await apply(f);
    await db.query(
      `INSERT INTO outbox (ordering_key, op, status, next_attempt_at, locked_until) VALUES
         ('inc:1', 'slack.announce', 'pending', 'epoch', NULL),
         ('inc:1', 'slack.post', 'pending', 'epoch', NULL),
         ('inc:2', 'slack.post', 'done', 'epoch', NULL),
         ('inc:2', 'slack.escalationPing', 'inflight', 'epoch', $1),
         ('inc:2', 'slack.post', 'pending', 'epoch', NULL),
         ('inc:3', 'slack.updateHeader', 'pending', 'epoch', NULL)`,
      [at(-1000)],
    );
    for (const f of files.filter((f) => f >= '031')) await apply(f);
    const got = await db.tx((q) => claim(q, T, 10, 30_000));
    // The expired ping first (priority 0), then inc:3's refresh (3), then inc:1's announcement (4, lifted
    // to 2 by the post behind it).
    expect(got.map((r) => [r.orderingKey, r.op])).toEqual([
      ['inc:2', 'slack.escalationPing'],
      ['inc:1', 'slack.announce'],
      ['inc:3', 'slack.updateHeader'],
    ]);
    for (const r of got) await markDone(db, r.id);
    const next = await db.tx((q) => claim(q, T, 10, 30_000));
    expect(next.map((r) => [r.orderingKey, r.op])).toEqual([
      ['inc:1', 'slack.post'],
      ['inc:2', 'slack.post'],
    ]);
    await db.close();
  });

  it('repairs a key left without a head (a row finished by a process that did not keep heads)', async () => {
    const db = await freshDb(backend);
    await enqueue(db, [
      { op: 'slack.post', orderingKey: 'k', payload: { n: 1 } },
      { op: 'slack.post', orderingKey: 'k', payload: { n: 2 } },
    ]);
    const [first] = await db.tx((q) => claim(q, T, 5, 30_000));
    // As code from before migration 031 finishes a row: no next head.
    await db.query("UPDATE outbox SET status = 'done', done_at = now() WHERE id = $1", [first!.id]);
    expect(await db.tx((q) => claim(q, T, 5, 30_000))).toEqual([]);
    expect(await repairHeads(db)).toBe(1);
    expect(await repairHeads(db)).toBe(0);
    const [second] = await db.tx((q) => claim(q, T, 5, 30_000));
    expect(second?.payload.n).toBe(2);
    await db.close();
  });
  it('stores one call of mixed rows in the order given, a header refresh repeated within the call once', async () => {
    const db = await freshDb(backend);
    await enqueue(db, { op: 'slack.post', orderingKey: 'inc:7', payload: { n: 0 } });
    const [busy] = await db.tx((q) => claim(q, T, 5, 30_000));
    expect(
      await enqueue(db, [
        { op: 'slack.post', orderingKey: 'inc:7', payload: { n: 1 } },
        { op: 'slack.updateHeader', orderingKey: 'inc:7', notBefore: at(5_000) },
        { op: 'slack.escalationPing', orderingKey: 'inc:7', dedupeKey: 'timer:7:ping', payload: { n: 2 } },
        { op: 'slack.updateHeader', orderingKey: 'inc:7' },
        { op: 'slack.escalationPing', orderingKey: 'inc:7', dedupeKey: 'timer:7:ping', payload: { n: 9 } },
        { op: 'slack.post', orderingKey: 'inc:7', payload: { n: 3 } },
      ]),
    ).toBe(4);
    await markDone(db, busy!.id);
    const sent: string[] = [];
    for (let i = 0; i < 6; i++) {
      const [row] = await db.tx((q) => claim(q, at(10_000), 5, 30_000));
      if (!row) break;
      sent.push(`${row.op}${row.payload.n === undefined ? '' : `:${row.payload.n}`}@${row.claimPriority}`);
      await markDone(db, row.id);
    }
    // The ping behind them lifts the key to priority 0 until it is sent; the repeated refresh is one row, due
    // at the earlier of the two times.
    expect(sent).toEqual(['slack.post:1@0', 'slack.updateHeader@0', 'slack.escalationPing:2@0', 'slack.post:3@1']);
    await db.close();
  });

  it('places rows an older version stored unplaced, in their order', async () => {
    const db = await freshDb(backend);
    for (const n of [1, 2])
      await db.query(
        "INSERT INTO outbox (ordering_key, op, payload, next_attempt_at) VALUES ('old', 'slack.post', $1::jsonb, 'epoch')",
        [JSON.stringify({ n })],
      );
    expect(await db.tx((q) => placeRows(q))).toBe(2);
    const [first] = await db.tx((q) => claim(q, T, 5, 30_000));
    expect(first?.payload.n).toBe(1);
    expect(await db.tx((q) => claim(q, T, 5, 30_000))).toEqual([]);
    await markDone(db, first!.id);
    const [second] = await db.tx((q) => claim(q, T, 5, 30_000));
    expect(second?.payload.n).toBe(2);
    await db.close();
  });
  it('skips the pending rows of a key and leaves the next open row claimable', async () => {
    const db = await freshDb(backend);
    await enqueue(db, [
      { op: 'slack.createChannel', orderingKey: 'inc:8', incidentId: 8 },
      { op: 'slack.postHeader', orderingKey: 'inc:8', incidentId: 8 },
      { op: 'pagerduty.send', orderingKey: 'inc:8', incidentId: 8, payload: { n: 1 } },
    ]);
    expect(await db.tx((q) => skipPending(q, 'inc:8', { incidentId: 8, opLike: 'slack.%' }, { skipped: 'x' }))).toBe(2);
    const [row] = await db.tx((q) => claim(q, T, 5, 30_000));
    expect(row).toMatchObject({ op: 'pagerduty.send', claimPriority: 0 });
    await db.close();
  });
});
