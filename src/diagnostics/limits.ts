import { BusyError } from './types.js';

export interface LimiterOptions {
  maxConcurrent: number;
  maxPerIncident: number;
  /** How long a run may wait for a slot before it is refused as busy. */
  queueMs: number;
}

interface Waiter {
  incidentId: number;
  grant: () => void;
  timer: NodeJS.Timeout;
}

/**
 * Global and per-incident concurrency limits. A click waits up to `queueMs` for a slot (FIFO among
 * those that fit), then gets a BusyError, so a click storm cannot overload the cluster or a database.
 */
export function createLimiter(opts: LimiterOptions) {
  let running = 0;
  const perIncident = new Map<number, number>();
  const waiters: Waiter[] = [];

  const fits = (id: number) => running < opts.maxConcurrent && (perIncident.get(id) ?? 0) < opts.maxPerIncident;
  const take = (id: number) => {
    running++;
    perIncident.set(id, (perIncident.get(id) ?? 0) + 1);
  };
  const release = (id: number) => {
    running--;
    const n = (perIncident.get(id) ?? 1) - 1;
    if (n <= 0) perIncident.delete(id);
    else perIncident.set(id, n);
    for (let i = 0; i < waiters.length; i++) {
      const w = waiters[i]!;
      if (!fits(w.incidentId)) continue;
      waiters.splice(i, 1);
      clearTimeout(w.timer);
      w.grant();
      i--;
    }
  };

  /** Resolves with a release function once a slot is free; rejects with BusyError after queueMs. */
  function acquire(incidentId: number): Promise<() => void> {
    const releaseOnce = () => {
      let done = false;
      return () => {
        if (!done) {
          done = true;
          release(incidentId);
        }
      };
    };
    // Waiters of the same incident go first; other incidents' waiters only wait for their own slots.
    if (fits(incidentId) && !waiters.some((w) => w.incidentId === incidentId)) {
      take(incidentId);
      return Promise.resolve(releaseOnce());
    }
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        incidentId,
        grant: () => {
          take(incidentId);
          resolve(releaseOnce());
        },
        timer: setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          const perInc = (perIncident.get(incidentId) ?? 0) >= opts.maxPerIncident;
          reject(
            new BusyError(
              perInc
                ? `This incident already has ${opts.maxPerIncident} diagnostics running; try again in a moment.`
                : `The bot is running ${opts.maxConcurrent} diagnostics already; try again in a moment.`,
            ),
          );
        }, opts.queueMs),
      };
      waiters.push(w);
    });
  }

  return {
    acquire,
    stats: () => ({ running, waiting: waiters.length, incidents: perIncident.size }),
  };
}

export type Limiter = ReturnType<typeof createLimiter>;
