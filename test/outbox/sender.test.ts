import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { PermanentError, RetryableError } from '../../src/outbox/errors.js';
import { createOutboxSender, type OutboxHandler } from '../../src/outbox/sender.js';
import type { Db } from '../../src/store/db.js';
import { enqueue, type OutboxRow } from '../../src/store/outbox.js';
import { backends, dropSchemas, freshDb } from '../helpers/db.js';

afterAll(dropSchemas);

/** The outbox sender against a real store; handlers are plain functions (no Slack, no HTTP). */
describe.each(backends)('outbox sender on %s', (backend) => {
  let db: Db;
  beforeAll(async () => {
    db = await freshDb(backend);
  });
  afterAll(() => db.close());

  const rowsOf = async (key: string) =>
    (
      await db.query<{ op: string; status: string; attempts: number; result: unknown; last_error: string | null }>(
        'SELECT op, status, attempts, result, last_error FROM outbox WHERE ordering_key = $1 ORDER BY id',
        [key],
      )
    ).rows;

  async function drain(handlers: Record<string, OutboxHandler>) {
    const sender = createOutboxSender({ db, handlers, logger: silentLogger, pollMs: 20, concurrency: 4 });
    sender.start();
    try {
      await sender.idle(20_000);
    } finally {
      await sender.stop();
    }
  }

  it('runs each ordering key in order, one row at a time, and stores what the handler returned', async () => {
    const seen: string[] = [];
    let busy = 0;
    let overlap = false;
    const work: OutboxHandler = async (row: OutboxRow) => {
      busy++;
      if (busy > 1) overlap = true;
      await new Promise((r) => setTimeout(r, 5));
      seen.push(String(row.payload.n));
      busy--;
      return { n: row.payload.n };
    };
    await enqueue(
      db,
      [1, 2, 3, 4, 5].map((n) => ({ op: 'test.work', orderingKey: 'k:order', payload: { n } })),
    );
    await drain({ 'test.work': work });
    expect(seen).toEqual(['1', '2', '3', '4', '5']);
    expect(overlap).toBe(false);
    const rows = await rowsOf('k:order');
    expect(rows.map((r) => r.status)).toEqual(['done', 'done', 'done', 'done', 'done']);
    expect(rows[4]!.result).toEqual({ n: 5 });
  });

  it('retries a retryable failure, records a permanent one, and fails an op nobody handles', async () => {
    let calls = 0;
    const flaky: OutboxHandler = async () => {
      calls++;
      if (calls < 3) throw new RetryableError('rate limited', 0);
      return { ok: true };
    };
    const broken: OutboxHandler = async () => {
      throw new PermanentError('channel_not_found');
    };
    await enqueue(db, [
      { op: 'test.flaky', orderingKey: 'k:retry', payload: {} },
      { op: 'test.broken', orderingKey: 'k:broken', payload: {} },
      { op: 'test.unknown', orderingKey: 'k:unknown', payload: {} },
    ]);
    await drain({ 'test.flaky': flaky, 'test.broken': broken });
    expect(calls).toBe(3);
    expect(await rowsOf('k:retry')).toMatchObject([{ status: 'done', attempts: 3 }]);
    expect(await rowsOf('k:broken')).toMatchObject([{ status: 'failed', last_error: 'channel_not_found' }]);
    expect(await rowsOf('k:unknown')).toMatchObject([
      { status: 'failed', last_error: 'no handler for outbox op test.unknown' },
    ]);
  });

  it('does not let one failing key hold up another', async () => {
    const done: string[] = [];
    await enqueue(db, [
      { op: 'test.stuck', orderingKey: 'k:stuck', payload: {} },
      { op: 'test.ok', orderingKey: 'k:free', payload: { n: 1 } },
      { op: 'test.ok', orderingKey: 'k:free', payload: { n: 2 } },
    ]);
    const sender = createOutboxSender({
      db,
      handlers: {
        'test.stuck': async () => {
          throw new RetryableError('Slack is down', 3600);
        },
        'test.ok': async (row) => {
          done.push(String(row.payload.n));
        },
      },
      logger: silentLogger,
      pollMs: 20,
    });
    sender.start();
    try {
      for (let i = 0; i < 500 && done.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    } finally {
      await sender.stop();
    }
    expect(done).toEqual(['1', '2']);
    expect(await rowsOf('k:stuck')).toMatchObject([{ status: 'pending', attempts: 1, last_error: 'Slack is down' }]);
  });

  it('a kick or a stop that comes while the sender reads when to wake next is not lost', async () => {
    // Holds the sender's next read of its next due time until released, so a kick or a stop lands during it.
    let hold: { entered: () => void; gate: Promise<void> } | null = null;
    const holdNextRead = () => {
      let entered!: () => void;
      let release!: () => void;
      const reading = new Promise<void>((r) => {
        entered = r;
      });
      hold = { entered, gate: new Promise<void>((r) => (release = r)) };
      return { reading, release };
    };
    const gated: Db = {
      ...db,
      query: async (sql, params) => {
        const h = hold;
        if (h && sql.includes('SELECT least(')) {
          hold = null;
          h.entered();
          await h.gate;
        }
        return db.query(sql, params);
      },
    };
    const done: string[] = [];
    // A ten-minute poll: only the kick can get the row sent within the test, only the stop can end it.
    const sender = createOutboxSender({
      db: gated,
      handlers: { 'test.kicked': async () => void done.push('sent') },
      logger: silentLogger,
      pollMs: 600_000,
    });
    const first = holdNextRead();
    sender.start();
    await first.reading;
    await enqueue(db, [{ op: 'test.kicked', orderingKey: 'k:kicked', payload: {} }]);
    sender.kick();
    first.release();
    for (let i = 0; i < 500 && done.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(done).toEqual(['sent']);

    const second = holdNextRead();
    sender.kick();
    await second.reading;
    const stopped = sender.stop().then(() => 'stopped');
    second.release();
    const outcome = await Promise.race([stopped, new Promise((r) => setTimeout(() => r('still waiting'), 5_000))]);
    expect(outcome).toBe('stopped');
  });
});
