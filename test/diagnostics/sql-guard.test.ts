import { describe, expect, it } from 'vitest';
import { checkReadOnlySql } from '../../src/diagnostics/sql-guard.js';

describe('checkReadOnlySql', () => {
  it.each([
    'SELECT count(*) FROM pg_stat_activity;',
    "SELECT pid, now() - query_start AS duration, query FROM pg_stat_activity WHERE state = 'active' ORDER BY duration DESC",
    'WITH s AS (SELECT * FROM pg_stat_user_tables) SELECT relname FROM s',
    'EXPLAIN SELECT 1',
    'EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM pg_locks',
    'SHOW max_connections',
    'VALUES (1), (2)',
    'TABLE pg_settings',
    "SELECT 'UPDATE t SET a = 1; DROP TABLE x' AS harmless_text",
    'SELECT 1 -- DELETE FROM t\n',
    'SELECT $$ DROP TABLE x $$',
    "SELECT E'it\\'s; DELETE'",
    'select relname, n_dead_tup from pg_stat_user_tables order by n_dead_tup desc limit 10',
  ])('accepts %j', (sql) => {
    expect(checkReadOnlySql(sql).statement.length).toBeGreaterThan(0);
  });

  it.each([
    ['WITH x AS (UPDATE accounts SET balance = 0 RETURNING *) SELECT * FROM x', /UPDATE/],
    ['WITH d AS (DELETE FROM t RETURNING *) SELECT 1', /DELETE/],
    ['SET statement_timeout = 0', /starts with SET/],
    ['SELECT 1; SELECT 2', /single SQL statement/],
    ['SELECT 1; DROP TABLE users', /single SQL statement/],
    ['UPDATE t SET a = 1', /starts with UPDATE/],
    ['DELETE FROM t', /starts with DELETE/],
    ['INSERT INTO t VALUES (1)', /starts with INSERT/],
    ["COPY t TO PROGRAM 'rm -rf /'", /starts with COPY/],
    ['DO $$ BEGIN PERFORM 1; END $$', /starts with DO/],
    ['CALL cleanup()', /starts with CALL/],
    ['SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = 123', /pg_terminate_backend/],
    ['SELECT pg_cancel_backend(42)', /pg_cancel_backend/],
    ['SELECT pg_reload_conf()', /pg_reload_conf/],
    ["SELECT set_config('statement_timeout', '0', false)", /set_config/],
    ["SELECT lo_import('/etc/passwd')", /lo_import/],
    ["SELECT * FROM dblink('host=x', 'DELETE FROM t') AS t(a int)", /dblink/],
    ['SELECT "pg_terminate_backend"(1)', /pg_terminate_backend/],
    ['SELECT pg_catalog.pg_terminate_backend (1)', /pg_terminate_backend/],
    ["SELECT query_to_xml('select pg_terminate_backend(1)', true, true, '')", /query_to_xml/],
    ['SELECT * INTO new_table FROM t', /INTO/],
    ['SELECT * FROM t FOR UPDATE', /UPDATE/],
    ['SELECT * FROM t FOR SHARE', /FOR SHARE/],
    ['EXPLAIN ANALYZE DELETE FROM t', /DELETE/],
    ['SELECT pg_sleep(600)', /pg_sleep/],
    ["SELECT nextval('s')", /nextval/],
    ['/* unterminated SELECT 1', /Unterminated/],
    ["SELECT 'unterminated", /Unterminated/],
    ['\\dt', /meta-commands|starts with/],
    ['', /no SQL/],
    ['VACUUM FULL t', /starts with VACUUM/],
    ['LOCK TABLE t', /starts with LOCK/],
    ['SELECT 1; COMMIT; DROP TABLE t', /single SQL statement/],
  ])('refuses %j', (sql, why) => {
    expect(() => checkReadOnlySql(sql)).toThrow(why);
  });

  it('returns the statement without its trailing semicolon', () => {
    expect(checkReadOnlySql('  SELECT 1 ;  ').statement).toBe('SELECT 1');
  });
});
