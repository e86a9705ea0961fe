import { type IntakeNotification, NotANotificationError, readAlerts, str, stringMap } from './intake.js';

/**
 * Grafana Unified Alerting's webhook contact point (Grafana 9+; documented under "Configure the webhook
 * notifier for Alerting"): Alertmanager's shape plus `orgId`, `title`, `state` (alerting/ok), `message`,
 * and per alert `silenceURL`, `dashboardURL`, `panelURL`, `imageURL`, `values`/`valueString`.
 * Read as leniently as Alertmanager's; the URLs become link buttons. Throws NotANotificationError only
 * when the body has no `alerts` list.
 */
export async function parseGrafana(json: unknown, now: Date): Promise<IntakeNotification> {
  if (!json || typeof json !== 'object' || Array.isArray(json))
    throw new NotANotificationError('body is not a JSON object');
  const o = json as Record<string, unknown>;
  if (!Array.isArray(o.alerts)) throw new NotANotificationError('body has no "alerts" list');
  const statusText = (str(o.status) ?? str(o.state))?.toLowerCase();
  const status = statusText === 'resolved' || statusText === 'ok' ? 'resolved' : 'firing';
  const commonLabels = stringMap(o.commonLabels);
  const externalUrl = str(o.externalURL) ?? '';
  // Grafana puts the rule's query values in `values`/`valueString`; they stay visible as an annotation.
  const list = o.alerts.map((raw: unknown) => {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return raw;
    const r = raw as Record<string, unknown>;
    const value = str(r.valueString) ?? (r.values && typeof r.values === 'object' ? JSON.stringify(r.values) : null);
    const annotations = stringMap(r.annotations);
    return value && !annotations.value ? { ...r, annotations: { ...annotations, value } } : r;
  });
  // Grafana sends its own silenceURL per alert (Alertmanager's form does not apply to it).
  const { alerts, rejected } = await readAlerts(list, { status, commonLabels, now });
  const truncated = Number(o.truncatedAlerts);
  return {
    sender: 'grafana',
    groupKey: str(o.groupKey),
    status,
    receiver: str(o.receiver) ?? '',
    externalUrl,
    groupLabels: stringMap(o.groupLabels),
    commonLabels,
    commonAnnotations: stringMap(o.commonAnnotations),
    truncatedAlerts: Number.isFinite(truncated) && truncated > 0 ? Math.floor(truncated) : 0,
    title: str(o.title),
    message: str(o.message),
    alerts,
    rejected,
  };
}
