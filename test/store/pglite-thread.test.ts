import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, openDb, StoreDamagedError } from '../../src/store/db.js';

// The embedded store runs PGlite in a worker thread (src/store/pglite-thread.ts); these pin down what the
// rest of the bot relies on across that boundary.
describe('the embedded store in its worker thread', () => {
  let db: Db;
  beforeAll(async () => {
    db = await openDb({ dataDir: 'memory://' });
    await db.exec('CREATE TABLE t (id int PRIMARY KEY, at timestamptz, doc jsonb, note text)');
  }, 120_000);
  afterAll(() => db?.close());

  it('returns rows with dates as Date and JSON as objects, and counts affected rows', async () => {
    const ins = await db.query('INSERT INTO t VALUES ($1, $2, $3, $4), ($5, $2, $3, NULL)', [
      1,
      new Date('2026-11-29T10:00:00Z'),
      JSON.stringify({ a: [1, 2] }),
      'x'.repeat(70_000),
      2,
    ]);
    expect(ins.rowCount).toBe(2);
    const { rows } = await db.query<{ id: number; at: Date; doc: unknown; note: string | null }>(
      'SELECT * FROM t ORDER BY id',
    );
    expect(rows[0]!.at).toBeInstanceOf(Date);
    expect(rows[0]!.at.toISOString()).toBe('2026-11-29T10:00:00.000Z');
    expect(rows[0]!.doc).toEqual({ a: [1, 2] });
    expect(rows[0]!.note).toHaveLength(70_000);
    expect(rows[1]!.note).toBeNull();
  });

  it("keeps PostgreSQL's error fields (code, constraint) and goes on after an error", async () => {
    const err = await db.query('INSERT INTO t (id) VALUES (1)').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ code: '23505', constraint: 't_pkey' });
    expect((err as Error).message).toMatch(/duplicate key/);
    expect((await db.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('commits a transaction, rolls back one that throws, and keeps other statements out of it', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const order: string[] = [];
    const tx = db.tx(async (q) => {
      await q.query('INSERT INTO t (id) VALUES (10)');
      order.push('tx inserted');
      await held;
      order.push('tx ends');
    });
    // Sent while the transaction is open: it waits for the commit, so it sees the row.
    await new Promise((r) => setTimeout(r, 50));
    const outside = db.query<{ n: number }>('SELECT count(*)::int AS n FROM t WHERE id = 10').then((r) => {
      order.push('outside read');
      return r.rows[0]!.n;
    });
    await new Promise((r) => setTimeout(r, 50));
    release();
    await tx;
    expect(await outside).toBe(1);
    expect(order).toEqual(['tx inserted', 'tx ends', 'outside read']);

    await expect(
      db.tx(async (q) => {
        await q.query('INSERT INTO t (id) VALUES (11)');
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    const failedInside = db.tx(async (q) => {
      await q.query('INSERT INTO t (id) VALUES (12)');
      await q.query('INSERT INTO t (id) VALUES (12)');
    });
    await expect(failedInside).rejects.toMatchObject({ code: '23505' });
    const left = await db.query<{ id: number }>('SELECT id FROM t WHERE id IN (11, 12)');
    expect(left.rows).toEqual([]);
  });

  it('prepares each statement once and still sees a table that changed, whether by exec or by a statement', async () => {
    await db.exec('CREATE TABLE shape (a int)');
    await db.query('INSERT INTO shape VALUES (1)');
    const read = () => db.query('SELECT * FROM shape');
    // Past PostgreSQL's five custom plans, so the statement runs on its cached plan.
    for (let i = 0; i < 7; i++) expect((await read()).rows).toEqual([{ a: 1 }]);
    await db.exec("ALTER TABLE shape ADD COLUMN b text DEFAULT 'x'");
    expect((await read()).rows).toEqual([{ a: 1, b: 'x' }]);
    await db.query("ALTER TABLE shape ADD COLUMN c text DEFAULT 'y'");
    expect((await read()).rows).toEqual([{ a: 1, b: 'x', c: 'y' }]);
    // Inside a transaction, as migrations run: a failed statement there could not be retried.
    await db.tx(async (q) => {
      for (let i = 0; i < 7; i++) await q.query('SELECT * FROM shape');
      await q.query("-- a migration's comment\nALTER TABLE shape ADD COLUMN d text DEFAULT 'z'");
      expect((await q.query('SELECT * FROM shape')).rows).toEqual([{ a: 1, b: 'x', c: 'y', d: 'z' }]);
    });
  });

  it('keeps working past the statement cache, after a syntax error, and with arrays, nulls and JSON', async () => {
    for (let i = 0; i < 520; i++)
      expect((await db.query(`SELECT $1::int + ${i} AS v`, [1])).rows[0]).toEqual({ v: 1 + i });
    expect((await db.query('SELECT $1::int + 0 AS v', [5])).rows[0]).toEqual({ v: 5 });
    await expect(db.query('SELEC 1')).rejects.toMatchObject({ code: '42601' });
    const r = await db.query<{ n: number; missing: null; doc: unknown }>(
      'SELECT cardinality($1::int[]) AS n, $2::text AS missing, $3::jsonb AS doc',
      [[1, 2, 3], null, JSON.stringify({ k: ['v'] })],
    );
    expect(r.rows).toEqual([{ n: 3, missing: null, doc: { k: ['v'] } }]);
  });

  it('leaves the event loop free while a statement runs', async () => {
    const order: string[] = [];
    const heavy = db
      .query('SELECT count(*) FROM generate_series(1, 3000000) g, LATERAL (SELECT g % 7) x')
      .then(() => order.push('statement done'));
    await new Promise((r) => setTimeout(r, 1)).then(() => order.push('timer fired'));
    await heavy;
    expect(order).toEqual(['timer fired', 'statement done']);
  });
});

const repo = join(import.meta.dirname, '..', '..');

/** Writes a script for a child process (run with tsx): `body`, with `openDb` imported from the sources. */
function dbScript(dir: string, name: string, body: string): string {
  const file = join(dir, name);
  const db = pathToFileURL(join(repo, 'src', 'store', 'db.ts')).href;
  writeFileSync(file, `import { openDb } from ${JSON.stringify(db)};\n${body}`);
  return file;
}

describe('the embedded store in a data directory', () => {
  it('keeps what was written across a close and a reopen, and a short-lived process exits on its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ib-thread-'));
    try {
      const script = dbScript(
        dir,
        'check.mts',
        `
        const db = await openDb({ dataDir: process.argv[2], command: 'test' });
        await db.exec('CREATE TABLE IF NOT EXISTS kept (v text)');
        await db.query("INSERT INTO kept VALUES ('written before close')");
        await db.close();
        const again = await openDb({ dataDir: process.argv[2], command: 'test' });
        const { rows } = await again.query('SELECT v FROM kept');
        console.log(JSON.stringify(rows));
        // No close: the thread must not hold the process open once nothing is waiting on it.
      `,
      );
      const out = spawnSync(process.execPath, ['--import', 'tsx', script, join(dir, 'data')], {
        cwd: repo,
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(out.stderr).toBe('');
      expect(out.status).toBe(0);
      expect(JSON.parse(out.stdout.trim())).toEqual([{ v: 'written before close' }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('a first start cut short (killed while creating the database) leaves a directory the next start opens', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ib-init-'));
    try {
      const data = join(dir, 'data');
      const script = dbScript(dir, 'open.mts', "await openDb({ dataDir: process.argv[2], command: 'serve' });");
      // Killed while PostgreSQL's initdb is writing the new database (its first files are there).
      const child = spawn(process.execPath, ['--import', 'tsx', script, data], { cwd: repo, stdio: 'ignore' });
      const started = () => ['global', '.initialising/global'].some((p) => existsSync(join(data, p)));
      for (let i = 0; i < 3000 && !started(); i++) await new Promise((r) => setTimeout(r, 10));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      // What an attempt killed while moving the new database into place would leave, beside a file of ours.
      mkdirSync(join(data, 'base'), { recursive: true });
      writeFileSync(join(data, 'base', 'half'), 'x');
      writeFileSync(join(data, 'local-workspace.json'), '{}');
      const db = await openDb({ dataDir: data, command: 'serve' });
      try {
        expect((await db.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      } finally {
        await db.close();
      }
      expect(readdirSync(data)).toContain('local-workspace.json');
      expect(readdirSync(data)).not.toContain('.initialising');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('a damaged database is refused with one line naming the directory and what to do', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ib-damaged-'));
    try {
      await (await openDb({ dataDir: dir, command: 'test' })).close();
      writeFileSync(join(dir, 'global', 'pg_control'), Buffer.alloc(2000, 7));
      const err = await openDb({ dataDir: dir, command: 'serve' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreDamagedError);
      expect((err as Error).message).toContain(`The embedded database in ${dir} cannot be opened`);
      expect((err as Error).message).toMatch(/Restore the directory from a backup, or move it aside/);
      // The lock is released: the next attempt fails the same way, not as "in use".
      await expect(openDb({ dataDir: dir, command: 'serve' })).rejects.toBeInstanceOf(StoreDamagedError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
