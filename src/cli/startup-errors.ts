import { UserFacingError } from '../errors.js';

/** The error code of a start-up failure, looking through `cause` and AggregateError (pg tries every address). */
function codeOf(err: unknown, depth = 0): string | null {
  if (!err || typeof err !== 'object' || depth > 4) return null;
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown[] };
  if (typeof e.code === 'string' && e.code) return e.code;
  for (const inner of [e.cause, ...(Array.isArray(e.errors) ? e.errors : [])]) {
    const c = codeOf(inner, depth + 1);
    if (c) return c;
  }
  return null;
}

/** host:port/database of a PostgreSQL URL, never its user or password. */
function where(databaseUrl: string): string {
  try {
    const u = new URL(databaseUrl);
    return `${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return 'an unparsable URL';
  }
}

const DB_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found (DNS)',
  ETIMEDOUT: 'timed out',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  '28P01': 'password authentication failed',
  '28000': 'not allowed to connect',
  '3D000': 'database does not exist',
};

/**
 * Turns the usual start-up failures into one line naming the setting to change: the port in use (PORT or
 * --port), an unreachable DATABASE_URL (the URL's host and database, never its password). Null for anything
 * else, which is a bug and keeps its stack.
 */
export function explainStartupError(
  err: unknown,
  ctx: { port: number; databaseUrl?: string | null },
): UserFacingError | null {
  const code = codeOf(err);
  if (code === 'EADDRINUSE')
    return new UserFacingError(
      `port ${ctx.port} is already in use (PORT or --port): stop the other process, or start with --port ${ctx.port + 1}.`,
      'port_in_use',
    );
  if (code === 'EACCES' && ctx.port < 1024)
    return new UserFacingError(`port ${ctx.port} needs root (PORT or --port): use a port above 1023.`, 'port_denied');
  if (ctx.databaseUrl && code && DB_CODES[code])
    return new UserFacingError(
      `cannot reach the database in DATABASE_URL (${where(ctx.databaseUrl)}): ${DB_CODES[code]}. Check that PostgreSQL runs and the URL is right, or unset DATABASE_URL to use the embedded database.`,
      'database_unreachable',
    );
  return null;
}
