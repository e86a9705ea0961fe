import { closeSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { UserFacingError } from '../errors.js';

/** The lock file's name inside an embedded (PGlite) data directory. */
export const LOCK_FILE = 'incident-bot.lock';

const ownerSchema = z.object({
  pid: z.number().int(),
  host: z.string(),
  command: z.string(),
  startedAt: z.string(),
  port: z.number().int().nullable().optional(),
});
/** Who holds a data directory: written as JSON into {@link LOCK_FILE}. */
export type StoreOwner = z.infer<typeof ownerSchema>;

/** The data directory is held by another live process (or another open store in this one). */
export class StoreInUseError extends UserFacingError {
  constructor(
    readonly dir: string,
    readonly owner: StoreOwner,
  ) {
    super(
      `The embedded database in ${dir} is in use by \`incident-bot ${owner.command}\` (pid ${owner.pid}${owner.port ? `, port ${owner.port}` : ''}${owner.host !== hostname() ? ` on ${owner.host}` : ''}, since ${owner.startedAt}). ` +
        'Only one process may open it: stop that process first (e.g. `serve`), or set DATABASE_URL to use PostgreSQL, which several processes can share.' +
        (owner.host !== hostname() ? ` If that process is gone, delete ${lockFileOf(dir)}.` : ''),
      'store_in_use',
    );
  }
}

/** Where the lock of an initialised data directory lives. */
export const lockFileOf = (dir: string) => join(dir, LOCK_FILE);

/** Held lock; `update` records the port once the server listens, `release` removes the file. */
export interface StoreLock {
  readonly file: string;
  update(info: Partial<Pick<StoreOwner, 'port'>>): void;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(file: string): StoreOwner | null {
  try {
    const parsed = ownerSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Locks held by this process, by directory: a second open in the same process is refused too. */
const held = new Map<string, StoreOwner>();

/**
 * Takes the single-writer lock of an embedded data directory (created with O_EXCL). A lock left by a
 * process that no longer runs on this host is taken over. Throws StoreInUseError naming the holder.
 * `command` is what this process is (`serve`, `incidents list`, ...).
 */
export function lockDataDir(dir: string, command: string, file = join(dir, LOCK_FILE)): StoreLock {
  if (held.has(file)) throw new StoreInUseError(dir, held.get(file) as StoreOwner);
  const me: StoreOwner = {
    pid: process.pid,
    host: hostname(),
    command,
    startedAt: new Date().toISOString(),
    port: null,
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o644);
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      held.set(file, me);
      let released = false;
      return {
        file,
        update(info) {
          if (released) return;
          Object.assign(me, info);
          writeFileSync(file, JSON.stringify(me));
        },
        release() {
          if (released) return;
          released = true;
          held.delete(file);
          const owner = readOwner(file);
          if (owner?.pid === me.pid && owner.host === me.host) rmSync(file, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = readOwner(file);
      // A lock being written right now has no content yet: treat as held.
      if (!owner) {
        if (attempt < 2) continue;
        throw new StoreInUseError(dir, { pid: 0, host: hostname(), command: '(unknown)', startedAt: 'unknown' });
      }
      // Same host and the pid is gone, or is our own pid (a restarted container reuses pid 1) while we hold nothing.
      const stale = owner.host === hostname() && (owner.pid === process.pid || !alive(owner.pid));
      if (!stale) throw new StoreInUseError(dir, owner);
      rmSync(file, { force: true });
    }
  }
  throw new StoreInUseError(dir, readOwner(file) ?? me);
}
