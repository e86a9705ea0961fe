import { type Finding, f, RISK_ORDER } from './finding.js';

/** Grammar of psql -c / mysql -e and SQL statements. */
export function psqlFinding(args: string[], inputFile: string | null): Finding {
  const sql =
    args.find((_, i) => /^(-c|--command)$/.test(args[i - 1] ?? '')) ?? /^--command=(.*)$/s.exec(args.join(' '))?.[1];
  if (sql) return sqlFinding(sql);
  const file = args.find((_, i) => /^(-f|--file)$/.test(args[i - 1] ?? '')) ?? inputFile;
  if (file) return f('postgres', 'exec', `runs every statement in ${file} (psql)`);
  return f('postgres', 'exec', 'opens an interactive psql session');
}

/** Classifies SQL by its statements; terminating backends counts as a write ("kill connections"). */
export function sqlFinding(sql: string): Finding {
  const query = sql.trim();
  const statements = query
    .replace(/--[^\n]*/g, '')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
  let worst: Finding = f('postgres', 'read', 'runs a read-only SQL query', null, query);
  for (const st of statements) {
    const kw = /^\s*(\w+)(?:\s+(\w+))?/.exec(st);
    const first = (kw?.[1] ?? '').toUpperCase();
    const second = (kw?.[2] ?? '').toUpperCase();
    let found: Finding;
    if (/^(DELETE|DROP|TRUNCATE)$/.test(first)) {
      found = f('postgres', 'destructive', `deletes data (${first})`, null, query);
    } else if (/\bpg_(terminate|cancel)_backend\s*\(/i.test(st)) {
      found = f('postgres', 'write', 'kills database connections (pg_terminate_backend)', null, query);
    } else if (first === 'EXPLAIN' && /\bANALYZE\b/i.test(st) && /\b(INSERT|UPDATE|DELETE)\b/i.test(st)) {
      found = f('postgres', 'write', 'runs a data-changing statement under EXPLAIN ANALYZE', null, query);
    } else if (/^(SELECT|WITH|SHOW|EXPLAIN|TABLE|VALUES)$/.test(first)) {
      found = f('postgres', 'read', 'runs a read-only SQL query', null, query);
    } else {
      const what = first === 'CREATE' && second === 'INDEX' ? 'creates an index' : `changes the database (${first})`;
      found = f('postgres', 'write', what, null, query);
    }
    if (RISK_ORDER[found.risk] > RISK_ORDER[worst.risk]) worst = found;
  }
  return worst;
}
