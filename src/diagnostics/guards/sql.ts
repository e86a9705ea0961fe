import { loadModule, parseSync } from 'libpg-query';
import type { Risk } from '../../runbooks/schema.js';
import { RefusedError } from '../types.js';
import { PG_BUILTIN_FUNCTIONS } from './pg-builtin-functions.js';
import { PG_BUILTIN_VOLATILE } from './pg-volatile.js';

// The WASM build of PostgreSQL's own parser (libpg_query); loaded once when this module is imported.
await loadModule();

/**
 * Volatility of every function name in a database: `proname -> set of provolatile` ('i' immutable,
 * 's' stable, 'v' volatile) over all overloads and schemas, as read from the target's `pg_proc`.
 */
export type PgCatalog = ReadonlyMap<string, ReadonlySet<string>>;

/** The SQL that reads a {@link PgCatalog} from a server: one row per function name. */
export const CATALOG_SQL =
  "SELECT proname::text AS name, string_agg(DISTINCT provolatile::text, '') AS volatility FROM pg_catalog.pg_proc GROUP BY proname";

/** Builds a catalog from rows of {@link CATALOG_SQL}. */
export function catalogFromRows(rows: readonly (readonly unknown[])[]): PgCatalog {
  const out = new Map<string, Set<string>>();
  for (const [name, vol] of rows) out.set(String(name), new Set(String(vol).split('')));
  return out;
}

/**
 * Functions that are volatile but only read state; allowed although `provolatile = 'v'`.
 * Sizes, WAL positions, recovery state, lock waits, clocks: what an on-call query looks at.
 */
export const ALLOWED_VOLATILE: ReadonlySet<string> = new Set([
  'clock_timestamp',
  'timeofday',
  'random',
  'pg_blocking_pids',
  'pg_safe_snapshot_blocking_pids',
  'pg_current_wal_lsn',
  'pg_current_wal_insert_lsn',
  'pg_current_wal_flush_lsn',
  'pg_last_wal_receive_lsn',
  'pg_last_wal_replay_lsn',
  'pg_last_xact_replay_timestamp',
  'pg_is_in_recovery',
  'pg_is_wal_replay_paused',
  'pg_get_wal_replay_pause_state',
  'pg_database_size',
  'pg_relation_size',
  'pg_table_size',
  'pg_indexes_size',
  'pg_total_relation_size',
  'pg_tablespace_size',
  'pg_lock_status',
  'pg_partition_tree',
  'pg_partition_ancestors',
  'pg_control_checkpoint',
  'pg_control_system',
  'pg_control_recovery',
]);

/**
 * Functions refused whatever their volatility: they evaluate SQL given as text (ts_stat, ts_rewrite,
 * query_to_xml and the other *_to_xml* family that run queries), or reach outside the database
 * (files, large objects, other servers, server programs).
 */
const EVALUATES_OR_ESCAPES =
  /^(ts_stat|ts_rewrite|\w*_to_xml\w*|cursor_to_\w+|dblink\w*|lo_\w+|loread|lowrite|pg_read_\w+|pg_ls_\w+|pg_stat_file|pg_file_\w+|pg_logdir_ls|pg_current_logfile|pg_hba_file_rules|pg_ident_file_mappings|pg_show_all_file_settings|postgres_fdw\w*|\w*_fdw_handler|pg_logical_\w+|pg_replication_\w+|pg_import_system_collations|pg_execute_server_program|pgp_\w+|xmlparse)$/;

/** True for a function refused whatever its volatility (evaluates SQL text or reaches outside the database). */
export function evaluatesOrEscapes(name: string): boolean {
  return EVALUATES_OR_ESCAPES.test(name.toLowerCase());
}

/** Functions whose effect is on connections; classified as a write (kills a session), never run. */
const KILLS_SESSIONS = /^(pg_terminate_backend|pg_cancel_backend)$/;

export type SqlKind = 'select' | 'values' | 'table' | 'show' | 'explain' | 'other';

/** The verdict on one SQL text. */
export interface SqlVerdict {
  /** True when the executor may run it: one read-only statement calling only allowed functions. */
  allowed: boolean;
  /** Highest risk of what the text does (for the runbook classifier): read, write, exec or destructive. */
  risk: Risk;
  /** Why it is not allowed (empty when allowed); sentences a responder can read. */
  reasons: string[];
  /** What it does, as a clause: "runs a read-only SQL query", "deletes data (DELETE)". */
  what: string;
  /** Every function name the statement calls (lower case, unqualified), in order of appearance. */
  functions: string[];
  kind: SqlKind;
  /** The statement with placeholders turned into `$n` parameters and without its trailing `;`. */
  statement: string;
  /** Placeholder names in parameter order: `params[0]` is `$1`. */
  params: string[];
}

const PLACEHOLDER = /<([A-Za-z][A-Za-z0-9_.-]*)>|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;
const MARK = (i: number) => `__ib_ph_${i}__`;
const MARK_RE = /__ib_ph_(\d+)__/g;
const HAS_MARK = /__ib_ph_\d+__/;

type Node = Record<string, unknown>;

/**
 * Turns the placeholders of a SQL template (`<pod>`, `${NS}`, `$DB`) into bound parameters: a placeholder
 * used as a value becomes `$n`; one inside a string literal turns the literal into a concatenation
 * (`'%<name>%'` -> `('%' || $1::text || '%')`). A placeholder anywhere else (a table or column name,
 * a comment, an identifier) is refused, since values are never spliced into SQL text.
 * Returns the rewritten text and the placeholder names in `$n` order. Throws RefusedError.
 */
export function bindPlaceholders(sql: string): { text: string; params: string[] } {
  const names: string[] = [];
  const marked = sql.replace(PLACEHOLDER, (whole, a, b, c, offset: number) => {
    // `$1` is not a placeholder, and `$tag$` starts a dollar-quoted string.
    if (c && sql[offset + whole.length] === '$') return whole;
    const name = (a ?? b ?? c) as string;
    names.push(name);
    return MARK(names.length - 1);
  });
  if (!names.length) return { text: sql, params: [] };
  const tree = parseOrThrow(marked);
  const edits: { start: number; end: number; text: string }[] = [];
  const params: string[] = [];
  const param = (i: number) => {
    params.push(names[i]!);
    return `$${params.length}`;
  };
  walk(tree, (key, node) => {
    if (key === 'ColumnRef') {
      const fields = (node.fields as Node[] | undefined) ?? [];
      const only =
        fields.length === 1 ? ((fields[0]!.String as Node | undefined)?.sval as string | undefined) : undefined;
      const m = only ? /^__ib_ph_(\d+)__$/.exec(only) : null;
      if (m) {
        const start = node.location as number;
        edits.push({ start, end: start + only!.length, text: param(Number(m[1])) });
      }
    } else if (key === 'TypeCast') {
      // `interval '<n> minutes'`: a typed literal cannot take an expression; rewrite as CAST(expr AS type).
      const arg = (node.arg as Node | undefined)?.A_Const as Node | undefined;
      const sval = ((arg?.sval as Node | undefined)?.sval as string | undefined) ?? undefined;
      const tcLoc = (node.typeName as Node | undefined)?.location as number | undefined;
      if (arg && sval !== undefined && HAS_MARK.test(sval) && tcLoc !== undefined && tcLoc < (arg.location as number)) {
        const start = arg.location as number;
        const end = literalEnd(marked, start);
        const typeText = marked.slice(tcLoc, start).trim();
        edits.push({ start: tcLoc, end, text: `CAST(${literalExpr(sval, param)} AS ${typeText})` });
        arg.__bound = true;
      }
    } else if (key === 'A_Const') {
      if (node.__bound) return;
      const sval = (node.sval as Node | undefined)?.sval as string | undefined;
      if (sval === undefined) return;
      if (!HAS_MARK.test(sval)) return;
      const start = node.location as number;
      edits.push({ start, end: literalEnd(marked, start), text: literalExpr(sval, param) });
    }
  });
  edits.sort((x, y) => y.start - x.start);
  let text = marked;
  for (const e of edits) text = text.slice(0, e.start) + e.text + text.slice(e.end);
  MARK_RE.lastIndex = 0;
  const left = MARK_RE.exec(text);
  if (left)
    throw new RefusedError(
      `The placeholder <${names[Number(left[1])]}> is used as a name (table, column or identifier) or in a comment; the bot only fills placeholders that stand for values, bound as query parameters.`,
    );
  return { text, params };
}

function literalExpr(sval: string, param: (i: number) => string): string {
  const parts: string[] = [];
  let last = 0;
  for (const m of sval.matchAll(/__ib_ph_(\d+)__/g)) {
    const before = sval.slice(last, m.index);
    if (before) parts.push(quote(before));
    parts.push(`${param(Number(m[1]))}::text`);
    last = (m.index ?? 0) + m[0].length;
  }
  const after = sval.slice(last);
  if (after) parts.push(quote(after));
  if (parts.length === 1 && parts[0]!.endsWith('::text')) return parts[0]!.slice(0, -'::text'.length);
  return `(${parts.join(' || ')})`;
}

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** End offset (exclusive) of the string literal that starts at `start`: '..', E'..', U&'..', $tag$..$tag$, B'..', X'..'. */
function literalEnd(sql: string, start: number): number {
  let i = start;
  const dollar = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
  if (dollar) {
    const end = sql.indexOf(dollar[0], i + dollar[0].length);
    return end < 0 ? sql.length : end + dollar[0].length;
  }
  let escapes = false;
  if (/[eE]/.test(sql.charAt(i))) {
    escapes = true;
    i++;
  } else if (/[uU]/.test(sql.charAt(i)) && sql[i + 1] === '&') i += 2;
  else if (/[bBxXnN]/.test(sql.charAt(i))) i++;
  if (sql[i] !== "'") return start;
  i++;
  for (;;) {
    if (i >= sql.length) return sql.length;
    if (escapes && sql[i] === '\\') i += 2;
    else if (sql[i] === "'" && sql[i + 1] === "'") i += 2;
    else if (sql[i] === "'") {
      // Adjacent literals separated by a newline continue the same constant.
      const cont = /^'[ \t]*\n\s*'/.exec(sql.slice(i));
      if (cont) {
        i += cont[0].length;
        continue;
      }
      return i + 1;
    } else i++;
  }
}

function parseOrThrow(sql: string): Node {
  try {
    return parseSync(sql) as Node;
  } catch (e) {
    throw new RefusedError(`The SQL does not parse: ${(e as Error).message}.`);
  }
}

/** Calls `visit(key, node)` for every `{ Key: node }` in a libpg_query tree, depth first. */
function walk(tree: unknown, visit: (key: string, node: Node) => void): void {
  if (Array.isArray(tree)) {
    for (const t of tree) walk(t, visit);
    return;
  }
  if (!tree || typeof tree !== 'object') return;
  for (const [k, v] of Object.entries(tree as Node)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && /^[A-Z]/.test(k)) visit(k, v as Node);
    walk(v, visit);
  }
}

const RISK_ORDER: Record<Risk, number> = { read: 0, write: 1, exec: 2, destructive: 3 };

const STATEMENT_RISK: Record<string, { risk: Risk; what: (n: Node) => string }> = {
  DeleteStmt: { risk: 'destructive', what: () => 'deletes data (DELETE)' },
  TruncateStmt: { risk: 'destructive', what: () => 'deletes data (TRUNCATE)' },
  DropStmt: { risk: 'destructive', what: () => 'deletes data (DROP)' },
  DropdbStmt: { risk: 'destructive', what: () => 'deletes data (DROP DATABASE)' },
  DoStmt: { risk: 'exec', what: () => 'runs procedural code (DO)' },
  CallStmt: { risk: 'exec', what: () => 'runs a procedure (CALL)' },
  CopyStmt: {
    risk: 'write',
    what: (n) => (n.is_program ? 'runs a server program (COPY PROGRAM)' : 'copies data (COPY)'),
  },
  IndexStmt: { risk: 'write', what: () => 'creates an index' },
};

/** Options of {@link checkSql}. */
export interface CheckSqlOptions {
  /** Without a catalog: a function that is not a PostgreSQL built-in counts as a write (runbook classification). */
  unknownFunctionsWrite?: boolean;
}

/**
 * The allow-list policy for diagnostic SQL, on PostgreSQL's own parser. Allowed: exactly one SELECT,
 * VALUES, TABLE, SHOW or EXPLAIN (without ANALYZE) statement; no data-modifying WITH, no FOR UPDATE/SHARE,
 * no SELECT INTO; every function called is immutable or stable in `catalog` (or on {@link ALLOWED_VOLATILE})
 * and not one that evaluates SQL text or reaches outside the database ({@link EVALUATES_OR_ESCAPES}).
 * Field-selection calls (`('...'::text).ts_stat`) count as calls. Without a catalog (classifying a runbook),
 * PostgreSQL 15's built-in volatility is used; a function that is not a built-in is judged when the query runs, or
 * counts as a write with `unknownFunctionsWrite` (the runbook classifier's fail-safe).
 * Placeholders are bound as parameters ({@link bindPlaceholders}). Pure: never throws.
 */
export function checkSql(sql: string, catalog?: PgCatalog, opts: CheckSqlOptions = {}): SqlVerdict {
  const reasons: string[] = [];
  const functions: string[] = [];
  let risk: Risk = 'read';
  let what = 'runs a read-only SQL query';
  const raise = (r: Risk, w: string) => {
    if (RISK_ORDER[r] > RISK_ORDER[risk]) {
      risk = r;
      what = w;
    }
  };
  let bound: { text: string; params: string[] };
  let tree: Node;
  if (!sql.replace(/--[^\n]*/g, '').trim())
    return {
      allowed: false,
      risk,
      what,
      reasons: ['There is no SQL statement to run.'],
      functions,
      kind: 'other',
      statement: '',
      params: [],
    };
  try {
    bound = bindPlaceholders(sql);
    tree = parseOrThrow(bound.text);
  } catch (e) {
    const fallback = keywordRisk(sql);
    return {
      allowed: false,
      risk: fallback.risk,
      what: fallback.what,
      reasons: [(e as Error).message],
      functions,
      kind: 'other',
      statement: sql.trim(),
      params: [],
    };
  }
  const stmts = (tree.stmts as Node[] | undefined) ?? [];
  if (stmts.length === 0) reasons.push('There is no SQL statement to run.');
  if (stmts.length > 1) reasons.push('Only a single SQL statement can be run; this text holds several.');
  let kind: SqlKind = 'other';
  stmts.forEach((s, i) => {
    const stmt = s.stmt as Node;
    const [type, body] = Object.entries(stmt)[0] as [string, Node];
    const k = statementKind(type, body);
    if (i === 0) kind = k;
    if (type === 'ExplainStmt') {
      const analyze = ((body.options as Node[] | undefined) ?? []).some(
        (o) => ((o.DefElem as Node | undefined)?.defname as string | undefined) === 'analyze',
      );
      const inner = Object.keys(body.query as Node)[0];
      if (analyze) {
        reasons.push('EXPLAIN ANALYZE runs the statement; only plain EXPLAIN is run.');
        if (inner !== 'SelectStmt') raise('write', 'runs a data-changing statement under EXPLAIN ANALYZE');
      }
      if (inner !== 'SelectStmt')
        reasons.push(`EXPLAIN is run for SELECT statements only (this one explains ${verb(inner)}).`);
    } else if (k === 'other') {
      const known = STATEMENT_RISK[type];
      if (known) raise(known.risk, known.what(body));
      else raise('write', `changes the database (${verb(type)})`);
      reasons.push(`Only read-only statements (SELECT, VALUES, TABLE, SHOW, EXPLAIN) are run; this is ${verb(type)}.`);
    }
  });
  walk(tree, (key, node) => {
    if (key === 'SelectStmt') {
      if (node.intoClause) {
        reasons.push('SELECT INTO creates a table; it is not run.');
        raise('write', 'creates a table (SELECT INTO)');
      }
      if (node.lockingClause) {
        reasons.push('SELECT ... FOR UPDATE/SHARE takes row locks; it is not run.');
        raise('write', 'locks rows (SELECT ... FOR UPDATE/SHARE)');
      }
    } else if (key === 'CommonTableExpr') {
      const inner = Object.keys((node.ctequery as Node | undefined) ?? {})[0];
      if (inner && inner !== 'SelectStmt') {
        reasons.push(`WITH ${node.ctename as string} AS (${verb(inner)} ...) changes data; it is not run.`);
        const known = STATEMENT_RISK[inner];
        raise(known?.risk ?? 'write', known?.what(node) ?? `changes data (${verb(inner)} in WITH)`);
      }
    } else if (key === 'FuncCall') {
      const names = ((node.funcname as Node[] | undefined) ?? []).map(
        (n) => ((n.String as Node | undefined)?.sval as string | undefined) ?? '',
      );
      judgeFunction(names[names.length - 1] ?? '', false);
    } else if (key === 'ColumnRef') {
      const fields = ((node.fields as Node[] | undefined) ?? []).map(
        (n) => ((n.String as Node | undefined)?.sval as string | undefined) ?? '',
      );
      for (const f of fields.slice(1)) if (f) judgeFunction(f, true);
    } else if (key === 'A_Indirection') {
      for (const ind of (node.indirection as Node[] | undefined) ?? []) {
        const f = (ind.String as Node | undefined)?.sval as string | undefined;
        if (f) judgeFunction(f, true);
      }
    }
  });

  /** `fieldSyntax`: a name in `x.name` position, which PostgreSQL may run as name(x). */
  function judgeFunction(rawName: string, fieldSyntax: boolean) {
    const name = rawName.toLowerCase();
    const vols = catalog?.get(rawName) ?? catalog?.get(name);
    if (fieldSyntax) {
      // Only a name that is a function can be called this way; a column of that name stays a column.
      const isFunction = catalog
        ? vols !== undefined
        : PG_BUILTIN_VOLATILE.has(name) || EVALUATES_OR_ESCAPES.test(name);
      if (!isFunction) return;
    }
    if (!functions.includes(name)) functions.push(name);
    const call = fieldSyntax ? `.${rawName}` : `${rawName}()`;
    if (EVALUATES_OR_ESCAPES.test(name)) {
      reasons.push(`${call} runs SQL given as text or reaches outside the database; it is never run.`);
      raise('exec', `runs SQL hidden in a function argument or reaches outside the database (${name})`);
      return;
    }
    if (KILLS_SESSIONS.test(name)) {
      reasons.push(`${call} kills database sessions; it is not a read.`);
      raise('write', `kills database connections (${name})`);
      return;
    }
    if (ALLOWED_VOLATILE.has(name)) return;
    if (catalog) {
      if (!vols) {
        reasons.push(`${call} is not a function of this database; it is not run.`);
        return;
      }
      if (vols.has('v')) {
        reasons.push(`${call} is volatile (it may change state); only immutable and stable functions are run.`);
        raise('write', `calls a function that may change state (${name})`);
      }
    } else if (PG_BUILTIN_VOLATILE.has(name)) {
      reasons.push(`${call} is volatile (it may change state); only immutable and stable functions are run.`);
      raise('write', `calls a function that may change state (${name})`);
    } else if (opts.unknownFunctionsWrite && !PG_BUILTIN_FUNCTIONS.has(name)) {
      // Fail safe without the target's catalog: an extension's or the application's function may write.
      reasons.push(`${call} is not a PostgreSQL built-in; the bot cannot tell that it only reads.`);
      raise('write', `calls ${name}, which may change state`);
    }
  }

  const first = stmts[0];
  let statement = bound.text.trim();
  if (first && stmts.length === 1) {
    const loc = (first.stmt_location as number | undefined) ?? 0;
    const len = first.stmt_len as number | undefined;
    statement = (len ? bound.text.slice(loc, loc + len) : bound.text.slice(loc)).trim();
  }
  return {
    allowed: reasons.length === 0,
    risk,
    what,
    reasons: [...new Set(reasons)],
    functions,
    kind,
    statement,
    params: bound.params,
  };
}

/**
 * Throws RefusedError with the first reason when `checkSql` does not allow the text; returns the verdict otherwise.
 */
export function assertSqlAllowed(sql: string, catalog?: PgCatalog): SqlVerdict {
  const v = checkSql(sql, catalog);
  if (!v.allowed) throw new RefusedError(v.reasons.join(' '));
  return v;
}

function statementKind(type: string, body: Node): SqlKind {
  if (type === 'VariableShowStmt') return 'show';
  if (type === 'ExplainStmt') return 'explain';
  if (type !== 'SelectStmt') return 'other';
  if (body.valuesLists) return 'values';
  return 'select';
}

function verb(type: string | undefined): string {
  if (!type) return 'nothing';
  const base = type.replace(/Stmt$/, '');
  const known: Record<string, string> = {
    Insert: 'INSERT',
    Update: 'UPDATE',
    Delete: 'DELETE',
    Merge: 'MERGE',
    Variable: 'SET',
    VariableSet: 'SET',
    Transaction: 'a transaction command',
    Create: 'CREATE',
    CreateTableAs: 'CREATE TABLE AS',
    Alter: 'ALTER',
    AlterTable: 'ALTER TABLE',
    Grant: 'GRANT',
    Vacuum: 'VACUUM',
    Lock: 'LOCK',
    Copy: 'COPY',
    Do: 'DO',
    Call: 'CALL',
  };
  return known[base] ?? base.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
}

/** Risk from the first keyword, for text the parser cannot read. */
function keywordRisk(sql: string): { risk: Risk; what: string } {
  const first = (/^\s*(?:--[^\n]*\n\s*)*(\w+)/.exec(sql)?.[1] ?? '').toUpperCase();
  if (/^(DELETE|DROP|TRUNCATE)$/.test(first)) return { risk: 'destructive', what: `deletes data (${first})` };
  if (/^(SELECT|WITH|SHOW|EXPLAIN|TABLE|VALUES)$/.test(first))
    return { risk: 'read', what: 'runs a read-only SQL query' };
  return { risk: 'write', what: `changes the database (${first || '?'})` };
}
