import { checkSql } from '../../diagnostics/guards/sql.js';
import { type Finding, f } from './finding.js';

/** Grammar of psql -c / mysql -e and SQL statements. */
export function psqlFinding(args: string[], inputFile: string | null): Finding {
  const sql =
    args.find((_, i) => /^(-c|--command)$/.test(args[i - 1] ?? '')) ?? /^--command=(.*)$/s.exec(args.join(' '))?.[1];
  if (sql) return sqlFinding(sql);
  const file = args.find((_, i) => /^(-f|--file)$/.test(args[i - 1] ?? '')) ?? inputFile;
  if (file) return f('postgres', 'exec', `runs every statement in ${file} (psql)`);
  return f('postgres', 'exec', 'opens an interactive psql session');
}

/** `mysql -e "…"` / `mysql --execute=…`: classified by its SQL; the bot has no MySQL executor. */
export function mysqlFinding(args: string[]): Finding {
  const sql =
    args.find((_, i) => /^(-e|--execute)$/.test(args[i - 1] ?? '')) ?? /--execute=(.*)$/s.exec(args.join(' '))?.[1];
  if (!sql) return f('shell', 'exec', 'opens an interactive mysql session');
  return mysqlSqlFinding(sql);
}

/** SQL typed at a `mysql>` prompt or passed to `mysql -e`: risk of the SQL, never runnable by the bot. */
export function mysqlSqlFinding(sql: string): Finding {
  const risk = sqlFinding(sql);
  const kill = /^\s*KILL\b/i.test(sql);
  return f(
    'shell',
    kill ? 'write' : risk.risk,
    kill ? 'kills a MySQL connection (KILL)' : risk.what.replace('SQL query', 'MySQL query'),
    'the bot has no MySQL executor',
    sql.trim(),
  );
}

/**
 * The one place SQL risk is decided for runbook commands (another branch owns the executor's allow-list guard):
 * a SELECT that calls a side-effecting function is never read; DELETE/DROP/TRUNCATE are destructive.
 */
export function sqlRisk(sql: string): Finding {
  return sqlFinding(sql);
}

/**
 * Classifies SQL with the diagnostics SQL policy (PostgreSQL's own parser, diagnostics/guards/sql.ts): a SELECT
 * calling a side-effecting function, or one that is not a PostgreSQL built-in, is never read; DELETE/DROP/TRUNCATE
 * are destructive.
 */
export function sqlFinding(sql: string): Finding {
  const v = checkSql(sql, undefined, { unknownFunctionsWrite: true });
  // The PostgreSQL executor runs reads only (the same policy refuses the rest there): a write is never a button.
  const blocker = v.risk === 'write' ? 'the bot runs only read-only SQL' : null;
  return f('postgres', v.risk, v.what, blocker, sql.trim());
}
