// The embedded store's worker thread: PGlite (PostgreSQL compiled to WebAssembly) runs here, so its
// planning, execution, commits and file writes never block the bot's event loop. Plain JavaScript so that
// the same file runs from the sources (tests, tsx) and from the built package; src/store/pglite-thread.ts
// is the other end and documents the messages.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';

const port = parentPort;
if (!port) throw new Error('pglite-worker.mjs runs as a worker thread');

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
const rows = (r) => ({ rows: r.rows, rowCount: r.affectedRows ?? r.rows.length });

let db;
try {
  db = new PGlite(workerData.dataDir);
  await db.waitReady;
  port.postMessage({ ready: true });
} catch (err) {
  port.postMessage({ ready: false, error: plainError(err) });
}

/** Open transactions by the id of their 'begin' message: the query handle and how to end it. */
const txs = new Map();
const ROLLED_BACK = new Error('rolled back');

port.on('message', (m) => {
  const { id, op } = m;
  if (op === 'query' || op === 'exec') {
    const target = m.tx === undefined ? db : txs.get(m.tx)?.t;
    if (!target) return fail(id, new Error(`transaction ${m.tx} is not open`));
    const run = op === 'query' ? target.query(m.sql, m.params).then(rows) : target.exec(m.sql).then(() => undefined);
    run.then(
      (r) => reply(id, r),
      (e) => fail(id, e),
    );
  } else if (op === 'begin') {
    // PGlite's transaction() holds its own lock until the callback settles, so queries outside it wait.
    // The callback settles when the 'end' message comes: resolved to commit, rejected to roll back.
    const entry = { t: null, endId: undefined, commit: null, rollback: null };
    const ended = new Promise((resolve, reject) => {
      entry.commit = resolve;
      entry.rollback = reject;
    });
    db.transaction((t) => {
      entry.t = t;
      txs.set(id, entry);
      reply(id, undefined);
      return ended;
    }).then(
      () => {
        txs.delete(id);
        reply(entry.endId, undefined);
      },
      (e) => {
        txs.delete(id);
        if (entry.endId === undefined) fail(id, e);
        else if (e === ROLLED_BACK) reply(entry.endId, undefined);
        else fail(entry.endId, e);
      },
    );
  } else if (op === 'end') {
    const open = txs.get(m.tx);
    if (!open) return fail(id, new Error(`transaction ${m.tx} is not open`));
    open.endId = id;
    if (m.commit) open.commit();
    else open.rollback(ROLLED_BACK);
  } else if (op === 'close') {
    db.close().then(
      () => reply(id, undefined),
      (e) => fail(id, e),
    );
  }
});
