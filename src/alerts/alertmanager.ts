import { createHash } from 'node:crypto';
import { z } from 'zod';

const labelMap = z.record(z.string().max(4096, 'label values are limited to 4096 characters'));

/** One alert of an Alertmanager webhook notification (version 4). */
export const AmAlert = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: labelMap.refine((l) => typeof l.alertname === 'string' && l.alertname.trim() !== '', {
    message: 'every alert needs a labels.alertname',
  }),
  annotations: labelMap.default({}),
  startsAt: z.string().datetime({ offset: true }).optional(),
  endsAt: z.string().optional(),
  generatorURL: z.string().max(4096).optional().default(''),
  fingerprint: z.string().max(256).optional(),
});
export type AmAlert = z.infer<typeof AmAlert>;

export const AlertmanagerWebhook = z.object({
  version: z.string().optional(),
  groupKey: z.string().max(4096).optional(),
  truncatedAlerts: z.number().int().min(0).optional(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().max(1024).default(''),
  groupLabels: labelMap.default({}),
  commonLabels: labelMap.default({}),
  commonAnnotations: labelMap.default({}),
  externalURL: z.string().max(4096).default(''),
  alerts: z.array(AmAlert).min(1, 'a notification needs at least one alert').max(10_000),
});
export type AlertmanagerWebhook = z.infer<typeof AlertmanagerWebhook>;

/**
 * The incident an alert belongs to: Alertmanager's groupKey, or alertname + namespace/service
 * when a sender leaves groupKey out (so a hand-rolled webhook still groups sensibly).
 */
export function groupKeyOf(payload: AlertmanagerWebhook, alert: AmAlert): string {
  if (payload.groupKey) return payload.groupKey;
  const l = alert.labels;
  const scope = l.namespace ?? l.service ?? l.job ?? '';
  return `${l.alertname}/${scope}`;
}

/** Alertmanager's fingerprint, or a stable hash of the label set when absent. */
export function fingerprintOf(alert: AmAlert): string {
  if (alert.fingerprint) return alert.fingerprint;
  const sorted = Object.keys(alert.labels)
    .sort()
    .map((k) => `${k}=${alert.labels[k]}`)
    .join('\u0000');
  return createHash('sha256').update(sorted).digest('hex').slice(0, 16);
}

/** Alertmanager sends 0001-01-01T00:00:00Z for "not ended"; years PostgreSQL cannot store count as no date. */
export function parseAmTime(s: string | undefined): Date | null {
  if (!s || s.startsWith('0001-')) return null;
  const d = new Date(s);
  const year = d.getUTCFullYear();
  return Number.isNaN(d.getTime()) || year < 1 || year > 9999 ? null : d;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Replaces what JSON allows but PostgreSQL text and jsonb cannot hold (NUL, lone surrogates) with U+FFFD,
 * everywhere in a parsed payload: the alert is kept, and it can never turn into a 500 that Alertmanager
 * would retry forever.
 */
export function storable(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/\u0000/g, '\uFFFD').replace(LONE_SURROGATE, '\uFFFD');
  if (Array.isArray(value)) return value.map(storable);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storable(k) as string, storable(v)]));
  }
  return value;
}
