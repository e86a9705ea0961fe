// The embedded store's worker thread: PGlite (PostgreSQL compiled to WebAssembly) runs here, so its
// planning, execution, commits and file writes never block the bot's event loop. Plain JavaScript so that
// the same file runs from the sources (tests, tsx) and from the built package; src/store/pglite-thread.ts
// is the other end and documents the messages.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, parse, protocol } from '@electric-sql/pglite';

const port = parentPort;
if (!port) throw new Error('pglite-worker.mjs runs as a worker thread');
const { serialize } = protocol;

/** An error's fields that cross the thread boundary (PostgreSQL's code, detail, constraint, ...). */
function plainError(err) {
  const out = { name: 'Error', message: String(err) };
  if (err && typeof err === 'object') {
    out.name = typeof err.name === 'string' ? err.name : 'Error';
    out.message = typeof err.message === 'string' ? err.message : String(err);
    for (const [k, v] of Object.entries(err)) {
      if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) out[k] = v;
    }
  }
  return out;
}

const reply = (id, result) => port.postMessage({ id, ok: true, result });
const fail = (id, err) => port.postMessage({ id, ok: false, error: plainError(err) });

let db;
try {
  db = new PGlite(workerData.dataDir);
  await db.waitReady;
  port.postMessage({ ready: true });
} catch (err) {
  port.postMessage({ ready: false, error: plainError(err) });
}

// --- Statements: each SQL text is prepared once, under a name, and then only bound and executed. ---
// PGlite's own query() parses, analyses and plans every statement again, in six calls into WebAssembly; a
// named statement runs in one call and, after five runs, on PostgreSQL's cached plan when that is no dearer
// (plan_cache_mode auto, https://www.postgresql.org/docs/current/sql-prepare.html). That made a typical
// statement of ours 2-3x cheaper. The cache is bounded; statements that fall out of it are closed.
const MAX_STATEMENTS = 500;
/** SQL text -> { name, types: parameter type OIDs as PostgreSQL inferred them }. Map order = least recently used. */
const statements = new Map();
let statementSeq = 0;
const toClose = [];

const concat = (parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

async function prepare(sql) {
  const name = `ib_${++statementSeq}`;
  const parts = toClose.splice(0).map((n) => serialize.close({ type: 'S', name: n }));
  parts.push(
    serialize.parse({ name, text: sql, types: [] }),
    serialize.describe({ type: 'S', name }),
    serialize.sync(),
  );
  const { messages } = await db.execProtocol(concat(parts));
  const described = messages.find((m) => m.name === 'parameterDescription');
  const st = { name, types: described ? described.dataTypeIDs : [] };
  statements.set(sql, st);
  if (statements.size > MAX_STATEMENTS) {
    const [oldest, { name: dropped }] = statements.entries().next().value;
    statements.delete(oldest);
    toClose.push(dropped);
  }
  return st;
}

/** A statement that may change tables (a migration's, after its comments): plans cached before it may no longer fit. */
const SCHEMA_CHANGE = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*(?:create|alter|drop|do)\b/i;

/** Forgets every prepared statement; they are closed with the next one prepared. */
function forgetStatements() {
  for (const { name } of statements.values()) toClose.push(name);
  statements.clear();
}

/** Runs one statement with parameters; returns `{ rows, rowCount }`. Throws PostgreSQL's error. */
async function query(sql, params, retried = false) {
  if (SCHEMA_CHANGE.test(sql)) {
    const result = await db.query(sql, params);
    forgetStatements();
    return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
  }
  let st = statements.get(sql);
  if (st) {
    statements.delete(sql);
    statements.set(sql, st);
  } else st = await prepare(sql);
  // As PGlite's query() does: each value through the serializer of the type PostgreSQL inferred for it.
  const values = params.map((v, i) => {
    if (v === null || v === undefined) return null;
    const serializer = db.serializers[st.types[i]];
    return serializer ? serializer(v) : v.toString();
  });
  let messages;
  try {
    ({ messages } = await db.execProtocol(
      concat([
        serialize.bind({ statement: st.name, values }),
        serialize.describe({ type: 'P' }),
        serialize.execute({}),
        serialize.sync(),
      ]),
    ));
  } catch (err) {
    // A table changed under a cached plan ("cached plan must not change result type"): prepare it again.
    // Only outside a transaction, which the failed statement would have aborted.
    if (!retried && err?.code === '0A000' && !db.isInTransaction()) {
      statements.delete(sql);
      toClose.push(st.name);
      return query(sql, params, true);
    }
    throw err;
  }
  const [result] = parse.parseResults(messages, db.parsers);
  return { rows: result ? result.rows : [], rowCount: result?.affectedRows ?? result?.rows.length ?? 0 };
}

/** Runs several statements (migrations); forgets every prepared statement, whose tables may have changed. */
async function exec(sql) {
  await db.exec(sql);
  forgetStatements();
}

// --- Order: one statement at a time; while a transaction is open, only its own statements run. ---
/** Work outside any transaction, one after another; an open transaction holds this chain until it ends. */
let outside = Promise.resolve();
/** The open transaction: the id of its 'begin' message and how to release the chain. */
let open = null;

const later = (fn) => {
  const run = outside.then(fn);
  outside = run.catch(() => {});
  return run;
};

function inTx(m) {
  if (!open || open.id !== m.tx) throw new Error(`transaction ${m.tx} is not open`);
}

port.on('message', (m) => {
  const { id, op } = m;
  let work;
  if (op === 'query' || op === 'exec') {
    const run = () => (op === 'query' ? query(m.sql, m.params) : exec(m.sql).then(() => undefined));
    if (m.tx === undefined) work = later(run);
    else
      work = Promise.resolve().then(() => {
        inTx(m);
        return run();
      });
  } else if (op === 'begin') {
    work = new Promise((started, failed) => {
      later(async () => {
        try {
          await db.exec('BEGIN');
        } catch (e) {
          failed(e);
          return;
        }
        await new Promise((release) => {
          open = { id, release };
          started(undefined);
        });
      });
    });
  } else if (op === 'end') {
    work = Promise.resolve().then(async () => {
      inTx(m);
      const { release } = open;
      try {
        // COMMIT of a transaction a statement aborted rolls it back, as on PostgreSQL.
        await db.exec(m.commit ? 'COMMIT' : 'ROLLBACK');
      } finally {
        open = null;
        release();
      }
    });
  } else if (op === 'close') work = later(() => db.close());
  else work = Promise.reject(new Error(`unknown message ${op}`));
  work.then(
    (r) => reply(id, r),
    (e) => fail(id, e),
  );
});
