import { setImmediate as yieldLoop } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';

/** Bodies up to this many characters are parsed inline (a few milliseconds); larger ones off the main thread. */
export const INLINE_PARSE_CHARS = 512 * 1024;

// Plain JavaScript, so the worker runs the same from sources (tsx, vitest) and from dist/.
// The main thread asks for each slice of alerts ('more') once it has taken the last one in: slices posted all at
// once were received in one go (a port delivers every waiting message in one turn), 60 ms for 10,000 alerts.
const WORKER = `(() => {
const { parentPort, workerData } = require('node:worker_threads');
let value;
try { value = JSON.parse(workerData); } catch (err) { parentPort.postMessage({ error: err.message }); return; }
if (value && typeof value === 'object' && !Array.isArray(value) && Array.isArray(value.alerts)) {
  const alerts = value.alerts;
  let at = 0;
  const next = () => {
    if (at >= alerts.length) return parentPort.postMessage({ done: true });
    parentPort.postMessage({ alerts: alerts.slice(at, at + 250) });
    at += 250;
  };
  parentPort.postMessage({ envelope: { ...value, alerts: [] }, total: alerts.length });
  parentPort.on('message', next);
  next();
} else parentPort.postMessage({ envelope: value, total: 0, done: true });
})();`;

/** The body is not JSON; `message` is the parser's. */
export class InvalidJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidJsonError';
  }
}

/**
 * Parses a JSON body without holding the event loop: small bodies inline, large ones in a worker thread
 * whose result arrives in slices of 250 alerts, one per turn of the event loop (each slice costs the main
 * thread about a millisecond to receive). Throws InvalidJsonError when the text is not JSON.
 */
export async function parseJsonBody(text: string): Promise<unknown> {
  if (text.length <= INLINE_PARSE_CHARS) {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new InvalidJsonError((err as Error).message);
    }
  }
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { eval: true, workerData: text });
    let envelope: Record<string, unknown> | null = null;
    const alerts: unknown[] = [];
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
      void worker.terminate();
    };
    worker.on('message', (m: { error?: string; envelope?: unknown; alerts?: unknown[]; done?: boolean }) => {
      if (m.error !== undefined) return finish(() => reject(new InvalidJsonError(m.error!)));
      if ('envelope' in m) envelope = m.envelope as Record<string, unknown>;
      if (m.alerts) {
        for (const a of m.alerts) alerts.push(a);
        setImmediate(() => worker.postMessage('more'));
      }
      if (m.done)
        finish(() =>
          resolve(
            envelope && typeof envelope === 'object' && Array.isArray(envelope.alerts)
              ? { ...envelope, alerts }
              : envelope,
          ),
        );
    });
    worker.on('error', (err) => finish(() => reject(err)));
    worker.on('exit', (code) => finish(() => reject(new Error(`JSON worker exited with code ${code}`))));
  });
}

/** Runs `fn` over `items` in slices, yielding the event loop between slices; returns the results in order. */
export async function mapInSlices<T, R>(items: T[], size: number, fn: (item: T, index: number) => R): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) {
    const end = Math.min(items.length, i + size);
    for (let j = i; j < end; j++) out.push(fn(items[j]!, j));
    if (end < items.length) await yieldLoop();
  }
  return out;
}
