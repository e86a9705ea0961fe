import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { QueryResult, Row } from './db.js';

/**
 * The embedded store run in a worker thread (src/store/pglite-worker.mjs). PGlite is PostgreSQL compiled to
 * WebAssembly and runs synchronously wherever it lives: on the main thread, taking a 10,000-alert notification
 * (planning, inserts, commits, the data directory's file writes) stalled the event loop for 100–200 ms at a
 * time, and with it /healthz and Slack's 3-second acks (#16). Here the main thread only posts messages.
 * The worker also prepares each SQL text once under a name (PGlite's own `query()` parses and plans every
 * statement again), which made the embedded store's statements 2-3x cheaper.
 *
 * Messages, main → worker: `{ id, op: 'query', sql, params?, tx? }`, `{ id, op: 'exec', sql, tx? }`,
 * `{ id, op: 'begin' }` (the reply opens transaction `id`), `{ id, op: 'end', tx, commit }`, `{ id, op: 'close' }`.
 * Worker → main: `{ ready: true }` or `{ ready: false, error }` once, then `{ id, ok: true, result }` or
 * `{ id, ok: false, error }` per message. Errors keep PostgreSQL's fields (code, detail, constraint).
 * Rows cross by structured clone, so dates stay `Date` and JSON columns stay objects.
 */
export interface PgliteThread {
  query<T = Row>(sql: string, params?: unknown[], tx?: number): Promise<QueryResult<T>>;
  exec(sql: string, tx?: number): Promise<void>;
  /** Opens a transaction; returns its id. Statements outside it wait until it ends (PGlite's own lock). */
  begin(): Promise<number>;
  /** Commits (`commit` true) or rolls back transaction `tx`; rejects when the commit fails. */
  end(tx: number, commit: boolean): Promise<void>;
  /** Closes the database (flushing a data directory) and stops the thread. */
  close(): Promise<void>;
}

/** Raised on the main thread for an error in the worker: the worker's message, name and PostgreSQL fields. */
export class EmbeddedStoreError extends Error {
  [field: string]: unknown;
  constructor(fields: Record<string, unknown>) {
    super(typeof fields.message === 'string' ? fields.message : 'embedded database error');
    Object.assign(this, fields);
    this.name = typeof fields.name === 'string' ? fields.name : 'EmbeddedStoreError';
  }
}

interface Reply {
  id?: number;
  ok?: boolean;
  ready?: boolean;
  result?: unknown;
  error?: Record<string, unknown>;
}

/** The worker script: next to this file in the sources, at the same place relative to `dist/store/` when built. */
function workerScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'pglite-worker.mjs'), join(here, '..', '..', 'src', 'store', 'pglite-worker.mjs')];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`pglite-worker.mjs not found near ${here}`);
  return found;
}

/**
 * Starts the worker and opens PGlite at `dataDir` (a directory, or `memory://`) in it.
 * Throws the worker's error when PGlite cannot open the directory. The thread holds the process open only
 * while a message is waiting for its reply, so a CLI command exits when its work is done. `onLost` is called
 * once if the thread stops other than by `close()` (a WebAssembly abort, out of memory); every statement
 * waiting then, and every one after, rejects with that error.
 */
export async function startPgliteThread(dataDir: string, onLost?: (err: Error) => void): Promise<PgliteThread> {
  const worker = new Worker(workerScript(), { workerData: { dataDir } });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let stopped: Error | null = null;
  let closing = false;
  worker.unref();

  const ready = new Promise<void>((resolve, reject) => {
    worker.once('message', (m: Reply) => (m.ready ? resolve() : reject(new EmbeddedStoreError(m.error ?? {}))));
    worker.once('error', reject);
  });
  const stop = (err: Error) => {
    if (stopped) return;
    stopped = err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
    if (!closing) onLost?.(err);
  };
  worker.on('error', (e) => stop(e instanceof Error ? e : new Error(String(e))));
  worker.on('exit', (code) => stop(new Error(`the embedded database's thread stopped (exit code ${code})`)));
  worker.on('message', (m: Reply) => {
    if (m.id === undefined) return;
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (pending.size === 0) worker.unref();
    if (m.ok) p.resolve(m.result);
    else p.reject(new EmbeddedStoreError(m.error ?? {}));
  });

  const send = <T>(msg: Record<string, unknown>, id = nextId++): Promise<T> => {
    if (stopped) return Promise.reject(stopped);
    return new Promise<T>((resolve, reject) => {
      if (pending.size === 0) worker.ref();
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ ...msg, id });
    });
  };

  worker.ref();
  try {
    await ready;
  } catch (e) {
    closing = true;
    await worker.terminate();
    throw e;
  } finally {
    worker.unref();
  }

  return {
    query: <T>(sql: string, params?: unknown[], tx?: number) =>
      send<QueryResult<T>>({ op: 'query', sql, params: params ?? [], tx }),
    exec: (sql, tx) => send<void>({ op: 'exec', sql, tx }),
    begin: async () => {
      const id = nextId++;
      await send<void>({ op: 'begin' }, id);
      return id;
    },
    end: (tx, commit) => send<void>({ op: 'end', tx, commit }),
    async close() {
      closing = true;
      try {
        if (!stopped) await send<void>({ op: 'close' });
      } finally {
        await worker.terminate();
      }
    },
  };
}
