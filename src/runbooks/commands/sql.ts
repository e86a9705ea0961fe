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
 * Functions that change the server when a SELECT calls them. Source: PostgreSQL manual, "System Administration
 * Functions" and "Sequence Manipulation Functions". A `pg_*` function not on SQL_READ_FUNCTIONS is treated as one too
 * (fail safe).
 */
const SIDE_EFFECT_FUNCTIONS: [RegExp, 'write' | 'destructive', string][] = [
  [/^pg_(terminate|cancel)_backend$/, 'write', 'kills database connections'],
  [/^pg_drop_replication_slot$|^lo_unlink$|^pg_replication_origin_drop$/, 'destructive', 'drops server state'],
  [/^(setval|nextval|set_config|lo_import|lo_export|lo_create|dblink_exec|dblink)$/, 'write', 'changes server state'],
  [
    /^pg_(reload_conf|rotate_logfile|switch_wal|promote|create_restore_point|wal_replay_(pause|resume)|stat_reset\w*|stat_statements_reset|advisory\w*lock\w*|create_\w*replication_slot|file_write|replication_origin_\w+|log_backend_memory_contexts)$/,
    'write',
    'changes server state',
  ],
];
/** `pg_*` functions that only read (sizes, positions, times, definitions). */
const SQL_READ_FUNCTIONS =
  /^pg_(size_pretty|size_bytes|(database|relation|total_relation|table|indexes|tablespace|column)_size|is_in_recovery|last_wal_(receive|replay)_lsn|current_wal_\w*lsn|wal_lsn_diff|last_xact_replay_timestamp|postmaster_start_time|conf_load_time|blocking_pids|safe_snapshot_blocking_pids|backend_pid|typeof|get_\w+|stat_get_\w+|is_other_temp_schema|my_temp_schema|has_\w+|table_is_visible|current_\w+|xact_commit_timestamp|control_\w+|is_wal_replay_paused|get_wal_replay_pause_state|encoding_to_char|client_encoding|jit_available|trigger_depth|listening_channels|notification_queue_usage|describe_object|identify_object\w*|tablespace_location|filenode_relation|relation_filenode|relation_filepath|partition_\w+|options_to_table|visible_in_snapshot|snapshot_\w+|input_is_valid|index_column_has_property|index_has_property|indexam_has_property)$/;

/**
 * The one place SQL risk is decided for runbook commands (another branch owns the executor's allow-list guard):
 * a SELECT that calls a side-effecting function is never read; DELETE/DROP/TRUNCATE are destructive.
 */
export function sqlRisk(sql: string): Finding {
  return sqlFinding(sql);
}

/** Side effects of the functions a statement calls, the worst first; [] when it calls none. */
function functionEffects(st: string, query: string): Finding[] {
  const out: Finding[] = [];
  for (const m of st.matchAll(/\b([A-Za-z_][\w]*)\s*\(/g)) {
    const name = m[1]!.toLowerCase();
    const hit = SIDE_EFFECT_FUNCTIONS.find(([re]) => re.test(name));
    if (hit) out.push(f('postgres', hit[1], `${hit[2]} (${name})`, null, query));
    else if (name.startsWith('pg_') && !SQL_READ_FUNCTIONS.test(name))
      out.push(f('postgres', 'write', `calls ${name}, which may change the server`, null, query));
  }
  return out.sort((a, b) => RISK_ORDER[b.risk] - RISK_ORDER[a.risk]);
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
    } else if (functionEffects(st, query).length) {
      found = functionEffects(st, query)[0]!;
    } else if (
      /^(SELECT|WITH)$/.test(first) &&
      /\bFOR\s+(UPDATE|SHARE|NO\s+KEY\s+UPDATE|KEY\s+SHARE)\b|\bINTO\s+(?!STRICT)\w/i.test(st)
    ) {
      found = f('postgres', 'write', 'locks rows or creates a table (SELECT … FOR UPDATE / INTO)', null, query);
    } else if (first === 'WITH' && /\b(INSERT|UPDATE|DELETE)\b/i.test(st)) {
      found = f(
        'postgres',
        /\bDELETE\b/i.test(st) ? 'destructive' : 'write',
        'changes data inside a WITH query',
        null,
        query,
      );
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
