import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PG_BUILTIN_VOLATILE } from '../../src/diagnostics/guards/pg-volatile.js';
import { ALLOWED_VOLATILE, bindPlaceholders, checkSql, type PgCatalog } from '../../src/diagnostics/guards/sql.js';
import { classifyCommand } from '../../src/runbooks/classify.js';

/** A small catalog: some stable/immutable functions, every PostgreSQL 15 built-in volatile one. */
const SAFE = ['lower', 'upper', 'coalesce', 'abs', 'length', 'now', 'count', 'sum', 'left', 'format', 'to_char'];
const catalog: PgCatalog = new Map<string, Set<string>>([
  ...SAFE.map((n) => [n, new Set(['s'])] as [string, Set<string>]),
  ...[...PG_BUILTIN_VOLATILE].map((n) => [n, new Set(['v'])] as [string, Set<string>]),
  ['ts_rewrite', new Set(['i', 'v'])],
  ['query_to_xml', new Set(['s'])],
  ['table_to_xml', new Set(['s'])],
  ['current_setting', new Set(['s'])],
]);

describe('checkSql: allowed', () => {
  it.each([
    'SELECT count(*) FROM pg_stat_activity;',
    "SELECT pid, now() - query_start AS duration, query FROM pg_stat_activity WHERE state = 'active' ORDER BY duration DESC",
    'WITH s AS (SELECT * FROM pg_stat_user_tables) SELECT relname FROM s',
    'EXPLAIN SELECT 1',
    'SHOW max_connections',
    'VALUES (1), (2)',
    'TABLE pg_settings',
    "SELECT 'UPDATE t SET a = 1; DROP TABLE x' AS harmless_text",
    'SELECT 1 -- DELETE FROM t\n',
    'SELECT $$ DROP TABLE x $$',
    "SELECT E'it\\'s; DELETE'",
    'select relname, n_dead_tup from pg_stat_user_tables order by n_dead_tup desc limit 10',
    'SELECT pg_size_pretty(pg_database_size(current_database())), clock_timestamp(), pg_is_in_recovery()',
    'SELECT p.relname FROM pg_class p', // a column reference, not a function call
  ])('%j', (sql) => {
    const v = checkSql(sql);
    expect(v.reasons).toEqual([]);
    expect(v.allowed).toBe(true);
    expect(v.risk).toBe('read');
  });

  it('returns the statement without its trailing semicolon and keeps a trailing comment on its own line', () => {
    expect(checkSql('  SELECT 1 ;  ').statement).toBe('SELECT 1');
    expect(checkSql('SELECT 1 -- note').statement).toBe('SELECT 1 -- note');
  });
});

describe('checkSql: refused', () => {
  it.each([
    ['WITH x AS (UPDATE accounts SET balance = 0 RETURNING *) SELECT * FROM x', /UPDATE/, 'write'],
    ['WITH d AS (DELETE FROM t RETURNING *) SELECT 1', /DELETE/, 'destructive'],
    ['SET statement_timeout = 0', /SET/, 'write'],
    ['SELECT 1; SELECT 2', /single SQL statement/, 'read'],
    ['SELECT 1; DROP TABLE users', /single SQL statement/, 'destructive'],
    ['UPDATE t SET a = 1', /UPDATE/, 'write'],
    ['DELETE FROM t', /DELETE/, 'destructive'],
    ['INSERT INTO t VALUES (1)', /INSERT/, 'write'],
    ["COPY t TO PROGRAM 'rm -rf /'", /COPY/, 'write'],
    ['DO $$ BEGIN PERFORM 1; END $$', /DO/, 'exec'],
    ['CALL cleanup()', /CALL/, 'exec'],
    ['SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = 123', /pg_terminate_backend/, 'write'],
    ['SELECT pg_cancel_backend(42)', /pg_cancel_backend/, 'write'],
    ['SELECT pg_reload_conf()', /pg_reload_conf/, 'write'],
    ["SELECT set_config('statement_timeout', '0', false)", /set_config/, 'write'],
    ["SELECT lo_import('/etc/passwd')", /lo_import/, 'exec'],
    ["SELECT * FROM dblink('host=x', 'DELETE FROM t') AS t(a int)", /dblink/, 'exec'],
    ['SELECT "pg_terminate_backend"(1)', /pg_terminate_backend/, 'write'],
    ['SELECT pg_catalog.pg_terminate_backend (1)', /pg_terminate_backend/, 'write'],
    ["SELECT query_to_xml('select pg_terminate_backend(1)', true, true, '')", /query_to_xml/, 'exec'],
    ["SELECT table_to_xml('pg_authid', true, true, '')", /table_to_xml/, 'exec'],
    ['SELECT * INTO new_table FROM t', /INTO/, 'write'],
    ['SELECT * FROM t FOR UPDATE', /FOR UPDATE/, 'write'],
    ['SELECT * FROM t FOR SHARE', /FOR UPDATE\/SHARE/, 'write'],
    ['EXPLAIN ANALYZE DELETE FROM t', /ANALYZE/, 'write'],
    ['EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM pg_locks', /ANALYZE/, 'read'],
    ['SELECT pg_sleep(600)', /pg_sleep/, 'write'],
    ["SELECT nextval('s')", /nextval/, 'write'],
    ["SELECT pg_stat_file('/etc/passwd')", /pg_stat_file/, 'exec'],
    ["SELECT pg_read_file('/etc/hostname')", /pg_read_file/, 'exec'],
    ['SELECT pg_stat_statements_reset()', /not a function of this database|volatile/, 'read'],
    ['/* unterminated SELECT 1', /does not parse/, 'write'],
    ["SELECT 'unterminated", /does not parse/, 'read'],
    ['\\dt', /does not parse/, 'write'],
    ['', /no SQL/, 'read'],
    ['VACUUM FULL t', /VACUUM/, 'write'],
    ['LOCK TABLE t', /LOCK/, 'write'],
    ['SELECT 1; COMMIT; DROP TABLE t', /single SQL statement/, 'destructive'],
  ])('%j', (sql, why, risk) => {
    const v = checkSql(sql, catalog);
    expect(v.allowed).toBe(false);
    expect(v.reasons.join(' ')).toMatch(why);
    expect(v.risk).toBe(risk);
  });
});

describe('rt-01: SQL hidden in a function argument', () => {
  // The runbook step of rt-01: ts_stat() runs the (base64-encoded) query that kills sessions.
  const RT01 =
    "SELECT word AS status, ndoc FROM ts_stat(convert_from(decode('U0VMRUNUIHRvX3RzdmVjdG9yKCdzaW1wbGUnLCBwZ190ZXJtaW5hdGVfYmFja2VuZChwaWQpOjp0ZXh0KSBGUk9NIHBnX3N0YXRfYWN0aXZpdHkgV0hFUkUgYXBwbGljYXRpb25fbmFtZSA9ICd2aWN0aW0n', 'base64'), 'UTF8'));";

  it.each([
    RT01,
    "SELECT * FROM ts_stat('SELECT to_tsvector(pg_terminate_backend(pid)::text) FROM pg_stat_activity')",
    "SELECT word FROM ts_stat('SELECT to_tsvector(''simple'', pg_read_file(''/etc/hostname''))')",
    "SELECT ts_rewrite('a'::tsquery, 'SELECT ''a''::tsquery, to_tsquery(pg_sleep(5)::text)')",
    "SELECT ('SELECT to_tsvector(pg_terminate_backend(1)::text)'::text).ts_stat", // field-selection call syntax
    "SELECT x.ts_stat FROM (SELECT 'SELECT 1'::text) AS x(q)",
    "SELECT pg_catalog.ts_stat('SELECT ' || 'x')",
  ])('refuses %j with or without the target catalog', (sql) => {
    for (const c of [undefined, catalog]) {
      const v = checkSql(sql, c);
      expect(v.allowed).toBe(false);
      expect(v.risk).toBe('exec');
    }
  });

  it('the runbook classifier no longer offers a plain Run for it', () => {
    const c = classifyCommand(RT01, { lang: 'sql' });
    expect(c.risk).toBe('exec');
    expect(c.reason).toMatch(/ts_stat/);
  });
});

describe('placeholders are bound as parameters', () => {
  it('turns value placeholders into $n, inside and outside string literals', () => {
    const b = bindPlaceholders(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a ${NS} runbook placeholder, not a template
      "SELECT * FROM orders WHERE id = <id> AND name LIKE '%<name>%' AND at > now() - interval '<mins> minutes' AND ns = '${NS}'",
    );
    expect(b.params).toEqual(['id', 'name', 'mins', 'NS']);
    expect(b.text).toContain('id = $1');
    expect(b.text).toContain("LIKE ('%' || $2::text || '%')");
    expect(b.text).toContain("CAST(($3::text || ' minutes') AS interval)");
    expect(b.text).toContain('ns = $4');
    expect(checkSql(b.text).allowed).toBe(true);
  });

  it('a value such as `1--` cannot comment out the rest of the line', () => {
    const v = checkSql('SELECT * FROM t WHERE id = <id> AND tenant = 7');
    expect(v.statement).toBe('SELECT * FROM t WHERE id = $1 AND tenant = 7');
    expect(v.params).toEqual(['id']);
  });

  it('refuses a placeholder used as a table name', () => {
    expect(() => bindPlaceholders('SELECT * FROM <table>')).toThrow(/used as a name/);
    expect(checkSql('SELECT * FROM <table>').allowed).toBe(false);
  });
});

describe('property: a call outside the allow-list is refused wherever it appears', () => {
  const forbidden = fc.oneof(
    fc.constantFrom(...[...PG_BUILTIN_VOLATILE].filter((n) => !ALLOWED_VOLATILE.has(n))),
    fc.constantFrom(
      'ts_stat',
      'ts_rewrite',
      'query_to_xml',
      'table_to_xml',
      'dblink_exec',
      'lo_export',
      'pg_read_file',
    ),
    // Functions the target does not have (user-defined elsewhere, typos): refused too.
    fc.stringMatching(/^[a-z][a-z0-9_]{2,20}$/).filter((n) => !catalog.has(n) && !/^__ib_ph/.test(n)),
  );
  const safe = fc.constantFrom(...SAFE.filter((n) => n !== 'count'));
  const expr = (bad: string) =>
    fc.oneof(
      fc.constant(`${bad}('x')`),
      fc.constant(`"${bad}"(1)`),
      fc.constant(`pg_catalog.${bad}(1, 'a')`),
      // Field-selection syntax calls a function only when one of that name exists; otherwise it is a column.
      fc.constant(catalog.has(bad) ? `('y'::text)."${bad}"` : `${bad}(2)`),
      safe.map((s) => `${s}(${bad}(1))`),
      safe.map((s) => `${s}('a', ${bad}())`),
    );
  const placement = (e: string) =>
    fc.constantFrom(
      `SELECT ${e}`,
      `SELECT a FROM t WHERE b = ${e}`,
      `SELECT a FROM t ORDER BY ${e}`,
      `WITH w AS (SELECT ${e} AS v) SELECT v FROM w`,
      `SELECT (SELECT ${e})`,
      `SELECT a FROM t GROUP BY a HAVING count(*) > ${e}`,
      `VALUES (${e})`,
      `EXPLAIN SELECT ${e}`,
      `SELECT a FROM t JOIN u ON u.id = ${e}`,
      `SELECT CASE WHEN true THEN ${e} END`,
      `SELECT * FROM coalesce(${e}) AS f`,
    );
  it('holds for generated statements', () => {
    fc.assert(
      fc.property(
        forbidden.chain((bad) => expr(bad).chain((e) => placement(e).map((sql) => ({ bad, sql })))),
        ({ sql }) => {
          const v = checkSql(sql, catalog);
          return !v.allowed && v.reasons.length > 0;
        },
      ),
      { numRuns: 600 },
    );
  });

  it('and the same statements with only allowed calls pass', () => {
    fc.assert(
      fc.property(
        safe.chain((s) => placement(`${s}('x')`)),
        (sql) => checkSql(sql, catalog).allowed,
      ),
      { numRuns: 200 },
    );
  });
});
