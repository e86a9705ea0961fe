import {
  type IntakeNotification,
  NotANotificationError,
  parseTime,
  readAlerts,
  silenceUrl,
  str,
  stringMap,
} from './intake.js';

export { labelsFingerprint, storable } from './intake.js';

/**
 * Alertmanager's webhook notification (version 4, as documented in its `notify/webhook` package):
 * `{version, groupKey, truncatedAlerts, status, receiver, groupLabels, commonLabels, commonAnnotations,
 * externalURL, alerts: [{status, labels, annotations, startsAt, endsAt, generatorURL, fingerprint}]}`.
 *
 * Read leniently, because Alertmanager treats any 4xx as final and never sends the notification again:
 * unknown fields are ignored, values of any length are kept, an alert without alertname is named from its
 * other labels, and an alert that cannot be read is set aside (dead letter) without rejecting the others.
 * Throws NotANotificationError only when the body is not an object with an `alerts` list.
 */
export async function parseAlertmanager(json: unknown, now: Date): Promise<IntakeNotification> {
  const { o, envelope } = alertmanagerEnvelope(json);
  const status = str(o.status)?.toLowerCase() === 'resolved' ? 'resolved' : 'firing';
  const { commonLabels, externalUrl } = envelope;
  const { alerts, rejected } = await readAlerts(o.alerts as unknown[], { status, commonLabels, now }, (a) => {
    a.links.silence ??= silenceUrl(externalUrl, { ...commonLabels, ...a.labels });
  });
  return { sender: 'alertmanager', status, ...envelope, title: null, message: null, alerts, rejected };
}

/** The group fields of Alertmanager's notification shape, which Grafana's webhook shares. */
export type AlertmanagerEnvelope = Pick<
  IntakeNotification,
  'groupKey' | 'receiver' | 'externalUrl' | 'groupLabels' | 'commonLabels' | 'commonAnnotations' | 'truncatedAlerts'
>;

/**
 * Checks the body is an object with an `alerts` list and reads its group fields leniently (missing maps are
 * empty, a bad `truncatedAlerts` is 0). Throws NotANotificationError otherwise.
 */
export function alertmanagerEnvelope(json: unknown): { o: Record<string, unknown>; envelope: AlertmanagerEnvelope } {
  if (!json || typeof json !== 'object' || Array.isArray(json))
    throw new NotANotificationError('body is not a JSON object');
  const o = json as Record<string, unknown>;
  if (!Array.isArray(o.alerts)) throw new NotANotificationError('body has no "alerts" list');
  const truncated = Number(o.truncatedAlerts);
  return {
    o,
    envelope: {
      groupKey: str(o.groupKey),
      receiver: str(o.receiver) ?? '',
      externalUrl: str(o.externalURL) ?? '',
      groupLabels: stringMap(o.groupLabels),
      commonLabels: stringMap(o.commonLabels),
      commonAnnotations: stringMap(o.commonAnnotations),
      truncatedAlerts: Number.isFinite(truncated) && truncated > 0 ? Math.floor(truncated) : 0,
    },
  };
}

/** Alertmanager sends 0001-01-01T00:00:00Z for "not ended"; years PostgreSQL cannot store count as no date. */
export const parseAmTime = (s: string | undefined): Date | null => parseTime(s);
