import pg from 'pg';
import { takeOption } from './parse-command.js';
import { checkReadOnlySql } from './sql-guard.js';
import { RefusedError } from './types.js';

/** The few calls the executor needs; backed by pg.Client in production and PGlite in tests. */
export interface PgSession {
  query(sql: string): Promise<{ fields: string[]; rows: unknown[][] }>;
  end(): Promise<void>;
}
export type PgConnect = (url: string, opts: { timeoutMs: number }) => Promise<PgSession>;

export const connectPg: PgConnect = async (url, { timeoutMs }) => {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs + 1000,
    statement_timeout: timeoutMs,
    application_name: 'incident-bot-diagnostics',
  });
  client.on('error', () => {}); // a dropped connection must not crash the process
  await client.connect();
  return {
    async query(sql) {
      const r = await client.query({ text: sql, rowMode: 'array' });
      const last = Array.isArray(r) ? r[r.length - 1] : r;
      return { fields: (last.fields ?? []).map((f: { name: string }) => f.name), rows: last.rows ?? [] };
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
  sql: string;
  timeoutMs: number;
  rowCap: number;
  connect?: PgConnect;
}

/**
 * Runs one statement that passed the read-only check inside BEGIN READ ONLY with a statement and lock
 * timeout, fetching at most rowCap rows through a cursor, and always rolls back.
 */
export async function runPostgres(opts: PgRunOptions): Promise<{ output: string; rows: number }> {
  const { statement, kind } = checkReadOnlySql(opts.sql);
  const session = await (opts.connect ?? connectPg)(opts.url, { timeoutMs: opts.timeoutMs });
  try {
    const ms = Math.max(1, Math.floor(opts.timeoutMs));
    await session.query('BEGIN READ ONLY');
    await session.query(`SET LOCAL statement_timeout = ${ms}`);
    await session.query(`SET LOCAL lock_timeout = ${Math.min(ms, 2000)}`);
    let result: { fields: string[]; rows: unknown[][] };
    let capped = false;
    if (kind === 'explain' || kind === 'show') {
      result = await session.query(statement);
      if (result.rows.length > opts.rowCap) {
        capped = true;
        result = { fields: result.fields, rows: result.rows.slice(0, opts.rowCap) };
      }
    } else {
      await session.query(`DECLARE incident_bot_diag NO SCROLL CURSOR FOR ${statement}`);
      result = await session.query(`FETCH ${opts.rowCap + 1} FROM incident_bot_diag`);
      if (result.rows.length > opts.rowCap) {
        capped = true;
        result = { fields: result.fields, rows: result.rows.slice(0, opts.rowCap) };
      }
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

/** psql's aligned format. */
export function psqlTable(fields: string[], rows: unknown[][]): string {
  const cells = rows.map((r) => fields.map((_, i) => cell(r[i])));
  const widths = fields.map((f, i) => Math.max(f.length, ...cells.map((r) => r[i].length)));
  const line = (cs: string[], center = false) =>
    ` ${cs
      .map((c, i) => {
        if (!center) return c.padEnd(widths[i]);
        const pad = widths[i] - c.length;
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
