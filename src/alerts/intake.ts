import { createHash } from 'node:crypto';
import { z } from 'zod';
import { mapInSlices } from './json.js';

/** Which webhook a notification came in on. */
export const Sender = z.enum(['alertmanager', 'grafana', 'generic']);
export type Sender = z.infer<typeof Sender>;

/** Links people open from an alert; each is an http(s) URL or absent. */
export const AlertLinks = z.object({
  runbook: z.string().optional(),
  generator: z.string().optional(),
  silence: z.string().optional(),
  dashboard: z.string().optional(),
  panel: z.string().optional(),
  image: z.string().optional(),
});
export type AlertLinks = z.infer<typeof AlertLinks>;

/** One alert as every sender's intake hands it on: names, labels and times already normalised. */
export const IntakeAlert = z.object({
  status: z.enum(['firing', 'resolved']),
  alertname: z.string().min(1),
  /** The sender gave no alertname; `alertname` was made up from other labels. */
  nameDerived: z.boolean(),
  labels: z.record(z.string()),
  annotations: z.record(z.string()),
  startsAt: z.date().nullable(),
  endsAt: z.date().nullable(),
  fingerprint: z.string().min(1),
  generatorUrl: z.string().nullable(),
  links: AlertLinks,
});
export type IntakeAlert = z.infer<typeof IntakeAlert>;

/** An alert the intake could not read, kept raw for the dead-letter table. */
export interface RejectedAlert {
  index: number;
  reason: string;
  raw: unknown;
}

/** A notification as every sender's intake hands it on (Alertmanager's shape, which the others map onto). */
export interface IntakeNotification {
  sender: Sender;
  /** The sender's group key; null when it sends none (then alertname + scope labels group alerts). */
  groupKey: string | null;
  status: 'firing' | 'resolved';
  receiver: string;
  externalUrl: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  /** Alerts the sender left out (Alertmanager's max_alerts). */
  truncatedAlerts: number;
  /** Grafana's rendered title and message, when sent. */
  title: string | null;
  message: string | null;
  alerts: IntakeAlert[];
  rejected: RejectedAlert[];
}

/** The body is JSON but not a notification this sender could have sent (no alerts list): 400. */
export class NotANotificationError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'NotANotificationError';
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * A string PostgreSQL text and jsonb can hold: NUL and lone surrogates (which JSON allows) become U+FFFD,
 * so an alert carrying them is kept instead of failing with a 500 that the sender retries forever.
 */
export function storableString(s: string): string {
  return s.replace(/\u0000/g, '\uFFFD').replace(LONE_SURROGATE, '\uFFFD');
}

/** `storableString` applied to every string (keys included) of a parsed JSON value. */
export function storable(value: unknown): unknown {
  if (typeof value === 'string') return storableString(value);
  if (Array.isArray(value)) return value.map(storable);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storableString(k), storable(v)]));
  }
  return value;
}

/**
 * A label or annotation map from whatever was sent: strings kept whole (never cut: display shortens),
 * numbers and booleans as text, nested values as JSON, null dropped. Not an object: empty.
 */
export function stringMap(v: unknown): Record<string, string> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (x === null || x === undefined) continue;
    const key = storableString(k);
    out[key] = storableString(typeof x === 'string' ? x : typeof x === 'object' ? JSON.stringify(x) : String(x));
  }
  return out;
}

/** A trimmed non-empty string, or null. */
export function str(v: unknown): string | null {
  if (typeof v === 'string') return v.trim() ? storableString(v) : null;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

/** An http(s) URL as sent, or undefined (anything else is never turned into a link). */
export function httpUrl(v: unknown): string | undefined {
  const s = str(v)?.trim();
  return s && /^https?:\/\/[^\s]+$/i.test(s) ? s : undefined;
}

/**
 * A sender's timestamp. Alertmanager sends 0001-01-01T00:00:00Z for "not ended"; years PostgreSQL cannot
 * store, and anything unreadable, count as no date.
 */
export function parseTime(v: unknown): Date | null {
  const s = str(v);
  if (!s || s.startsWith('0001-')) return null;
  const d = new Date(s);
  const year = d.getUTCFullYear();
  return Number.isNaN(d.getTime()) || year < 1 || year > 9999 ? null : d;
}

/** A stable hash of a label set (sorted), used when the sender gave no fingerprint. */
export function labelsFingerprint(labels: Record<string, string>): string {
  const sorted = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join('\u0000');
  return createHash('sha256').update(sorted).digest('hex').slice(0, 16);
}

/** Label names tried, in order, to name an alert that came without alertname. */
const NAME_LABELS = ['alert', 'alert_name', 'name', 'rulename', 'rule', '__alert_rule_title__', 'check'];
const SCOPE_LABELS = ['job', 'service', 'namespace', 'app', 'component', 'instance', 'pod', 'host', 'node'];

/**
 * A name for an alert without `alertname`: another name-like label, else "Unnamed alert (job=…, instance=…)"
 * from scope labels, else from the summary. `derived` tells the caller to mark it.
 */
export function alertnameOf(
  labels: Record<string, string>,
  annotations: Record<string, string>,
): { alertname: string; derived: boolean } {
  const given = labels.alertname?.trim();
  if (given) return { alertname: given, derived: false };
  for (const k of NAME_LABELS) {
    const v = labels[k]?.trim();
    if (v) return { alertname: v.slice(0, 200), derived: true };
  }
  const scope = SCOPE_LABELS.filter((k) => labels[k]?.trim())
    .slice(0, 2)
    .map((k) => `${k}=${labels[k]!.trim().slice(0, 80)}`);
  if (scope.length) return { alertname: `Unnamed alert (${scope.join(', ')})`, derived: true };
  const summary = (annotations.summary ?? annotations.title ?? '').trim();
  if (summary) return { alertname: `Unnamed alert: ${summary.slice(0, 80)}`, derived: true };
  return { alertname: 'Unnamed alert', derived: true };
}

/**
 * The identity of an alert's sender: its externalURL and the values of the cluster-identity labels
 * (ALERT_CLUSTER_LABELS, by default `cluster` and `prometheus`). Two Alertmanagers, or two clusters
 * behind one, never share an incident. A label the alert lacks is taken from the notification's commonLabels.
 */
export function clusterOf(
  labels: Record<string, string>,
  clusterLabels: string[],
  commonLabels: Record<string, string> = {},
): string {
  // Called once per alert of a notification (10,000 in a storm): no merged copy of the labels.
  let out = '';
  for (const k of clusterLabels) {
    const v = labels[k] ?? commonLabels[k];
    if (v) out += `${out ? ',' : ''}${k}=${v}`;
  }
  return out;
}

/**
 * The incident key of an alert: sender, externalURL, cluster and the sender's group key (or alertname +
 * namespace/service/job when it sends none). Stored as incidents.group_key and alerts.group_key.
 */
export function identityKey(
  n: Pick<IntakeNotification, 'sender' | 'externalUrl' | 'groupKey'>,
  alert: Pick<IntakeAlert, 'alertname' | 'labels'>,
  cluster: string,
): string {
  const l = alert.labels;
  const group = n.groupKey ?? `${alert.alertname}/${l.namespace ?? l.service ?? l.job ?? ''}`;
  const source = n.sender === 'alertmanager' ? '' : `${n.sender}|`;
  const where = n.externalUrl || cluster ? `${n.externalUrl}${cluster ? `[${cluster}]` : ''}|` : '';
  return `${source}${where}${group}`;
}

/** Reads one alert object the way every sender shares (labels, annotations, times, fingerprint, links). */
export function readAlert(
  raw: unknown,
  defaults: { status: 'firing' | 'resolved'; commonLabels: Record<string, string>; now?: Date },
): IntakeAlert | string {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return 'alert is not a JSON object';
  const o = raw as Record<string, unknown>;
  const labels = stringMap(o.labels);
  const annotations = stringMap(o.annotations);
  if (!Object.keys(labels).length && !Object.keys(annotations).length && !str(o.fingerprint))
    return 'alert has no labels, annotations or fingerprint';
  const endsAt = parseTime(o.endsAt);
  const statusText = str(o.status)?.toLowerCase();
  const status: 'firing' | 'resolved' =
    statusText === 'resolved' || statusText === 'ok' || statusText === 'normal'
      ? 'resolved'
      : statusText === 'firing' || statusText === 'alerting'
        ? 'firing'
        : endsAt && defaults.now && endsAt <= defaults.now
          ? 'resolved'
          : defaults.status;
  const { alertname, derived } = alertnameOf({ ...defaults.commonLabels, ...labels }, annotations);
  const generatorUrl = str(o.generatorURL);
  return {
    status,
    alertname,
    nameDerived: derived,
    labels,
    annotations,
    startsAt: parseTime(o.startsAt),
    endsAt,
    fingerprint: str(o.fingerprint)?.slice(0, 256) ?? labelsFingerprint({ ...labels, alertname }),
    generatorUrl,
    links: {
      runbook: httpUrl(annotations.runbook_url ?? annotations.runbook),
      generator: httpUrl(generatorUrl),
      silence: httpUrl(o.silenceURL),
      dashboard: httpUrl(o.dashboardURL),
      panel: httpUrl(o.panelURL),
      image: httpUrl(o.imageURL),
    },
  };
}

/**
 * Reads the `alerts` list of a notification: every readable alert, and the others with a reason.
 * Works in slices of 500, yielding the event loop between them (a storm has 10,000 alerts).
 */
export async function readAlerts(
  list: unknown[],
  defaults: { status: 'firing' | 'resolved'; commonLabels: Record<string, string>; now?: Date },
  after?: (a: IntakeAlert) => void,
): Promise<{ alerts: IntakeAlert[]; rejected: RejectedAlert[] }> {
  const alerts: IntakeAlert[] = [];
  const rejected: RejectedAlert[] = [];
  await mapInSlices(list, 500, (raw, index) => {
    const a = readAlert(raw, defaults);
    if (typeof a === 'string') rejected.push({ index, reason: a, raw: storable(raw) });
    else {
      after?.(a);
      alerts.push(a);
    }
  });
  return { alerts, rejected };
}

/**
 * Alertmanager's silence form for one alert, pre-filled with its labels (`/#/silences/new?filter={a="b",…}`),
 * from the notification's externalURL; undefined without an http(s) externalURL.
 */
export function silenceUrl(externalUrl: string, labels: Record<string, string>): string | undefined {
  const base = httpUrl(externalUrl);
  if (!base) return undefined;
  const matchers = Object.keys(labels)
    .filter((k) => !k.startsWith('__'))
    .sort()
    .map((k) => `${k}="${labels[k]!.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)
    .join(',');
  return `${base.replace(/\/+$/, '')}/#/silences/new?filter=${encodeURIComponent(`{${matchers}}`)}`;
}
