import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { PayloadTooLargeError, readBody, sendJson } from '../http/body.js';
import type { Handler } from '../http/server.js';
import type { Metrics } from '../metrics.js';
import { parseAlertmanager } from './alertmanager.js';
import { parseGeneric } from './generic.js';
import { parseGrafana } from './grafana.js';
import type { AlertIngest } from './ingest.js';
import { type IntakeNotification, NotANotificationError, type Sender, storable } from './intake.js';
import { InvalidJsonError, parseJsonBody } from './json.js';

/** Default largest body (ALERT_MAX_BODY_BYTES): a 10,000-alert storm is about 8 MB. */
export const MAX_ALERT_BODY = 32 * 1024 * 1024;

const PARSERS: Record<Sender, (json: unknown, now: Date) => Promise<IntakeNotification>> = {
  alertmanager: parseAlertmanager,
  grafana: parseGrafana,
  generic: parseGeneric,
};

/** Reads a stored or received body as the notification of `sender` (throws NotANotificationError). */
export function parseNotification(sender: string, json: unknown, now: Date): Promise<IntakeNotification> {
  const parse = PARSERS[sender as Sender];
  if (!parse) throw new NotANotificationError(`unknown sender "${sender}"`);
  return parse(json, now);
}

const ROUTES: Record<string, Sender> = {
  '/alerts/alertmanager': 'alertmanager',
  '/alerts/grafana': 'grafana',
  '/alerts/generic': 'generic',
};

function tokenMatches(header: string | undefined, token: string): boolean {
  const got = Buffer.from(header?.replace(/^Bearer\s+/i, '') ?? '');
  const want = Buffer.from(token);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** Who sent a request, for logs: the forwarded address when behind a proxy, else the socket's. */
function senderAddress(req: IncomingMessage): string {
  const fwd = req.headers['x-forwarded-for'];
  const first = (Array.isArray(fwd) ? fwd[0] : fwd)?.split(',')[0]?.trim();
  return first || req.socket.remoteAddress || 'unknown';
}

/**
 * At most one warning per (route, reason, address) a minute, with how many were held back: a sender
 * stuck retrying a bad notification must not flood the log.
 */
export function createRejectLog(logger: Logger, everyMs = 60_000, clock: () => number = Date.now) {
  const last = new Map<string, { at: number; held: number }>();
  return (fields: { sender: Sender; reason: string; address: string; detail: string }) => {
    const key = `${fields.sender}|${fields.reason}|${fields.address}`;
    const now = clock();
    const seen = last.get(key);
    if (seen && now - seen.at < everyMs) {
      seen.held++;
      return;
    }
    if (last.size > 1000) last.clear();
    last.set(key, { at: now, held: 0 });
    logger.warn(
      { ...fields, heldBack: seen?.held ?? 0 },
      `rejected alert notification from ${fields.address} (${fields.sender}): ${fields.detail}`,
    );
  };
}

/**
 * POST /alerts/alertmanager, /alerts/grafana, /alerts/generic. Answers 4xx only when the sender is not
 * allowed (401, bearer token ALERT_WEBHOOK_TOKEN), the body is over ALERT_MAX_BODY_BYTES (413), or it is
 * not a notification at all (400: not JSON, no alerts list); each is logged at warn (rate-limited) and
 * counted. Everything else is stored, and answered 200 only after it is committed.
 */
export function alertmanagerHandler(deps: {
  ingest: AlertIngest;
  token?: string;
  logger: Logger;
  metrics?: Metrics;
  maxBodyBytes?: number;
  /** ALERT_SYNC_BUDGET_MS: answer 2xx after this long once the raw body is stored. */
  budgetMs?: number;
  now?: () => Date;
}): Handler {
  const log = deps.logger.child({ component: 'alerts' });
  const warn = createRejectLog(log);
  const limit = deps.maxBodyBytes ?? MAX_ALERT_BODY;
  const now = deps.now ?? (() => new Date());
  return async (req, res, url) => {
    const sender = ROUTES[url.pathname];
    if (!sender) return false;
    const arrived = Date.now();
    const reject = (status: number, reason: string, message: string) => {
      warn({ sender, reason, address: senderAddress(req), detail: message });
      deps.metrics?.alertsRejected.inc({ sender, reason });
      deps.metrics?.alertsReceived.inc({ status: 'unknown', outcome: reason });
      sendJson(res, status, { ok: false, error: reason, message });
    };
    if (req.method !== 'POST') {
      sendJson(
        res,
        405,
        { ok: false, error: 'method_not_allowed', message: `POST a ${sender} webhook notification here` },
        { allow: 'POST' },
      );
      return true;
    }
    if (deps.token && !tokenMatches(req.headers.authorization, deps.token)) {
      req.resume();
      reject(401, 'unauthorized', 'missing or wrong bearer token (ALERT_WEBHOOK_TOKEN)');
      return true;
    }
    let body: Buffer;
    try {
      body = await readBody(req, limit);
    } catch (err) {
      if (err instanceof PayloadTooLargeError) {
        reject(413, 'payload_too_large', `${err.message} (raise ALERT_MAX_BODY_BYTES to accept it)`);
        return true;
      }
      throw err;
    }
    const text = body.toString('utf8');
    let json: unknown;
    let notification: IntakeNotification;
    try {
      json = await parseJsonBody(text);
      notification = await PARSERS[sender](json, now());
    } catch (err) {
      if (err instanceof InvalidJsonError) {
        reject(400, 'invalid_json', `body is not JSON: ${err.message}`);
        return true;
      }
      if (err instanceof NotANotificationError) {
        reject(400, 'not_a_notification', err.reason);
        return true;
      }
      throw err;
    }
    const small = text.length <= 256 * 1024;
    const result = await deps.ingest.ingest(
      notification,
      { json: small ? storable(json) : json, text },
      // The budget counts from arrival: reading and parsing a storm already took part of the sender's timeout.
      { budgetMs: deps.budgetMs === undefined ? undefined : Math.max(0, deps.budgetMs - (Date.now() - arrived)) },
    );
    for (const a of notification.alerts) deps.metrics?.alertsReceived.inc({ status: a.status, outcome: 'stored' });
    if (notification.rejected.length)
      deps.metrics?.alertsReceived.inc({ status: 'unknown', outcome: 'dead_letter' }, notification.rejected.length);
    log.debug({ sender, groupKey: notification.groupKey, ...result }, 'alert notification stored');
    sendJson(res, 200, { ok: true, ...result });
    return true;
  };
}
