import { timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { formatZodIssues } from '../errors.js';
import { PayloadTooLargeError, readBody, sendJson } from '../http/body.js';
import type { Handler } from '../http/server.js';
import type { Metrics } from '../metrics.js';
import { AlertmanagerWebhook, storable } from './alertmanager.js';
import type { AlertIngest } from './ingest.js';

export const MAX_ALERT_BODY = 1024 * 1024;

function tokenMatches(header: string | undefined, token: string): boolean {
  const got = Buffer.from(header?.replace(/^Bearer\s+/i, '') ?? '');
  const want = Buffer.from(token);
  return got.length === want.length && timingSafeEqual(got, want);
}

/**
 * POST /alerts/alertmanager: 401 without the bearer token, 413 over 1 MiB, 400 naming the bad field,
 * 200 only after the notification and its effects are committed.
 */
export function alertmanagerHandler(deps: {
  ingest: AlertIngest;
  token?: string;
  logger: Logger;
  metrics?: Metrics;
}): Handler {
  const log = deps.logger.child({ component: 'alerts' });
  return async (req, res, url) => {
    if (url.pathname !== '/alerts/alertmanager') return false;
    if (req.method !== 'POST') {
      sendJson(
        res,
        405,
        { ok: false, error: 'method_not_allowed', message: 'POST an Alertmanager webhook here' },
        { allow: 'POST' },
      );
      return true;
    }
    if (deps.token && !tokenMatches(req.headers.authorization, deps.token)) {
      req.resume();
      sendJson(res, 401, {
        ok: false,
        error: 'unauthorized',
        message: 'missing or wrong bearer token (ALERT_WEBHOOK_TOKEN)',
      });
      return true;
    }
    let body: Buffer;
    try {
      body = await readBody(req, MAX_ALERT_BODY);
    } catch (err) {
      if (err instanceof PayloadTooLargeError) {
        deps.metrics?.alertsReceived.inc({ status: 'unknown', outcome: 'too_large' });
        sendJson(res, 413, { ok: false, error: 'payload_too_large', message: err.message });
        return true;
      }
      throw err;
    }
    let json: unknown;
    try {
      json = storable(JSON.parse(body.toString('utf8')));
    } catch (err) {
      deps.metrics?.alertsReceived.inc({ status: 'unknown', outcome: 'bad_json' });
      sendJson(res, 400, { ok: false, error: 'invalid_json', message: `body is not JSON: ${(err as Error).message}` });
      return true;
    }
    const parsed = AlertmanagerWebhook.safeParse(json);
    if (!parsed.success) {
      const message = formatZodIssues(parsed.error.issues);
      log.warn({ message }, 'rejected Alertmanager payload');
      deps.metrics?.alertsReceived.inc({ status: 'unknown', outcome: 'invalid' });
      sendJson(res, 400, {
        ok: false,
        error: 'invalid_payload',
        message,
        fields: parsed.error.issues.map((i) => i.path.join('.')),
      });
      return true;
    }
    const result = await deps.ingest.ingest(parsed.data, json);
    for (const a of parsed.data.alerts) deps.metrics?.alertsReceived.inc({ status: a.status, outcome: 'stored' });
    log.debug({ groupKey: parsed.data.groupKey, ...result }, 'alert notification stored');
    sendJson(res, 200, { ok: true, ...result });
    return true;
  };
}
