import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { ValidationError } from '../errors.js';
import type { WorkspaceSnapshot, WorkspaceState } from './workspace.js';

/** How long changes gather before one write (a burst of posts is one write). */
const SAVE_DELAY_MS = 200;

/**
 * Keeps a workspace in a JSON file so a restarted local bot finds its channels and messages again (the
 * incidents in its store point at them). Writes are atomic (temp file + rename) and debounced.
 */
export class WorkspaceFile {
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    readonly path: string,
    private readonly state: WorkspaceState,
    private readonly logger: Logger,
  ) {}

  /**
   * Loads the file into the state (unless `reset`, which deletes it) and saves every change from now on.
   * Returns whether a stored workspace was restored. Throws ValidationError naming the file when it is unreadable.
   */
  open(reset: boolean): boolean {
    let restored = false;
    if (reset && existsSync(this.path)) {
      rmSync(this.path);
      this.logger.info({ path: this.path }, 'emulator: workspace reset');
    } else if (existsSync(this.path)) {
      let snap: WorkspaceSnapshot;
      try {
        snap = JSON.parse(readFileSync(this.path, 'utf8')) as WorkspaceSnapshot;
      } catch (e) {
        throw new ValidationError(
          `local workspace file ${this.path} is not valid JSON (${(e as Error).message}); start with --reset-workspace to begin afresh`,
        );
      }
      this.state.restore(snap);
      restored = true;
      this.logger.info(
        { path: this.path, channels: snap.channels.length },
        'emulator: workspace restored from the data directory',
      );
    }
    this.unsubscribe = this.state.onChange(() => this.schedule());
    if (!restored) this.save();
    return restored;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.save();
    }, SAVE_DELAY_MS);
    this.timer.unref();
  }

  /** Writes the current state now. */
  save(): void {
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      const tmp = `${this.path}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(this.state.snapshot()));
      renameSync(tmp, this.path);
    } catch (err) {
      this.logger.warn({ err, path: this.path }, 'emulator: could not save the workspace');
    }
  }

  /** Writes pending changes and stops watching. */
  close(): void {
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.save();
  }
}
