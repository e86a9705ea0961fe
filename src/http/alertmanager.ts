import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { parseAlertmanager } from '../alerts/alertmanager.js';
import { parseGeneric } from '../alerts/generic.js';
import { parseGrafana } from '../alerts/grafana.js';
import type { AlertIngest } from '../alerts/ingest.js';
import { type IntakeNotification, NotANotificationError, type Sender, storable } from '../alerts/intake.js';
import { InvalidJsonError, parseJsonBody } from '../alerts/json.js';
import type { Metrics } from '../metrics.js';
import { PayloadTooLargeError, readBody, sendJson } from './body.js';
import { createRejectLog } from './reject-log.js';
import type { Handler } from './server.js';

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
  /** Called for each request refused for its token (rate-limited logging of the sender). */
  onReject?: (req: IncomingMessage, route: string, reason: string) => void;
  maxBodyBytes?: number;
  /** ALERT_SYNC_BUDGET_MS: answer 2xx after this long once the raw body is stored. */
  budgetMs?: number;
  now?: () => Date;
}): Handler {
  const log = deps.logger.child({ component: 'alerts' });
  const warn = deps.onReject ?? createRejectLog(log);
  const limit = deps.maxBodyBytes ?? MAX_ALERT_BODY;
  const now = deps.now ?? (() => new Date());
  return async (req, res, url) => {
    const sender = ROUTES[url.pathname];
    if (!sender) return false;
    const arrived = Date.now();
    const reject = (status: number, reason: string, message: string) => {
      warn(req, url.pathname, `${reason}: ${message}`);
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
      reject(
        401,
        'unauthorized',
        `${req.headers.authorization ? 'wrong' : 'missing'} bearer token (ALERT_WEBHOOK_TOKEN)`,
      );
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
    // A notification usually opens or changes one incident: its id joins the line like every incident's work.
    const only = result.incidents?.length === 1 ? { incidentId: result.incidents[0]!.id } : {};
    log.debug({ sender, groupKey: notification.groupKey, ...only, ...result }, 'alert notification stored');
    sendJson(res, 200, { ok: true, ...result });
    return true;
  };
}
