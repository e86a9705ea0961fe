import pg from 'pg';
import { assertSqlAllowed, CATALOG_SQL, catalogFromRows, type PgCatalog } from './guards/sql.js';
import { takeOption } from './parse-command.js';
import { RefusedError } from './types.js';

/** The few calls the executor needs; backed by pg.Client in production and PGlite in tests. */
export interface PgSession {
  /** Runs one statement; `params` are bound as `$1..$n` (never spliced into the text). */
  query(sql: string, params?: unknown[]): Promise<{ fields: string[]; rows: unknown[][] }>;
  end(): Promise<void>;
}
export type PgConnect = (url: string, opts: { timeoutMs: number; maxBytes?: number }) => Promise<PgSession>;

/** The server sent more than a session may read; the connection was closed before buffering it. */
export class ResultTooLargeError extends RefusedError {
  constructor(bytes: number) {
    super(
      `The result is larger than ${Math.round(bytes / 1024)} KiB; the bot stopped reading it. Select fewer columns or rows, or summarise (count, left(col, 200)).`,
    );
  }
}

/**
 * pg.Client with connect/statement/query timeouts and a byte budget on the socket: once the server has
 * sent `maxBytes` (default 8 MiB) the socket is destroyed, so a huge cell is never assembled into a
 * string (rt-02) and the pending query rejects with ResultTooLargeError.
 */
export const connectPg: PgConnect = async (url, { timeoutMs, maxBytes = 8 * 1024 * 1024 }) => {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs + 1000,
    statement_timeout: timeoutMs,
    application_name: 'incident-bot-diagnostics',
  });
  client.on('error', () => {}); // a dropped connection must not crash the process
  await client.connect();
  let bytes = 0;
  let tooLarge = false;
  const stream = (client as unknown as { connection?: { stream?: NodeJS.ReadableStream & { destroy(): void } } })
    .connection?.stream;
  // prependListener: count (and cut) before pg-protocol parses the chunk.
  (stream as unknown as import('node:events').EventEmitter | undefined)?.prependListener('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > maxBytes && !tooLarge) {
      tooLarge = true;
      stream?.destroy();
    }
  });
  return {
    async query(sql, params) {
      try {
        const r = await client.query({ text: sql, values: params, rowMode: 'array' });
        const last = Array.isArray(r) ? r[r.length - 1] : r;
        return { fields: (last.fields ?? []).map((f: { name: string }) => f.name), rows: last.rows ?? [] };
      } catch (e) {
        if (tooLarge) throw new ResultTooLargeError(maxBytes);
        throw e;
      }
    },
    end: () => client.end().catch(() => {}),
  };
};

/** The SQL of a runbook line and the host it names: `psql -h orders-db -c "SELECT ..."`, or bare SQL. */
export function extractSql(argv: string[], query: string | null): { sql: string; host?: string } {
  const at = argv.findIndex((a) => a === 'psql' || a.endsWith('/psql'));
  let host: string | undefined;
  let sql = query ?? undefined;
  if (at >= 0) {
    const args = argv.slice(at + 1);
    if (takeOption(args, ['-f', '--file']).found) throw new RefusedError('psql -f (SQL from a file) is not run.');
    const c = takeOption(args, ['-c', '--command']);
    const h = takeOption(c.rest, ['-h', '--host']);
    host = h.value;
    for (const a of h.rest) {
      if (/^postgres(ql)?:\/\//.test(a)) {
        try {
          host = host ?? new URL(a).hostname;
        } catch {
          /* not a URL we can read; target falls back to config */
        }
      }
    }
    sql = sql ?? c.value;
    if (!sql) throw new RefusedError('This psql line opens an interactive session; there is no SQL (-c "...") to run.');
  }
  if (!sql && argv.length)
    throw new RefusedError(
      `${argv[0]} is not a query; the bot runs \`psql ... -c "SELECT ..."\` lines and SQL blocks (read-only statements).`,
    );
  if (!sql) throw new RefusedError('There is no SQL statement to run.');
  return { sql, host };
}

export interface PgRunOptions {
  url: string;
  /** The SQL as written in the runbook; placeholders (`<id>`, `${NS}`) are bound from `values`. */
  sql: string;
  /** Placeholder values by name as written. */
  values?: Record<string, string>;
  timeoutMs: number;
  rowCap: number;
  /** Bytes of result the query may produce (cells are cut server-side to fit); default 256 KiB. */
  maxResultBytes?: number;
  /** Run even when the target role is a superuser (DIAG_POSTGRES_ALLOW_SUPERUSER). */
  allowSuperuser?: boolean;
  connect?: PgConnect;
  /** Catalog cache, by target URL (the executor keeps one per process). */
  catalogs?: Map<string, { at: number; catalog: PgCatalog }>;
  /** Clock for the catalog cache (ms). */
  nowMs?: number;
}

const CATALOG_TTL_MS = 10 * 60_000;

/**
 * Runs one statement allowed by the SQL policy (checkSql against the target's own pg_proc) inside
 * BEGIN READ ONLY with a statement and lock timeout; placeholders are bound as parameters. SELECT/VALUES/TABLE
 * are wrapped so that PostgreSQL returns at most rowCap + 1 rows with every cell cut to fit `maxResultBytes`;
 * the socket has its own byte budget as well. Refuses a superuser target unless `allowSuperuser`.
 * Always rolls back. Throws RefusedError / ResultTooLargeError / driver errors.
 */
export async function runPostgres(opts: PgRunOptions): Promise<{ output: string; rows: number }> {
  const pre = assertSqlAllowed(opts.sql); // refuse what the policy refuses anyway before connecting
  const maxResultBytes = opts.maxResultBytes ?? 256 * 1024;
  const session = await (opts.connect ?? connectPg)(opts.url, {
    timeoutMs: opts.timeoutMs,
    maxBytes: maxResultBytes * 4 + 2 * 1024 * 1024,
  });
  try {
    if (!opts.allowSuperuser) {
      const su = await session.query("SELECT current_user::text, current_setting('is_superuser')");
      const [user, isSuper] = (su.rows[0] ?? []) as [string, string];
      if (isSuper === 'on')
        throw new RefusedError(
          `The diagnostic role "${user}" is a superuser; the bot does not run queries as a superuser. Use a role with pg_monitor (see the README), or set DIAG_POSTGRES_ALLOW_SUPERUSER=true.`,
        );
    }
    const now = opts.nowMs ?? Date.now();
    let cached = opts.catalogs?.get(opts.url);
    if (!cached || now - cached.at > CATALOG_TTL_MS) {
      cached = { at: now, catalog: catalogFromRows((await session.query(CATALOG_SQL)).rows) };
      opts.catalogs?.set(opts.url, cached);
    }
    const verdict = assertSqlAllowed(opts.sql, cached.catalog);
    const params = verdict.params.map((name) => {
      const v = lookupValue(opts.values ?? {}, name);
      if (v === undefined) throw new RefusedError(`<${name}> needs a value.`);
      return v;
    });
    const ms = Math.max(1, Math.floor(opts.timeoutMs));
    await session.query('BEGIN READ ONLY');
    await session.query(`SET LOCAL statement_timeout = ${ms}`);
    await session.query(`SET LOCAL lock_timeout = ${Math.min(ms, 2000)}`);
    let result: { fields: string[]; rows: unknown[][] };
    let capped = false;
    const stmt = verdict.statement;
    if (pre.kind === 'explain' || pre.kind === 'show') {
      result = await session.query(stmt, params);
    } else {
      // Column names first (no rows), then the rows with every cell cut server-side.
      const described = await session.query(`SELECT * FROM (\n${stmt}\n) AS incident_bot_q LIMIT 0`, params);
      const n = described.fields.length;
      const cellChars = Math.max(16, Math.min(4000, Math.floor(maxResultBytes / ((opts.rowCap + 1) * Math.max(1, n)))));
      const cols = described.fields.map((_, i) => `c${i + 1}`);
      const select = n ? cols.map((c) => `left(${c}::text, ${cellChars})`).join(', ') : "''";
      const alias = n ? `incident_bot_q(${cols.join(', ')})` : 'incident_bot_q';
      const rows = await session.query(
        `SELECT ${select} FROM (\n${stmt}\n) AS ${alias} LIMIT ${opts.rowCap + 1}`,
        params,
      );
      result = { fields: described.fields, rows: n ? rows.rows : rows.rows.map(() => []) };
    }
    if (result.rows.length > opts.rowCap) {
      capped = true;
      result = { fields: result.fields, rows: result.rows.slice(0, opts.rowCap) };
    }
    const footer = capped
      ? `(first ${opts.rowCap} rows; more rows not fetched)`
      : `(${result.rows.length} row${result.rows.length === 1 ? '' : 's'})`;
    return { output: `${psqlTable(result.fields, result.rows)}\n${footer}`, rows: result.rows.length };
  } finally {
    // Nothing is ever committed; rolling back also leaves a reused connection clean after an error.
    await session.query('ROLLBACK').catch(() => {});
    await session.end();
  }
}

function lookupValue(values: Record<string, string>, name: string): string | undefined {
  if (values[name] !== undefined) return values[name];
  const c = name.toLowerCase().replace(/_/g, '-');
  for (const [k, v] of Object.entries(values)) if (k.toLowerCase().replace(/_/g, '-') === c) return v;
  return undefined;
}

/** psql's aligned format. */
export function psqlTable(fields: string[], rows: unknown[][]): string {
  const cells = rows.map((r) => fields.map((_, i) => cell(r[i])));
  const widths = fields.map((f, i) => Math.max(f.length, ...cells.map((r) => r[i]!.length)));
  const line = (cs: string[], center = false) =>
    ` ${cs
      .map((c, i) => {
        if (!center) return c.padEnd(widths[i]!);
        const pad = widths[i]! - c.length;
        return ' '.repeat(Math.floor(pad / 2)) + c + ' '.repeat(Math.ceil(pad / 2));
      })
      .join(' | ')}`.trimEnd();
  return [line(fields, true), widths.map((w) => '-'.repeat(w + 2)).join('+'), ...cells.map((r) => line(r))].join('\n');
}

function cell(v: unknown): string {
  let s: string;
  if (v === null || v === undefined) s = '';
  else if (v instanceof Date) s = v.toISOString();
  else if (Buffer.isBuffer(v)) s = `\\x${v.toString('hex')}`;
  else if (typeof v === 'object' && typeof (v as { toPostgres?: unknown }).toPostgres === 'function')
    s = (v as { toPostgres: () => string }).toPostgres();
  else if (typeof v === 'object') s = JSON.stringify(v);
  else s = String(v);
  s = s.replace(/\s*\n\s*/g, ' ');
  return s.length > 200 ? `${s.slice(0, 199)}…` : s;
}
