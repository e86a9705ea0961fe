import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { PayloadTooLargeError, readBody, sendJson } from '../http/body.js';
import type { Handler } from '../http/server.js';
import type { SeenStore } from '../store/seen.js';

/** Slack's bound on clock skew: a request more than 5 minutes from now, either way, is refused. */
export const MAX_SKEW_SEC = 5 * 60;
/** How long a delivery is remembered so a replay or a Slack retry is not acted on twice. */
const DELIVERY_TTL_MS = 60 * 60_000;

export interface SlackRequestGuardOptions {
  signingSecret: string;
  logger: Logger;
  seen: SeenStore;
  /** Clock, ms. */
  now?: () => number;
  /** Rejected requests (rate-limited logging of the sender). */
  onReject?: (req: IncomingMessage, route: string, reason: string) => void;
  maxBodyBytes?: number;
}

/**
 * Checks every request to /slack/events before Bolt sees it (https://api.slack.com/authentication/verifying-requests-from-slack):
 * body bounded (1 MiB), `X-Slack-Request-Timestamp` within 5 minutes of now in either direction, v0 HMAC
 * signature; a delivery seen before within an hour (the same `event_id` for Events API callbacks, else the same
 * body: a replayed signed request or a Slack retry with `X-Slack-Retry-Num`) is answered 200 and not acted on twice. The buffered body is handed to Bolt as `rawBody`.
 */
export function guardSlackRequests(opts: SlackRequestGuardOptions, next: Handler): Handler {
  const log = opts.logger.child({ component: 'slack-guard' });
  const now = opts.now ?? Date.now;
  const reject = (req: IncomingMessage, res: Parameters<Handler>[1], route: string, reason: string) => {
    opts.onReject?.(req, route, reason);
    sendJson(res, 401, { ok: false, error: 'invalid_request', message: reason });
    return true;
  };
  return async (req, res, url) => {
    if (req.method !== 'POST') return next(req, res, url);
    let body: Buffer;
    try {
      body = await readBody(req, opts.maxBodyBytes ?? 1024 * 1024);
    } catch (e) {
      if (e instanceof PayloadTooLargeError) {
        sendJson(res, 413, { ok: false, error: 'payload_too_large', message: e.message });
        return true;
      }
      throw e;
    }
    const tsHeader = req.headers['x-slack-request-timestamp'];
    const sigHeader = req.headers['x-slack-signature'];
    const ts = Number(tsHeader);
    if (typeof tsHeader !== 'string' || !Number.isInteger(ts) || typeof sigHeader !== 'string')
      return reject(req, res, url.pathname, 'missing Slack signature headers');
    const skew = Math.floor(now() / 1000) - ts;
    if (Math.abs(skew) > MAX_SKEW_SEC)
      return reject(
        req,
        res,
        url.pathname,
        `timestamp is ${Math.abs(skew)} s ${skew > 0 ? 'old' : 'in the future'} (more than ${MAX_SKEW_SEC} s)`,
      );
    const want = Buffer.from(
      `v0=${createHmac('sha256', opts.signingSecret).update(`v0:${ts}:`).update(body).digest('hex')}`,
    );
    const got = Buffer.from(sigHeader);
    if (got.length !== want.length || !timingSafeEqual(got, want))
      return reject(req, res, url.pathname, 'signature does not match');

    // One key per delivery: the event id of an Events API callback, else the body itself (every Slack payload
    // carries a fresh trigger_id / action_ts, so an identical body is the same delivery: a replay or a retry).
    const eventId = eventIdOf(body, req.headers['content-type']);
    const key = eventId ? `event:${eventId}` : `body:${createHash('sha256').update(body).digest('hex')}`;
    if (!(await opts.seen.firstSeen(key, DELIVERY_TTL_MS, new Date(now())))) {
      const retryNum = req.headers['x-slack-retry-num'];
      log.warn(
        { eventId, retryNum, retryReason: req.headers['x-slack-retry-reason'], timestamp: ts },
        retryNum
          ? 'Slack retry of a request already received; acknowledged, not acted on twice'
          : 'identical signed Slack request received again; ignored (replay)',
      );
      res.writeHead(200, { 'x-slack-no-retry': '1' }).end();
      return true;
    }
    (req as IncomingMessage & { rawBody?: Buffer }).rawBody = body;
    return next(req, res, url);
  };
}

/** The `event_id` of an Events API callback (JSON body), else null. */
function eventIdOf(body: Buffer, contentType: string | undefined): string | null {
  if (!contentType?.includes('json')) return null;
  try {
    const j = JSON.parse(body.toString('utf8')) as { type?: unknown; event_id?: unknown };
    return j.type === 'event_callback' && typeof j.event_id === 'string' ? j.event_id : null;
  } catch {
    return null;
  }
}
