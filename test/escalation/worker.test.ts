import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  cancelKinds,
  formatCountdown,
  parseDefaultTimers,
  planTimers,
  type TimerDraft,
  updateReminder,
} from '../../src/escalation/schedule.js';
import { createTimerWorker, type FireFn } from '../../src/escalation/worker.js';
import { declare, type Severity } from '../../src/incidents/model.js';
import { silentLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';
import { type Db, openDb, type Queryable } from '../../src/store/db.js';
import { insertIncident } from '../../src/store/incidents.js';
import { enqueue } from '../../src/store/outbox.js';
import {
  cancelAllPending,
  cancelTimers,
  endSnooze,
  insertTimers,
  listTimers,
  nextDueAt,
  nextPending,
  replaceReminder,
  rescheduleForSeverity,
  snoozedUntil,
  snoozeIncident,
  snoozeTimer,
} from '../../src/store/timers.js';
import { backends, dropSchemas, freshDb } from '../helpers/db.js';

afterAll(dropSchemas);

const T0 = new Date('2026-11-23T10:00:00Z');
const plus = (ms: number, from = T0) => new Date(from.getTime() + ms);

async function newIncident(db: Queryable, severity: Severity = 'P1', startedAt = T0): Promise<number> {
  const { incident } = declare({ title: 'API is down', severity, source: 'slash' }, startedAt);
  return (await insertIncident(db, incident))!.id;
}

const draft = (over: Partial<TimerDraft> = {}): TimerDraft => ({
  kind: 'escalate',
  afterMinutes: 15,
  dueAt: T0,
  target: 'Senior Engineer',
  severity: 'P1',
  condition: null,
  text: 'Escalate to Senior Engineer',
  cancelOn: 'resolve',
  source: 'section',
  data: {},
  ...over,
});

/**
 * A fire function that records calls and yields one outbox row per firing: returned for the worker to store
 * with the batch (as escalation/fire.ts does) or, for odd ids and failing timers, written by the fire itself.
 */
function recorder(opts: { failFor?: Set<number> } = {}) {
  const calls: { id: number; late: boolean; lagMs: number }[] = [];
  const fire: FireFn = async (q, timer, ctx) => {
    const row = {
      op: 'slack.escalate',
      orderingKey: `incident:${timer.incidentId}`,
      incidentId: timer.incidentId,
      payload: { timerId: timer.id },
    };
    // A failing one writes first, so its rollback is seen.
    const direct = timer.id % 2 === 1 || opts.failFor?.has(timer.id);
    if (direct) await enqueue(q, row);
    if (opts.failFor?.has(timer.id)) throw new Error(`boom ${timer.id}`);
    calls.push({ id: timer.id, late: ctx.late, lagMs: ctx.lagMs });
    return direct ? [] : [row];
  };
  return { calls, fire };
}

async function outboxPerTimer(db: Queryable): Promise<Map<number, number>> {
  const r = await db.query<{ id: number; n: number }>(
    `SELECT (payload->>'timerId')::int AS id, count(*)::int AS n FROM outbox GROUP BY 1`,
  );
  return new Map(r.rows.map((x) => [Number(x.id), Number(x.n)]));
}

describe.each(backends)('timer worker on %s', (backend) => {
  // One database per backend (PGlite start-up dominates otherwise); each test starts with no timers.
  let db: Db;
  beforeAll(async () => {
    db = await freshDb(backend);
  });
  afterAll(() => db.close());
  beforeEach(async () => {
    await db.exec('DELETE FROM timers; DELETE FROM outbox');
  });

  it('fires each due timer once, leaves future ones, and commits the outbox row with the fired state', async () => {
    const inc = await newIncident(db);
    await insertTimers(db, inc, [
      draft({ dueAt: plus(-1000) }),
      draft({ dueAt: plus(0) }),
      draft({ dueAt: plus(60_000) }),
    ]);
    let now = T0;
    const { calls, fire } = recorder();
    const metrics = createMetrics();
    const w = createTimerWorker({ db, logger: silentLogger, metrics, pollMs: 50, now: () => now, fire });
    expect(await w.tick()).toBe(2);
    expect(await w.tick()).toBe(0);
    const rows = await listTimers(db, inc);
    expect(rows.map((r) => r.status)).toEqual(['fired', 'fired', 'pending']);
    expect(rows[0]!.firedAt?.toISOString()).toBe(T0.toISOString());
    expect(await nextDueAt(db)).toEqual(plus(60_000));
    now = plus(60_000);
    expect(await w.tick()).toBe(1);
    expect(calls.map((c) => c.id)).toEqual(rows.map((r) => r.id));
    expect([...(await outboxPerTimer(db)).values()]).toEqual([1, 1, 1]);
    const fired = await metrics.registry.getSingleMetricAsString('incident_bot_timers_fired_total');
    expect(fired).toContain('kind="escalate",late="false"} 3');
  });

  it('marks a timer late when it fires well after its due time (the bot was down)', async () => {
    const inc = await newIncident(db);
    await insertTimers(db, inc, [
      draft({ dueAt: plus(-10 * 60_000), text: 'old' }),
      draft({ dueAt: plus(-200), text: 'fresh' }),
    ]);
    const { calls, fire } = recorder();
    const w = createTimerWorker({ db, logger: silentLogger, pollMs: 500, now: () => T0, fire });
    expect(await w.tick()).toBe(2);
    expect(calls.map((c) => [c.late, c.lagMs])).toEqual([
      [true, 600_000],
      [false, 200],
    ]);
    expect((await listTimers(db, inc)).map((r) => [r.text, r.late])).toEqual([
      ['old', true],
      ['fresh', false],
    ]);
  });

  it('does not fire timers cancelled by an ack, and cancels a timer the incident already made moot', async () => {
    const inc = await newIncident(db);
    const other = await newIncident(db);
    await insertTimers(db, inc, [
      draft({ kind: 'acknowledge', cancelOn: 'ack', dueAt: plus(5 * 60_000) }),
      draft({ kind: 'escalate', cancelOn: 'resolve', dueAt: plus(15 * 60_000) }),
    ]);
    await insertTimers(db, other, [draft({ kind: 'acknowledge', cancelOn: 'ack', dueAt: plus(5 * 60_000) })]);
    expect(await cancelTimers(db, inc, cancelKinds('ack'))).toBe(1);
    // The other incident was acked but its cancel was lost (crash between the two writes).
    await db.query('UPDATE incidents SET acked_at = $2 WHERE id = $1', [other, T0]);
    const { calls, fire } = recorder();
    const w = createTimerWorker({ db, logger: silentLogger, pollMs: 50, now: () => plus(20 * 60_000), fire });
    expect(await w.tick()).toBe(1);
    expect((await listTimers(db, inc)).map((r) => [r.kind, r.status])).toEqual([
      ['acknowledge', 'cancelled'],
      ['escalate', 'fired'],
    ]);
    const [moot] = await listTimers(db, other);
    expect(moot).toMatchObject({ status: 'cancelled', data: { cancelledBy: 'worker:moot' } });
    expect(calls).toHaveLength(1);
    expect(await cancelTimers(db, inc, cancelKinds('resolve'))).toBe(0);
  });

  it('keeps firing the rest of a batch when one timer fails, and retries the failed one later', async () => {
    const inc = await newIncident(db);
    await insertTimers(db, inc, [draft({ text: 'a' }), draft({ text: 'b' }), draft({ text: 'c' })]);
    const ids = (await listTimers(db, inc)).map((r) => r.id);
    const failFor = new Set([ids[1]!]);
    const { calls, fire } = recorder({ failFor });
    let now = T0;
    const w = createTimerWorker({ db, logger: silentLogger, pollMs: 50, now: () => now, fire, retryBaseMs: 1000 });
    expect(await w.tick()).toBe(2);
    let rows = await listTimers(db, inc);
    expect(rows.map((r) => r.status)).toEqual(['fired', 'pending', 'fired']);
    expect(rows[1]).toMatchObject({ attempts: 1, lastError: `boom ${ids[1]}` });
    expect(rows[1]!.retryAt).toEqual(plus(1000));
    // The failed timer's outbox row was rolled back with it.
    expect((await outboxPerTimer(db)).get(ids[1]!)).toBeUndefined();
    expect(await w.tick()).toBe(0); // waiting out the retry
    expect(await nextDueAt(db)).toEqual(plus(1000));
    failFor.clear();
    now = plus(1000);
    expect(await w.tick()).toBe(1);
    rows = await listTimers(db, inc);
    expect(rows.map((r) => r.status)).toEqual(['fired', 'fired', 'fired']);
    expect(calls.map((c) => c.id).sort()).toEqual([...ids].sort());
    expect([...(await outboxPerTimer(db)).values()]).toEqual([1, 1, 1]);
  });

  it('snoozes a fired ping into one pending copy that still stops on ack', async () => {
    const inc = await newIncident(db);
    await insertTimers(db, inc, [draft({ kind: 'acknowledge', cancelOn: 'ack' })]);
    const { fire } = recorder();
    const w = createTimerWorker({ db, logger: silentLogger, pollMs: 50, now: () => T0, fire });
    await w.tick();
    const fired = (await listTimers(db, inc))[0]!;
    const snoozed = await snoozeTimer(db, fired.id, 10, T0);
    expect(snoozed).toMatchObject({ status: 'pending', cancelOn: 'ack', data: { snoozeOf: fired.id } });
    expect(snoozed?.dueAt).toEqual(plus(10 * 60_000));
    // A second click moves the same copy rather than adding another.
    const again = await snoozeTimer(db, fired.id, 10, plus(60_000));
    expect(again?.id).toBe(snoozed?.id);
    expect(again?.dueAt).toEqual(plus(11 * 60_000));
    expect(await listTimers(db, inc)).toHaveLength(2);
    expect(await cancelTimers(db, inc, cancelKinds('ack'))).toBe(1);
    expect(await snoozeTimer(db, snoozed!.id, 10, T0)).toBeNull();
  });

  it('snoozes every paging timer of an incident until it ends, and puts each back when cancelled', async () => {
    const inc = await newIncident(db);
    const other = await newIncident(db);
    await insertTimers(db, inc, [
      draft({ kind: 'acknowledge', cancelOn: 'ack', dueAt: plus(5 * 60_000) }),
      draft({ kind: 'escalate', dueAt: plus(15 * 60_000) }),
      draft({ kind: 'escalate', dueAt: plus(60 * 60_000), text: 'later' }),
      draft({ kind: 'reminder', dueAt: plus(5 * 60_000), source: 'reminder' }),
    ]);
    await insertTimers(db, other, [draft({ kind: 'acknowledge', dueAt: plus(5 * 60_000) })]);
    const until = plus(20 * 60_000);
    const held = await snoozeIncident(db, inc, until, T0);
    expect(held.map((t) => t.kind)).toEqual(['acknowledge', 'escalate']);
    expect(held.every((t) => +t.dueAt === +until)).toBe(true);
    expect(await snoozedUntil(db, inc, T0)).toEqual(until);
    expect(await snoozedUntil(db, other, T0)).toBeNull();
    // Reminders, timers beyond the snooze and other incidents keep their clock.
    const rest = await listTimers(db, inc);
    expect(rest.find((t) => t.kind === 'reminder')!.dueAt).toEqual(plus(5 * 60_000));
    expect(rest.find((t) => t.text === 'later')!.dueAt).toEqual(plus(60 * 60_000));
    expect((await listTimers(db, other))[0]!.dueAt).toEqual(plus(5 * 60_000));
    // Snoozing again extends; cancelling restores each own due time.
    expect((await snoozeIncident(db, inc, plus(30 * 60_000), T0)).every((t) => +t.dueAt === +plus(30 * 60_000))).toBe(
      true,
    );
    const back = await endSnooze(db, inc);
    expect(back.map((t) => t.dueAt)).toEqual([plus(5 * 60_000), plus(15 * 60_000)]);
    expect(await snoozedUntil(db, inc, T0)).toBeNull();
    expect(await endSnooze(db, inc)).toEqual([]);
  });

  it('reschedules on a severity change without re-pinging what already fired', async () => {
    const defaults = parseDefaultTimers('P1=ack:5,escalate:15;P3=ack:60,escalate:120');
    const inc = await newIncident(db, 'P3');
    const plan = (severity: Severity) =>
      planTimers({ sectionTimers: [], documentTimers: [], severity, startedAt: T0, defaults });
    await insertTimers(db, inc, plan('P3'));
    await replaceReminder(db, inc, updateReminder('P3', T0, 60));
    // The P3 ack fired already (pretend), then at minute 20 the incident becomes P1.
    await db.query(
      `UPDATE timers SET status = 'fired', fired_at = $2 WHERE incident_id = $1 AND kind = 'acknowledge'`,
      [inc, T0],
    );
    const now = plus(20 * 60_000);
    const r = await rescheduleForSeverity(db, inc, [...plan('P1'), updateReminder('P1', now, 15)], now);
    expect(r).toEqual({ cancelled: 1, inserted: 2 });
    const pending = (await listTimers(db, inc)).filter((t) => t.status === 'pending');
    expect(pending.map((t) => [t.kind, t.severity, t.dueAt.toISOString()])).toEqual([
      ['escalate', 'P1', now.toISOString()], // overdue under P1: due now
      ['reminder', 'P1', plus(35 * 60_000).toISOString()],
    ]);
    expect(pending[0]!.data).toMatchObject({ plannedDueAt: plus(15 * 60_000).toISOString() });
    expect(await nextPending(db, inc)).toMatchObject({ kind: 'escalate' });
  });

  it('lists timers and picks the next escalation for the header countdown, skipping nudges', async () => {
    const inc = await newIncident(db);
    await insertTimers(db, inc, [
      draft({ kind: 'phase', dueAt: plus(5 * 60_000), target: null }),
      draft({ kind: 'reminder', source: 'reminder', dueAt: plus(6 * 60_000), target: null }),
      draft({ kind: 'escalate', dueAt: plus(15 * 60_000), afterMinutes: 15 }),
    ]);
    const next = await nextPending(db, inc);
    expect(next).toMatchObject({ kind: 'escalate', target: 'Senior Engineer', data: { afterMinutes: 15 } });
    expect(formatCountdown(next!, plus(8 * 60_000), '@sre-seniors')).toBe('escalates to @sre-seniors in 7 min');
    expect((await listTimers(db, inc)).map((t) => t.kind)).toEqual(['phase', 'reminder', 'escalate']);
    expect(await cancelAllPending(db, inc)).toBe(3);
    expect(await nextPending(db, inc)).toBeNull();
    expect(await nextDueAt(db)).toBeNull();
  });

  it('runs on its own: sleeps until the next due time and fires within a few ms of it', async () => {
    const inc = await newIncident(db);
    const { calls, fire } = recorder();
    const w = createTimerWorker({ db, logger: silentLogger, pollMs: 200, fire });
    w.start();
    await insertTimers(db, inc, [
      draft({ dueAt: new Date(Date.now() + 150) }),
      draft({ dueAt: new Date(Date.now() + 400) }),
    ]);
    const deadline = Date.now() + 3000;
    while (calls.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await w.stop();
    expect(calls).toHaveLength(2);
    for (const c of calls) expect(c.lagMs).toBeLessThan(250);
  });
});

const pgOnly = process.env.DATABASE_URL ? describe : describe.skip;
if (!process.env.DATABASE_URL) console.log('DATABASE_URL unset: the two-replica race test is skipped');

pgOnly('two workers racing on PostgreSQL', () => {
  it('fires each of 1,000 timers exactly once', async () => {
    const a = await freshDb('postgres', { max: 4 });
    const b: Db = await openDb({ databaseUrl: process.env.DATABASE_URL, schema: a.schema, max: 4 });
    const inc = await newIncident(a);
    const now = new Date();
    await insertTimers(
      a,
      inc,
      Array.from({ length: 1000 }, (_, i) =>
        draft({ dueAt: new Date(now.getTime() - 1000 + (i % 50)), text: `t${i}` }),
      ),
    );
    const ra = recorder();
    const rb = recorder();
    const wa = createTimerWorker({ db: a, logger: silentLogger, pollMs: 10, batch: 25, fire: ra.fire });
    const wb = createTimerWorker({ db: b, logger: silentLogger, pollMs: 10, batch: 25, fire: rb.fire });
    // Several concurrent ticks per replica too, the way a loop and a manual tick could overlap.
    const drainUntilEmpty = async (w: typeof wa) => {
      while ((await w.tick()) > 0) {}
    };
    await Promise.all([drainUntilEmpty(wa), drainUntilEmpty(wb), drainUntilEmpty(wa), drainUntilEmpty(wb)]);
    const all = [...ra.calls, ...rb.calls].map((c) => c.id);
    expect(all).toHaveLength(1000);
    expect(new Set(all).size).toBe(1000);
    // Both replicas did part of the work.
    expect(ra.calls.length).toBeGreaterThan(0);
    expect(rb.calls.length).toBeGreaterThan(0);
    const per = await outboxPerTimer(a);
    expect(per.size).toBe(1000);
    expect([...per.values()].every((n) => n === 1)).toBe(true);
    const st = await a.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM timers GROUP BY 1');
    expect(st.rows).toEqual([{ status: 'fired', n: 1000 }]);
    await b.close();
    await a.close();
  });
});
