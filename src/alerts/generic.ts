import { type IntakeNotification, NotANotificationError, readAlerts, str, stringMap } from './intake.js';

/**
 * The generic JSON webhook (`POST /alerts/generic`) for senders that are neither Alertmanager nor Grafana.
 * Documented in README ("Generic alert webhook"). Either a list or one alert at the top level:
 *
 * ```json
 * {"source": "uptime-checker", "groupKey": "shop-probes", "status": "firing",
 *  "alerts": [{"name": "ProbeFailed", "status": "firing", "severity": "critical",
 *              "summary": "Shop homepage down", "description": "…", "labels": {"service": "shop"},
 *              "startsAt": "2026-11-29T10:00:00Z", "id": "probe-shop-1",
 *              "url": "https://…", "runbook_url": "https://…", "dashboard_url": "https://…"}]}
 * ```
 * `name` (or `alertname`/`title`), `severity`, `summary`, `description`, `runbook_url`, `dashboard_url`,
 * `silence_url` and `url` (the source page) are shortcuts for the matching label, annotation or link;
 * `id` is the fingerprint (otherwise a hash of the labels); unknown fields are ignored.
 * Throws NotANotificationError when the body is neither a list of alerts nor one alert with a name or labels.
 */
export async function parseGeneric(json: unknown, now: Date): Promise<IntakeNotification> {
  if (!json || typeof json !== 'object' || Array.isArray(json))
    throw new NotANotificationError('body is not a JSON object');
  const o = json as Record<string, unknown>;
  let list: unknown[];
  if (Array.isArray(o.alerts)) list = o.alerts;
  else if (str(o.name) || str(o.alertname) || str(o.title) || (o.labels && typeof o.labels === 'object')) list = [o];
  else throw new NotANotificationError('body has neither an "alerts" list nor an alert "name" or "labels"');
  const source = str(o.source) ?? '';
  const statusText = str(o.status)?.toLowerCase();
  const status = statusText === 'resolved' || statusText === 'ok' ? 'resolved' : 'firing';
  const { alerts, rejected } = await readAlerts(list.map(toAlertmanagerShape), { status, commonLabels: {}, now });
  return {
    sender: 'generic',
    groupKey: str(o.groupKey) ?? str(o.group),
    status,
    receiver: source,
    externalUrl: source,
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    truncatedAlerts: 0,
    title: null,
    message: null,
    alerts,
    rejected,
  };
}

/** Maps the generic shortcuts onto Alertmanager's alert fields. */
function toAlertmanagerShape(raw: unknown): unknown {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const r = raw as Record<string, unknown>;
  const labels = stringMap(r.labels);
  const annotations = stringMap(r.annotations);
  const name = str(r.alertname) ?? str(r.name) ?? str(r.title);
  if (name && !labels.alertname) labels.alertname = name;
  const sev = str(r.severity) ?? str(r.priority);
  if (sev && !labels.severity) labels.severity = sev;
  for (const k of ['summary', 'description', 'runbook_url'] as const) {
    const v = str(r[k]);
    if (v && !annotations[k]) annotations[k] = v;
  }
  return {
    status: r.status,
    labels,
    annotations,
    startsAt: r.startsAt ?? r.started_at,
    endsAt: r.endsAt ?? r.ended_at,
    fingerprint: r.fingerprint ?? r.id,
    generatorURL: r.generatorURL ?? r.url,
    dashboardURL: r.dashboardURL ?? r.dashboard_url,
    silenceURL: r.silenceURL ?? r.silence_url,
  };
}
