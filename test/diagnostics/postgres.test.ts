import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgConnect } from '../../src/diagnostics/postgres.js';
import { createDiagnostics } from '../../src/diagnostics/run.js';
import { silentLogger } from '../../src/log.js';
import { cmd } from './helpers.js';

const URL = process.env.DATABASE_URL;
if (!URL) console.log('DATABASE_URL unset: postgres executor tests run on PGlite');

/** PGlite behind the executor's connector, for machines without PostgreSQL. */
let lite: PGlite | undefined;
const pgliteConnect: PgConnect = async () => {
  lite ??= await PGlite.create();
  const db = lite;
  return {
    async query(sql, params) {
      const r = await db.query<unknown[]>(sql, params ?? [], { rowMode: 'array' });
      return { fields: r.fields.map((f) => f.name), rows: r.rows };
    },
    end: async () => {},
  };
};

const TABLE = `diag_test_${process.pid}`;

beforeAll(async () => {
  const setup = `CREATE TABLE IF NOT EXISTS ${TABLE} (id int primary key, name text);
    INSERT INTO ${TABLE} SELECT g, 'row ' || g FROM generate_series(1, 120) g ON CONFLICT DO NOTHING;`;
  if (URL) {
    const pg = (await import('pg')).default;
    const c = new pg.Client({ connectionString: URL });
    await c.connect();
    await c.query(setup);
    await c.end();
  } else {
    await (await pgliteConnect('', { timeoutMs: 1000 })).query('SELECT 1');
    await lite?.exec(setup);
  }
});

afterAll(async () => {
  if (URL) {
    const pg = (await import('pg')).default;
    const c = new pg.Client({ connectionString: URL });
    await c.connect();
    await c.query(`DROP TABLE IF EXISTS ${TABLE} CASCADE`);
    await c.query(`DROP FUNCTION IF EXISTS ${TABLE}_touch(), ${TABLE}_sneak()`);
    await c.end();
  }
  await lite?.close();
});

const diag = (targets: Record<string, string> = { orders: URL ?? 'pglite://orders' }, timeoutMs = 3000) =>
  createDiagnostics({
    postgresTargets: targets,
    redisTargets: {},
    timeoutMs,
    maxConcurrent: 4,
    maxPerIncident: 4,
    logger: silentLogger,
    rowCap: 50,
    // DATABASE_URL is the superuser `postgres` on CI; the superuser refusal has its own test.
    allowSuperuser: true,
    pgConnect: URL ? undefined : pgliteConnect,
  });

const run = (
  text: string,
  opts: { target?: string; values?: Record<string, string>; d?: ReturnType<typeof diag> } = {},
) =>
  (opts.d ?? diag()).run({
    command: cmd(text, 'postgres'),
    values: opts.values ?? {},
    incidentId: 1,
    target: opts.target,
  });

describe(`postgres executor (${URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('runs a SELECT from a psql -c line and renders it like psql', async () => {
    const r = await run(`psql -h orders-db -U app -c "SELECT id, name FROM ${TABLE} WHERE id <= 2 ORDER BY id;"`);
    expect(r.error).toBeNull();
    expect(r.output).toBe(' id | name\n----+-------\n 1  | row 1\n 2  | row 2\n(2 rows)');
  });

  it('runs bare SQL from a sql block', async () => {
    const r = await run(`-- how many?\nSELECT count(*) AS n FROM ${TABLE};`);
    expect(r.output).toContain('120');
  });

  it('caps rows through a cursor and says more rows were not fetched', async () => {
    const r = await run(`SELECT * FROM ${TABLE} ORDER BY id`);
    expect(r.rows).toBe(50);
    expect(r.output).toMatch(/\(first 50 rows; more rows not fetched\)$/);
  });

  it('runs SHOW and EXPLAIN', async () => {
    expect((await run('SHOW server_version')).ok).toBe(true);
    const e = await run(`EXPLAIN SELECT * FROM ${TABLE}`);
    expect(e.output).toMatch(/Seq Scan/);
  });

  it('refuses an UPDATE hidden in a CTE without touching the data', async () => {
    const r = await run(`WITH x AS (UPDATE ${TABLE} SET name = 'pwned' RETURNING *) SELECT * FROM x`);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/UPDATE/);
    expect((await run(`SELECT count(*) FROM ${TABLE} WHERE name = 'pwned'`)).output).toContain(' 0');
  });

  it.each([
    ['SET statement_timeout = 0', /this is SET/],
    [`SELECT 1; DELETE FROM ${'t'}`, /single SQL statement/],
    ['SELECT pg_terminate_backend(pid) FROM pg_stat_activity', /pg_terminate_backend/],
    ['psql -f dump.sql', /-f/],
    ['psql $DATABASE_URL', /interactive/],
  ])('refuses %j', async (text, why) => {
    const r = await run(text);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(why);
  });

  it('refuses a volatile user function, and a writing function declared STABLE still cannot write', async () => {
    // The policy refuses what the target marks volatile; a function that lies about its volatility is
    // stopped by PostgreSQL (read-only transaction / non-volatile function).
    const setup = `CREATE OR REPLACE FUNCTION ${TABLE}_touch() RETURNS int LANGUAGE sql AS $$ UPDATE ${TABLE} SET name = 'x' WHERE id = 1 RETURNING 1 $$;
      CREATE OR REPLACE FUNCTION ${TABLE}_sneak() RETURNS int LANGUAGE plpgsql STABLE AS $$ BEGIN EXECUTE 'UPDATE ${TABLE} SET name = ''x'' WHERE id = 1'; RETURN 1; END $$`;
    if (URL) {
      const pg = (await import('pg')).default;
      const c = new pg.Client({ connectionString: URL });
      await c.connect();
      await c.query(setup);
      await c.end();
    } else await lite?.exec(setup);
    const r = await run(`SELECT ${TABLE}_touch()`);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/volatile/);
    const s = await run(`SELECT ${TABLE}_sneak()`);
    expect(s.ok).toBe(false);
    expect(s.error).toMatch(/read-only transaction|non-volatile function/);
    expect((await run(`SELECT count(*) FROM ${TABLE} WHERE name = 'x'`)).output).toContain(' 0');
  });

  it.runIf(URL)('stops a long query at statement_timeout', async () => {
    const d = diag({ orders: URL as string }, 300);
    const started = Date.now();
    const r = await run('SELECT count(*) FROM generate_series(1, 1e9)', { d });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/Timed out after 0\.3 s/);
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it('picks the target the command names, or lists the configured ones', async () => {
    const d = diag({ orders: URL ?? 'pglite://orders', billing: URL ?? 'pglite://billing' });
    expect((await run('psql -h orders-db.prod.svc -c "SELECT 1"', { d })).ok).toBe(true);
    expect((await run('psql -h <db-host> -c "SELECT 1"', { d, values: { 'db-host': 'billing' } })).ok).toBe(true);
    const r = await run('SELECT 1', { d });
    expect(r.error).toMatch(/Which PostgreSQL\? Configured targets: orders, billing/);
    expect((await run('SELECT 1', { d, target: 'billing' })).ok).toBe(true);
    expect((await run('SELECT 1', { d, target: 'nope' })).error).toMatch(/Unknown PostgreSQL target "nope"/);
  });

  it('does not ask for connection placeholders when one target is configured', () => {
    const d = diag();
    expect(d.missing(cmd('psql -h $DB_HOST -c "SELECT * FROM t WHERE id = <id>"', 'postgres'), {})).toEqual(['id']);
  });

  it('reports an unreachable target without the URL', async () => {
    const d = createDiagnostics({
      postgresTargets: { orders: 'postgres://u:secret@127.0.0.1:1/db' },
      redisTargets: {},
      timeoutMs: 1000,
      maxConcurrent: 1,
      maxPerIncident: 1,
      logger: silentLogger,
    });
    const r = await d.run({ command: cmd('SELECT 1', 'postgres'), values: {}, incidentId: 1 });
    expect(r.error).toBe('PostgreSQL target "orders" is unreachable (ECONNREFUSED).');
  });

  it('says when no targets are configured', async () => {
    const r = await run('SELECT 1', { d: diag({}) });
    expect(r.error).toMatch(/DIAG_POSTGRES_URLS/);
  });
});
