import { alertmanagerEnvelope } from './alertmanager.js';
import { type IntakeNotification, readAlerts, str, stringMap } from './intake.js';

/**
 * Grafana Unified Alerting's webhook contact point (Grafana 9+; documented under "Configure the webhook
 * notifier for Alerting"): Alertmanager's shape plus `orgId`, `title`, `state` (alerting/ok), `message`,
 * and per alert `silenceURL`, `dashboardURL`, `panelURL`, `imageURL`, `values`/`valueString`.
 * Read as leniently as Alertmanager's; the URLs become link buttons. Throws NotANotificationError only
 * when the body has no `alerts` list.
 */
export async function parseGrafana(json: unknown, now: Date): Promise<IntakeNotification> {
  const { o, envelope } = alertmanagerEnvelope(json);
  const statusText = (str(o.status) ?? str(o.state))?.toLowerCase();
  const status = statusText === 'resolved' || statusText === 'ok' ? 'resolved' : 'firing';
  const { commonLabels } = envelope;
  // Grafana puts the rule's query values in `values`/`valueString`; they stay visible as an annotation.
  const list = (o.alerts as unknown[]).map((raw: unknown) => {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return raw;
    const r = raw as Record<string, unknown>;
    const value = str(r.valueString) ?? (r.values && typeof r.values === 'object' ? JSON.stringify(r.values) : null);
    const annotations = stringMap(r.annotations);
    return value && !annotations.value ? { ...r, annotations: { ...annotations, value } } : r;
  });
  // Grafana sends its own silenceURL per alert (Alertmanager's form does not apply to it).
  const { alerts, rejected } = await readAlerts(list, { status, commonLabels, now });
  return { sender: 'grafana', status, ...envelope, title: str(o.title), message: str(o.message), alerts, rejected };
}
