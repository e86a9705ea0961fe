import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { UserFacingError } from '../errors.js';
import { lockDataDir, type StoreLock } from './lock.js';
import { type PgliteThread, startPgliteThread } from './pglite-thread.js';

export type Row = Record<string, unknown>;
export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

/** What every query function takes: the pool/database itself or an open transaction. */
export interface Queryable {
  query<T = Row>(sql: string, params?: unknown[]): Promise<QueryResult<T>>;
  /**
   * True on the embedded store: it is one PostgreSQL backend, so transactions never interleave and every
   * statement sees everything committed before it. Code that only guards against concurrent transactions
   * (advisory locks, work deferred to a later statement) may skip that work here. Absent on PostgreSQL.
   */
  readonly serial?: boolean;
}

/** One interface over pg's Pool and embedded PGlite, so one set of SQL runs on both. */
export interface Db extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs fn in a transaction; commits when it resolves, rolls back when it throws. */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  /** Runs several statements at once (migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
  /** The embedded store's single-writer lock (null for PostgreSQL and in-memory stores). */
  readonly lock?: StoreLock | null;
}

export interface OpenDbOptions {
  databaseUrl?: string;
  /** PGlite data directory; 'memory://' keeps it in memory. */
  dataDir?: string;
  /** PostgreSQL pool size. */
  max?: number;
  /** PostgreSQL schema to use (created when missing); tests get one each so they can run side by side. */
  schema?: string;
  /** What this process is (`serve`, `incidents list`); recorded in the embedded store's lock file. */
  command?: string;
  /** Called if the embedded store's thread stops unexpectedly (see startPgliteThread); PostgreSQL never calls it. */
  onLost?: (err: Error) => void;
}

/** The store in words, as the log and the CLI name it: "embedded database in DIR" or "PostgreSQL store". */
export function describeStore(db: Pick<Db, 'kind'>, dataDir: string): string {
  return db.kind === 'pglite' ? `embedded database in ${dataDir}` : 'PostgreSQL store';
}

export async function openDb(opts: OpenDbOptions): Promise<Db> {
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl, opts.max ?? 10, opts.schema);
  return openPglite(opts.dataDir ?? './.incident-bot', opts.command ?? 'process', opts.onLost);
}

// pg returns int8 and numeric as strings; counts and ids here fit in a double.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

async function openPostgres(url: string, max: number, schema?: string): Promise<Db> {
  if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name: ${schema}`);
  if (schema) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`).finally(() => admin.end());
  }
  const pool = new pg.Pool({ connectionString: url, max, ...(schema ? { options: `-c search_path=${schema}` } : {}) });
  // An idle client that loses its server emits 'error'; without a listener that crashes the process.
  pool.on('error', () => {});
  const run = async <T>(c: pg.Pool | pg.PoolClient, sql: string, params?: unknown[]) => {
    const r = await c.query(sql, params as unknown[]);
    return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
  };
  return {
    kind: 'postgres',
    query: (sql, params) => run(pool, sql, params),
    async tx(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const out = await fn({ query: (sql, params) => run(client, sql, params) });
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    async exec(sql) {
      await pool.query(sql);
    },
    close: () => pool.end(),
  };
}

/** The embedded database in a data directory exists but cannot be opened. */
export class StoreDamagedError extends UserFacingError {
  constructor(dir: string, cause: unknown) {
    super(
      `The embedded database in ${dir} cannot be opened (${cause instanceof Error ? cause.message : String(cause)}): its files are damaged, or were written by another version. ` +
        `Restore the directory from a backup, or move it aside to start with an empty database (incidents in it are then not shown).`,
      'store_damaged',
    );
    this.cause = cause;
  }
}

/** Where a new data directory's database is created before it is moved into place. */
const STAGING = '.initialising';

/**
 * Creates the embedded database of a new data directory (PostgreSQL's initdb, seconds) in a subdirectory, and
 * moves it into place once complete, PG_VERSION last: a first start interrupted (Ctrl-C, a killed pod) leaves no
 * half-made database, which every later start refused with a WebAssembly "Aborted()". Without PG_VERSION the
 * directory holds no database, so what an interrupted attempt left is replaced. Other files (the local
 * workspace, the lock) stay.
 */
async function initialiseDataDir(dir: string): Promise<void> {
  const staging = join(dir, STAGING);
  rmSync(staging, { recursive: true, force: true });
  const created = await startPgliteThread(staging);
  await created.close();
  const names = readdirSync(staging).filter((n) => n !== 'PG_VERSION');
  for (const name of [...names, 'PG_VERSION']) {
    rmSync(join(dir, name), { recursive: true, force: true });
    renameSync(join(staging, name), join(dir, name));
  }
  rmSync(staging, { recursive: true, force: true });
}

async function openPglite(dataDir: string, command: string, onLost?: (err: Error) => void): Promise<Db> {
  let db: PgliteThread;
  let lock: StoreLock | null = null;
  if (dataDir.startsWith('memory://')) db = await startPgliteThread(dataDir, onLost);
  else {
    const dir = resolve(dataDir);
    mkdirSync(dir, { recursive: true });
    // One writer per data directory: a second process would overwrite the first one's data on close (rt-06).
    lock = lockDataDir(dir, command);
    try {
      const initialised = existsSync(join(dir, 'PG_VERSION'));
      if (!initialised) await initialiseDataDir(dir);
      db = await startPgliteThread(dir, onLost).catch((e: unknown) => {
        throw initialised ? new StoreDamagedError(dir, e) : e;
      });
    } catch (e) {
      lock.release();
      throw e;
    }
  }
  let closed = false;
  return {
    kind: 'pglite',
    serial: true,
    lock,
    query: (sql, params) => db.query(sql, params),
    async tx(fn) {
      const t = await db.begin();
      let out: Awaited<ReturnType<typeof fn>>;
      try {
        out = await fn({ serial: true, query: (sql, params) => db.query(sql, params, t) });
      } catch (err) {
        await db.end(t, false).catch(() => {});
        throw err;
      }
      await db.end(t, true);
      return out;
    },
    exec: (sql) => db.exec(sql),
    async close() {
      if (closed) return;
      closed = true;
      try {
        await db.close();
      } finally {
        lock?.release();
      }
    },
  };
}
