import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_BUILTIN_FUNCTIONS } from '../../src/diagnostics/guards/pg-builtin-functions.js';
import { PG_BUILTIN_VOLATILE } from '../../src/diagnostics/guards/pg-volatile.js';
import {
  ALLOWED_VOLATILE,
  CATALOG_SQL,
  catalogFromRows,
  checkSql,
  evaluatesOrEscapes,
  type PgCatalog,
} from '../../src/diagnostics/guards/sql.js';
import { connectPg, type PgConnect, ResultTooLargeError } from '../../src/diagnostics/postgres.js';
import { createDiagnostics } from '../../src/diagnostics/run.js';
import { silentLogger } from '../../src/log.js';
import { cmd } from './helpers.js';

const URL = process.env.DATABASE_URL;
if (!URL) console.log('DATABASE_URL unset: SQL policy tests against a real PostgreSQL pg_proc are skipped');

const ROLE = `rt_reader_${process.pid}`;
const roleUrl = () => {
  const u = new globalThis.URL(URL as string);
  u.username = ROLE;
  u.password = 'rtpw';
  return u.toString();
};

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

describe.runIf(URL)('SQL policy against a real PostgreSQL', () => {
  let catalog: PgCatalog;
  let rows: { name: string; volatility: string; schema: string }[];

  beforeAll(async () => {
    await admin(async (c) => {
      catalog = catalogFromRows((await c.query({ text: CATALOG_SQL, rowMode: 'array' })).rows);
      rows = (
        await c.query(
          'SELECT p.proname::text AS name, p.provolatile::text AS volatility, n.nspname::text AS schema FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace',
        )
      ).rows;
      await c.query(`DROP ROLE IF EXISTS ${ROLE}`);
      await c.query(`CREATE ROLE ${ROLE} LOGIN PASSWORD 'rtpw' IN ROLE pg_monitor`);
    });
  });

  afterAll(async () => {
    await admin((c) => c.query(`DROP ROLE IF EXISTS ${ROLE}`)).catch(() => {});
  });

  it('judges every function of pg_proc: allowed exactly when all its overloads are immutable/stable or it is on the short list, never an SQL-evaluating one', () => {
    // At least these must be refused whatever pg_proc says; the module's list may hold more.
    const mustRefuse =
      /^(ts_stat|ts_rewrite|.*_to_xml.*|cursor_to_.*|dblink.*|lo_.*|pg_read_.*|pg_ls_.*|pg_stat_file)$/;
    const evaluates = { test: (n: string) => mustRefuse.test(n) || evaluatesOrEscapes(n) };
    let checked = 0;
    for (const [name, vols] of catalog) {
      // Quoted so that the exact (case-sensitive) name is called.
      const v = checkSql(`SELECT "${name.replace(/"/g, '""')}"()`, catalog);
      const expected =
        !evaluates.test(name) &&
        !/^pg_(terminate|cancel)_backend$/.test(name) &&
        (ALLOWED_VOLATILE.has(name) || !vols.has('v'));
      expect({ name, allowed: v.allowed }).toEqual({ name, allowed: expected });
      if (!vols.has('v') && !ALLOWED_VOLATILE.has(name)) expect(v.risk === 'read' || evaluates.test(name)).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThan(2000);
    // Functions that run SQL text are refused even where PostgreSQL marks them stable.
    for (const name of ['ts_stat', 'ts_rewrite', 'query_to_xml', 'table_to_xml', 'schema_to_xml', 'database_to_xml'])
      expect(checkSql(`SELECT ${name}('x')`, catalog).allowed).toBe(false);
  });

  it("the built-in volatility list used without a catalog covers every volatile function of this server's pg_catalog", () => {
    const missing = rows
      .filter((r) => r.schema === 'pg_catalog' && r.volatility === 'v' && !PG_BUILTIN_VOLATILE.has(r.name))
      .map((r) => r.name);
    expect(missing).toEqual([]);
  });

  it("the built-in name list used without a catalog holds every function of this server's pg_catalog", () => {
    const missing = rows
      .filter((r) => r.schema === 'pg_catalog' && !PG_BUILTIN_FUNCTIONS.has(r.name))
      .map((r) => r.name);
    expect(missing).toEqual([]);
  });

  const diag = (url: string, extra: Partial<Parameters<typeof createDiagnostics>[0]> = {}) =>
    createDiagnostics({
      postgresTargets: { orders: url },
      redisTargets: {},
      timeoutMs: 5000,
      maxConcurrent: 2,
      maxPerIncident: 2,
      logger: silentLogger,
      rowCap: 50,
      ...extra,
    });
  const run = (d: ReturnType<typeof diag>, sql: string, values: Record<string, string> = {}) =>
    d.run({ command: cmd(sql, 'postgres'), values, incidentId: 1 });

  it('rt-01: the ts_stat step is refused and the victim session survives', async () => {
    const victim = new pg.Client({ connectionString: roleUrl(), application_name: 'victim' });
    victim.on('error', () => {});
    await victim.connect();
    try {
      const r = await run(
        diag(roleUrl()),
        "SELECT word AS status, ndoc FROM ts_stat(convert_from(decode('U0VMRUNUIHRvX3RzdmVjdG9yKCdzaW1wbGUnLCBwZ190ZXJtaW5hdGVfYmFja2VuZChwaWQpOjp0ZXh0KSBGUk9NIHBnX3N0YXRfYWN0aXZpdHkgV0hFUkUgYXBwbGljYXRpb25fbmFtZSA9ICd2aWN0aW0n', 'base64'), 'UTF8'));",
      );
      expect(r.ok).toBe(false);
      expect(r.error).toMatch(/ts_stat/);
      expect((await victim.query('SELECT 1 AS alive')).rows[0].alive).toBe(1);
    } finally {
      await victim.end().catch(() => {});
    }
  });

  it('refuses a superuser target unless allowed, naming pg_monitor', async () => {
    const r = await run(diag(URL as string), 'SELECT 1');
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/superuser.*pg_monitor/);
    expect((await run(diag(URL as string, { allowSuperuser: true }), 'SELECT 1')).ok).toBe(true);
  });

  it('binds placeholder values as parameters: `1--` is a value, not a comment', async () => {
    const d = diag(roleUrl());
    const r = await run(d, "SELECT '<v>' AS got, 'tail' AS rest", { v: "1'--" });
    // validateValue may refuse quotes; either way nothing is spliced into the SQL.
    if (r.ok) expect(r.output).toContain("1'--");
    const ok = await run(d, 'SELECT <n>::text AS got, 7 AS tenant', { n: '1--' });
    expect(ok.error).toBeNull();
    expect(ok.output).toMatch(/1--\s+\|\s+7/);
  });

  it('rt-02: a huge cell is cut by PostgreSQL, the process keeps running and the output stays small', async () => {
    // Count what the driver hands back: PostgreSQL must have cut the cells, not the bot after buffering them.
    let received = 0;
    const counting: PgConnect = async (url, o) => {
      const s = await connectPg(url, o);
      return {
        async query(sql, params) {
          const r = await s.query(sql, params);
          for (const row of r.rows) for (const c of row) received += String(c ?? '').length;
          return r;
        },
        end: () => s.end(),
      };
    };
    const d = diag(roleUrl(), { maxResultBytes: 64 * 1024, pgConnect: counting });
    const r = await run(d, "SELECT g AS id, repeat('x', 20000000) AS payload FROM generate_series(1, 3) g");
    expect(r.error).toBeNull();
    expect(r.rows).toBe(3);
    expect(r.output.length).toBeLessThan(64 * 1024);
    received = 0;
    await run(d, "SELECT g AS id, repeat('x', 20000000) AS payload FROM generate_series(1, 3) g");
    expect(received).toBeLessThanOrEqual(64 * 1024);
  });

  it('rt-02: the client stops reading once the byte budget is spent (no string is built from the whole cell)', async () => {
    const s = await connectPg(roleUrl(), { timeoutMs: 5000, maxBytes: 1024 * 1024 });
    try {
      await expect(s.query("SELECT repeat('x', 30000000)")).rejects.toBeInstanceOf(ResultTooLargeError);
    } finally {
      await s.end();
    }
  });
});
