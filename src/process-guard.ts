import type { Logger } from 'pino';

export interface ProcessGuardOptions {
  /** Unexpected errors tolerated per `windowMs` before the process exits for a clean restart (default 20). */
  maxErrors?: number;
  /** Window of `maxErrors`, ms (default 60 s). */
  windowMs?: number;
  /** Called instead of process.exit (tests). */
  exit?: (code: number) => void;
  now?: () => number;
}

/**
 * True for an error after which the process state cannot be trusted: the embedded database's WebAssembly
 * aborted, or V8/Node report the heap is gone. Anything else (a socket handler that threw, a string too
 * long to build, a rejected promise nobody awaited) leaves the process able to serve.
 */
export function isFatal(err: unknown): boolean {
  const wasm = (globalThis as { WebAssembly?: { RuntimeError: abstract new (...a: never[]) => Error } }).WebAssembly;
  if (wasm && err instanceof wasm.RuntimeError) return true;
  const e = err as { message?: unknown; code?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : '';
  return /^Aborted\(|heap out of memory/i.test(message) || e?.code === 'ERR_WORKER_OUT_OF_MEMORY';
}

/**
 * Process-level handlers for `uncaughtException` and `unhandledRejection`: each is logged at error level with
 * its origin and whatever context the error carries, and the process keeps serving, except after a fatal
 * error ({@link isFatal}) or more than `maxErrors` in `windowMs` (a loop of failures), when it exits with
 * status 1 so that the supervisor restarts it. Returns a function that removes the handlers.
 */
export function installProcessGuards(logger: Logger, opts: ProcessGuardOptions = {}): () => void {
  const log = logger.child({ component: 'process' });
  const maxErrors = opts.maxErrors ?? 20;
  const windowMs = opts.windowMs ?? 60_000;
  const now = opts.now ?? Date.now;
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const recent: number[] = [];

  const handle = (err: unknown, origin: string) => {
    const t = now();
    recent.push(t);
    while (recent.length && t - (recent[0] as number) > windowMs) recent.shift();
    const fatal = isFatal(err);
    const tooMany = recent.length > maxErrors;
    const context = (err as { context?: unknown } | null)?.context;
    log.error(
      { err, origin, ...(context ? { context } : {}), recentErrors: recent.length, keepServing: !fatal && !tooMany },
      fatal
        ? `unexpected fatal error (${origin}); exiting so the process is restarted`
        : tooMany
          ? `more than ${maxErrors} unexpected errors in ${windowMs / 1000} s; exiting so the process is restarted`
          : `unexpected error (${origin}); the bot keeps serving`,
    );
    if (fatal || tooMany) exit(1);
  };
  const onException = (err: Error, origin: string) => handle(err, origin);
  const onRejection = (reason: unknown) => handle(reason, 'unhandledRejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
