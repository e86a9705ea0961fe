import { RefusedError } from './types.js';

export type ReadOnlyKind = 'select' | 'with' | 'explain' | 'show' | 'values' | 'table';

/** Words that change data, schema, sessions or locks; refused wherever they appear outside strings. */
const FORBIDDEN_WORDS = new Set([
  'insert',
  'update',
  'delete',
  'merge',
  'truncate',
  'drop',
  'alter',
  'create',
  'grant',
  'revoke',
  'copy',
  'call',
  'do',
  'set',
  'reset',
  'into',
  'lock',
  'vacuum',
  'reindex',
  'refresh',
  'cluster',
  'listen',
  'notify',
  'unlisten',
  'prepare',
  'execute',
  'deallocate',
  'discard',
  'checkpoint',
  'import',
  'security',
  'commit',
  'rollback',
  'begin',
  'savepoint',
  'release',
  'abort',
]);

/** Functions with side effects that a READ ONLY transaction does not stop, or that run SQL from a string. */
const FORBIDDEN_FUNCTIONS =
  /^(pg_terminate_backend|pg_cancel_backend|pg_reload_conf|pg_rotate_logfile|set_config|pg_sleep\w*|pg_(try_)?advisory\w*|lo_\w+|dblink\w*|pg_read_\w*file|pg_ls_\w+|pg_stat_reset\w*|pg_switch_wal|pg_create_\w+|pg_drop_\w+|pg_promote|pg_logical_\w+|pg_replication_\w+|pg_file_\w+|nextval|setval|pg_notify|\w*_to_xml\w*|pg_wal_replay_\w+|pg_log_backend_memory_contexts|pg_import_system_collations|txid_current\w*|pg_current_xact_id\w*|pg_backup_\w+|pg_start_backup|pg_stop_backup)$/;

/**
 * Accepts exactly one read-only statement (SELECT, WITH, EXPLAIN, SHOW, VALUES, TABLE) and returns
 * it without the trailing ';'. Comments and string literals are blanked first so keywords cannot
 * hide in them and harmless text in strings is not refused. This is a first line of defence: the
 * executor still runs the statement inside BEGIN READ ONLY with a statement timeout.
 */
export function checkReadOnlySql(sql: string): { statement: string; kind: ReadOnlyKind } {
  const blanked = blank(sql);
  const parts = blanked.split(';');
  const nonEmpty = parts.filter((p) => p.trim() !== '');
  if (nonEmpty.length === 0) throw new RefusedError('There is no SQL statement to run.');
  if (nonEmpty.length > 1) throw new RefusedError('Only a single SQL statement can be run; this text holds several.');
  // Keep the original text of the one statement (up to its ';', if any).
  const semi = blanked.indexOf(';');
  const tail = semi >= 0 ? blanked.slice(semi + 1) : '';
  if (tail.trim() !== '') throw new RefusedError('Only a single SQL statement can be run; this text holds several.');
  const statement = (semi >= 0 ? sql.slice(0, semi) : sql).trim();
  const code = semi >= 0 ? blanked.slice(0, semi) : blanked;

  if (/\\/.test(code)) throw new RefusedError('psql meta-commands (backslash commands) are not run.');
  const words = code.toLowerCase().match(/[a-z_][a-z0-9_$]*/g) ?? [];
  const first = words[0] as ReadOnlyKind | undefined;
  if (!first || !['select', 'with', 'explain', 'show', 'values', 'table'].includes(first))
    throw new RefusedError(
      `Only read-only statements (SELECT, WITH, EXPLAIN, SHOW, VALUES, TABLE) are run; this one starts with ${(first ?? '?').toUpperCase()}.`,
    );
  for (const w of words) {
    if (FORBIDDEN_WORDS.has(w))
      throw new RefusedError(`The statement contains ${w.toUpperCase()}, which is not read-only; it is not run.`);
  }
  for (const m of code.toLowerCase().matchAll(/([a-z_][a-z0-9_$]*)\s*\(/g)) {
    if (FORBIDDEN_FUNCTIONS.test(m[1]))
      throw new RefusedError(`The statement calls ${m[1]}(), which has side effects; it is not run.`);
  }
  // FOR UPDATE/SHARE is caught by 'update' above; FOR SHARE / FOR KEY SHARE take row locks too.
  if (/\bfor\s+(no\s+key\s+|key\s+)?share\b/i.test(code))
    throw new RefusedError('SELECT ... FOR SHARE takes row locks; it is not run.');
  return { statement, kind: first };
}

/**
 * Blanks comments and string literals to spaces (same length, so offsets match the original),
 * and turns quoted identifiers into plain words so `"pg_terminate_backend"(1)` is still seen.
 */
export function blank(sql: string): string {
  let out = '';
  let i = 0;
  const n = sql.length;
  const spaces = (s: string) => s.replace(/[^\n]/g, ' ');
  while (i < n) {
    const c = sql[i];
    const two = sql.slice(i, i + 2);
    if (two === '--') {
      const end = sql.indexOf('\n', i);
      const j = end < 0 ? n : end;
      out += spaces(sql.slice(i, j));
      i = j;
    } else if (two === '/*') {
      // Block comments nest in PostgreSQL.
      let depth = 0;
      let j = i;
      while (j < n) {
        if (sql.startsWith('/*', j)) {
          depth++;
          j += 2;
        } else if (sql.startsWith('*/', j)) {
          depth--;
          j += 2;
          if (depth === 0) break;
        } else j++;
      }
      if (depth !== 0) throw new RefusedError('Unterminated /* comment in the SQL.');
      out += spaces(sql.slice(i, j));
      i = j;
    } else if (c === "'") {
      const escapes = /[eE]$/.test(sql.slice(Math.max(0, i - 1), i)) && !/[A-Za-z0-9_]/.test(sql[i - 2] ?? '');
      let j = i + 1;
      for (;;) {
        if (j >= n) throw new RefusedError('Unterminated string literal in the SQL.');
        if (escapes && sql[j] === '\\') j += 2;
        else if (sql[j] === "'" && sql[j + 1] === "'") j += 2;
        else if (sql[j] === "'") break;
        else j++;
      }
      out += `'${spaces(sql.slice(i + 1, j))}'`;
      i = j + 1;
    } else if (
      c === '$' &&
      /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.test(sql.slice(i)) &&
      !/[A-Za-z0-9_]/.test(sql[i - 1] ?? '')
    ) {
      const tag = (/^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i)) as RegExpExecArray)[0];
      const end = sql.indexOf(tag, i + tag.length);
      if (end < 0) throw new RefusedError('Unterminated dollar-quoted string in the SQL.');
      out += spaces(sql.slice(i, end + tag.length));
      i = end + tag.length;
    } else if (c === '"') {
      if (/[uU]&$/.test(sql.slice(0, i))) throw new RefusedError('Unicode-escaped identifiers (U&"...") are not run.');
      let j = i + 1;
      for (;;) {
        if (j >= n) throw new RefusedError('Unterminated quoted identifier in the SQL.');
        if (sql[j] === '"' && sql[j + 1] === '"') j += 2;
        else if (sql[j] === '"') break;
        else j++;
      }
      out += ` ${sql.slice(i + 1, j).replace(/[^A-Za-z0-9_$\n]/g, '_')} `;
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}
