import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';

/** Who sent a request, as far as the bot can tell: socket address, forwarded-for chain and user agent. */
export function senderOf(req: IncomingMessage): { ip: string; forwardedFor?: string; userAgent?: string } {
  const xff = req.headers['x-forwarded-for'];
  return {
    ip: req.socket.remoteAddress ?? 'unknown',
    ...(xff ? { forwardedFor: String(xff).slice(0, 200) } : {}),
    ...(req.headers['user-agent'] ? { userAgent: String(req.headers['user-agent']).slice(0, 200) } : {}),
  };
}

/**
 * Logs rejected requests (wrong token, bad signature) at warn level, at most once per sender and reason per
 * `intervalMs` (default 60 s); the next line carries how many were suppressed meanwhile. Keeps at most
 * 1000 senders in memory. `now` in ms (tests pass their own clock).
 */
export function createRejectLog(logger: Logger, opts: { intervalMs?: number; now?: () => number } = {}) {
  const interval = opts.intervalMs ?? 60_000;
  const now = opts.now ?? Date.now;
  const seen = new Map<string, { at: number; suppressed: number }>();
  return (req: IncomingMessage, route: string, reason: string): void => {
    const sender = senderOf(req);
    const key = `${route}|${reason}|${sender.ip}|${sender.forwardedFor ?? ''}`;
    const t = now();
    const prev = seen.get(key);
    if (prev && t - prev.at < interval) {
      prev.suppressed++;
      return;
    }
    if (seen.size >= 1000) seen.delete(seen.keys().next().value as string);
    seen.set(key, { at: t, suppressed: 0 });
    logger.warn(
      { route, reason, sender, suppressedSinceLast: prev?.suppressed ?? 0 },
      `rejected request to ${route}: ${reason}`,
    );
  };
}
