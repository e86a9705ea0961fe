/**
 * Timer worker bench: `count` pending timers (default 100,000), most due hours from now and `dueCount`
 * due over a few seconds. Measures the lag from due to fire (p50/p99) and the process CPU while the worker
 * idles over the remaining pending timers.
 *
 *   node --import tsx bench/timers.ts --backend pglite --count 100000
 *   DATABASE_URL=postgres://... node --import tsx bench/timers.ts --backend postgres
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TimerDraft } from '../src/escalation/schedule.js';
import { createTimerWorker } from '../src/escalation/worker.js';
import { declare } from '../src/incidents/model.js';
import { silentLogger } from '../src/log.js';
import { type Db, openDb } from '../src/store/db.js';
import { insertIncident } from '../src/store/incidents.js';
import { migrate } from '../src/store/migrate.js';
import { insertTimers } from '../src/store/timers.js';

export interface TimerBenchOptions {
  backend: 'pglite' | 'postgres';
  count: number;
  /** Timers due during the run; default 5% of count, at least 500, at most 5,000. */
  dueCount?: number;
  /** Seconds over which they come due. */
  dueWindowSec?: number;
  pollMs?: number;
  idleWindowMs?: number;
  databaseUrl?: string;
}

export interface TimerBenchResult {
  backend: string;
  count: number;
  dueCount: number;
  fired: number;
  fireLagMsP50: number;
  fireLagMsP99: number;
  fireLagMsMax: number;
  idleCpuPercent: number;
  insertMs: number;
}

const draft = (dueAt: Date, i: number): TimerDraft => ({
  kind: i % 2 ? 'escalate' : 'acknowledge',
  afterMinutes: 15,
  dueAt,
  target: 'Senior Engineer',
  severity: 'P1',
  condition: null,
  text: `bench timer ${i}`,
  cancelOn: i % 2 ? 'resolve' : 'ack',
  source: 'default',
  data: {},
});

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

export async function benchTimers(opts: TimerBenchOptions): Promise<TimerBenchResult> {
  const dueCount = opts.dueCount ?? Math.min(5000, Math.max(500, Math.round(opts.count * 0.05)));
  const windowMs = (opts.dueWindowSec ?? 3) * 1000;
  const pollMs = opts.pollMs ?? 500;
  const url = opts.databaseUrl ?? process.env.DATABASE_URL;
  let db: Db;
  let schema: string | undefined;
  if (opts.backend === 'postgres') {
    if (!url) throw new Error('backend postgres needs DATABASE_URL');
    schema = `bench_${randomBytes(5).toString('hex')}`;
    db = await openDb({ databaseUrl: url, schema, max: 4 });
  } else db = await openDb({ dataDir: 'memory://' });

  try {
    await migrate(db);
    // Timers of many incidents, like a busy bot; the FK needs real incident rows.
    const incidents: number[] = [];
    for (let i = 0; i < 20; i++) {
      const { incident } = declare({ title: `bench ${i}`, severity: 'P1', source: 'api' }, new Date());
      incidents.push((await insertIncident(db, incident))!.id);
    }

    const t0 = performance.now();
    const far = opts.count - dueCount;
    const per = Math.ceil(far / incidents.length);
    for (let k = 0; k < incidents.length; k++) {
      const from = k * per;
      const n = Math.max(0, Math.min(per, far - from));
      const base = Date.now() + 3_600_000;
      await insertTimers(
        db,
        incidents[k]!,
        Array.from({ length: n }, (_, i) => draft(new Date(base + (from + i) * 500), from + i)),
      );
    }
    // The due ones last, relative to the moment the big insert finished.
    const start = Date.now() + 1000;
    await insertTimers(
      db,
      incidents[0]!,
      Array.from({ length: dueCount }, (_, i) => draft(new Date(start + Math.floor((i * windowMs) / dueCount)), i)),
    );
    const insertMs = Math.round(performance.now() - t0);

    const lags: number[] = [];
    const worker = createTimerWorker({
      db,
      logger: silentLogger,
      pollMs,
      batch: 50,
      // Like escalation/fire.ts: the ping is returned, and the worker stores the batch's rows in one statement.
      fire: async (_q, timer, ctx) => {
        lags.push(ctx.lagMs);
        return [
          {
            op: 'slack.escalate',
            orderingKey: `incident:${timer.incidentId}`,
            incidentId: timer.incidentId,
            payload: { timerId: timer.id },
          },
        ];
      },
    });
    worker.start();
    const deadline = Date.now() + windowMs + 60_000;
    while (lags.length < dueCount && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));

    // Idle: everything due has fired; count - dueCount timers stay pending for an hour or more.
    await new Promise((r) => setTimeout(r, pollMs * 2));
    const idleMs = opts.idleWindowMs ?? 5000;
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    await new Promise((r) => setTimeout(r, idleMs));
    const cpu = process.cpuUsage(cpu0);
    const wall = performance.now() - w0;
    await worker.stop();

    const sorted = [...lags].sort((a, b) => a - b);
    return {
      backend: opts.backend,
      count: opts.count,
      dueCount,
      fired: lags.length,
      fireLagMsP50: pct(sorted, 50),
      fireLagMsP99: pct(sorted, 99),
      fireLagMsMax: sorted[sorted.length - 1] ?? 0,
      // Share of one core used by this process (worker plus, for PGlite, the embedded database).
      idleCpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / wall) * 1000) / 10,
      insertMs,
    };
  } finally {
    await db.close();
    if (schema && url) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const backend = (arg('backend') ?? (process.env.DATABASE_URL ? 'postgres' : 'pglite')) as 'pglite' | 'postgres';
  const result = await benchTimers({
    backend,
    count: Number(arg('count') ?? 100_000),
    ...(arg('due') ? { dueCount: Number(arg('due')) } : {}),
    ...(arg('poll') ? { pollMs: Number(arg('poll')) } : {}),
  });
  console.log(JSON.stringify(result));
}
