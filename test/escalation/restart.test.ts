import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TimerDraft } from '../../src/escalation/schedule.js';
import { declare } from '../../src/incidents/model.js';
import { type Db, openDb } from '../../src/store/db.js';
import { insertIncident } from '../../src/store/incidents.js';
import { migrate } from '../../src/store/migrate.js';
import { insertTimers } from '../../src/store/timers.js';
import { backends, dropSchemas, freshDb } from '../helpers/db.js';

afterAll(dropSchemas);

const ROOT = join(__dirname, '../..');
const CHILD = join(__dirname, 'fixtures/timer-child.ts');
const TOTAL = 300;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function startChild(env: Record<string, string>): {
  proc: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
} {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  let buf = '';
  proc.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    lines.push(...parts);
  });
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return { proc, lines, exited };
}

async function until(cond: () => boolean, ms: number, what: string) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function seed(db: Db): Promise<void> {
  const { incident } = declare({ title: 'restart test', severity: 'P1', source: 'slash' }, new Date());
  const inc = (await insertIncident(db, incident))!.id;
  // Due five minutes ago: they became due while "the bot was down", so they fire at start-up, late.
  const due = new Date(Date.now() - 5 * 60_000);
  const drafts: TimerDraft[] = Array.from({ length: TOTAL }, (_, i) => ({
    kind: 'escalate',
    afterMinutes: 15,
    dueAt: new Date(due.getTime() + i),
    target: 'Senior Engineer',
    severity: 'P1',
    condition: null,
    text: `t${i}`,
    cancelOn: 'resolve',
    source: 'section',
    data: {},
  }));
  await insertTimers(db, inc, drafts);
}

async function counts(db: Db) {
  const fired = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM timers WHERE status = 'fired'");
  const perTimer = await db.query<{ id: number; n: number }>(
    `SELECT (payload->>'timerId')::int AS id, count(*)::int AS n FROM outbox GROUP BY 1`,
  );
  const late = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM timers WHERE late');
  return {
    fired: Number(fired.rows[0].n),
    outbox: perTimer.rows.map((r) => Number(r.n)),
    late: Number(late.rows[0].n),
  };
}

describe.each(backends)('timer worker killed with -9 on %s', (backend) => {
  it('fires every due timer exactly once after a restart, late', async () => {
    let env: Record<string, string>;
    let open: () => Promise<Db>;
    if (backend === 'pglite') {
      const dir = mkdtempSync(join(tmpdir(), 'incident-bot-timers-'));
      dirs.push(dir);
      env = { CHILD_DATA_DIR: dir };
      open = () => openDb({ dataDir: dir });
    } else {
      const db = await freshDb('postgres');
      await db.close();
      env = { CHILD_DATABASE_URL: process.env.DATABASE_URL!, CHILD_SCHEMA: db.schema! };
      open = () => openDb({ databaseUrl: process.env.DATABASE_URL, schema: db.schema, max: 2 });
    }
    // PGlite allows one process per directory: the parent closes before each child runs.
    let db = await open();
    await migrate(db);
    await seed(db);
    await db.close();

    const first = startChild(env);
    await until(() => first.lines.filter((l) => l.startsWith('fired')).length >= 40, 20_000, 'the first child to fire');
    first.proc.kill('SIGKILL');
    expect(await first.exited).toBeNull();

    db = await open();
    const between = await counts(db);
    await db.close();
    // Killed mid-work: some batches committed, the rest (including the one in flight) did not.
    expect(between.fired).toBeGreaterThan(0);
    expect(between.fired).toBeLessThan(TOTAL);
    expect(between.outbox.length).toBe(between.fired);

    const second = startChild({ ...env, CHILD_EXIT_WHEN_IDLE: '1' });
    expect(await second.exited).toBe(0);
    expect(second.lines).toContain('idle');

    db = await open();
    const after = await counts(db);
    await db.close();
    expect(after.fired).toBe(TOTAL);
    expect(after.outbox.length).toBe(TOTAL);
    expect(after.outbox.every((n) => n === 1)).toBe(true);
    expect(after.late).toBe(TOTAL);
  });
});
