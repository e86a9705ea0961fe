import { formatDate, formatMinutes, formatTime, formatUtc } from '../incidents/markdown.js';
import { type Incident, minutesBetween } from '../incidents/model.js';
import type { Severity } from '../vocabulary.js';
import type { Component } from './provider.js';
import type { AlertLike, CommunicationContext } from './template.js';

/**
 * What customers may read about an incident. Only three things reach the public draft from the incident itself:
 * the components named by STATUSPAGE_COMPONENTS (a service or team label value → the component's public name),
 * the customer impact derived from the severity (in words, never "P1"), and times. Pod names, alert names,
 * label values outside the mapping, internal severities, people and internal updates never do; the person
 * publishing types anything else in the modal. Pure: no clock, no I/O.
 */

/** Labels whose value is looked up in STATUSPAGE_COMPONENTS, in order of preference. */
export const COMPONENT_LABELS = ['service', 'team'] as const;

/**
 * The public component names an incident touches: every `service` or `team` label value (of the incident and its
 * alerts) that STATUSPAGE_COMPONENTS maps, in first-seen order, without duplicates. Matching ignores case.
 */
export function mappedComponents(
  inc: Pick<Incident, 'labels'>,
  alerts: readonly Pick<AlertLike, 'labels' | 'status'>[],
  mapping: Readonly<Record<string, string>>,
): string[] {
  const byKey = new Map(Object.entries(mapping).map(([k, v]) => [k.toLowerCase(), v]));
  const out: string[] = [];
  const firing = alerts.filter((a) => a.status === 'firing');
  for (const labels of [inc.labels ?? {}, ...(firing.length ? firing : alerts).map((a) => a.labels)]) {
    for (const key of COMPONENT_LABELS) {
      const name = labels[key] ? byKey.get(labels[key]!.toLowerCase()) : undefined;
      if (name && !out.includes(name)) out.push(name);
    }
  }
  return out;
}

/**
 * The provider's components a mapping names: by id, else by name (ignoring case). Names the provider does not
 * have are returned in `unknown` so the modal can say so instead of publishing a component that does not exist.
 */
export function resolveComponents(
  names: readonly string[],
  available: readonly Pick<Component, 'id' | 'name'>[],
): { found: { id: string; name: string }[]; unknown: string[] } {
  const found: { id: string; name: string }[] = [];
  const unknown: string[] = [];
  for (const n of names) {
    const hit = available.find((c) => c.id === n) ?? available.find((c) => c.name.toLowerCase() === n.toLowerCase());
    if (hit) {
      if (!found.some((f) => f.id === hit.id)) found.push({ id: hit.id, name: hit.name });
    } else unknown.push(n);
  }
  return { found, unknown };
}

const list = (names: readonly string[]) =>
  names.length <= 2 ? names.join(' and ') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;

/** Customer impact in plain words from the severity: "Customers cannot use Checkout." Null without a component. */
export function publicImpact(severity: Severity, components: readonly string[]): string | null {
  if (!components.length) return null;
  const what = list(components);
  switch (severity) {
    case 'P1':
      return `Customers cannot use ${what}.`;
    case 'P2':
      return `Some customers see errors or failures in ${what}.`;
    case 'P3':
      return `${what} may be slower than usual.`;
    default:
      return `${what} may behave unusually; no action is needed from customers.`;
  }
}

/**
 * The public incident name. With mapped components: "Checkout: service disruption". Without: the title a person
 * typed (declared incidents), or a neutral phrase for alert incidents, whose titles are alert text.
 */
export function publicTitle(
  inc: Pick<Incident, 'title' | 'source' | 'severity'>,
  components: readonly string[],
): string {
  const phrase =
    inc.severity === 'P1'
      ? 'service disruption'
      : inc.severity === 'P2'
        ? 'partial disruption'
        : 'degraded performance';
  if (components.length) return `${list(components)}: ${phrase}`;
  if (inc.source !== 'alert') return inc.title;
  return `${phrase[0]!.toUpperCase()}${phrase.slice(1)}`;
}

/**
 * The values a communication template may be filled with for the public: title, affected components (`service`,
 * `affected`), customer impact, status and times. Everything else (severity, commander, alert names, internal
 * updates, summaries) is left null so the modal asks for it; answers in `ctx.values` win.
 */
export function publicValues(
  ctx: CommunicationContext & { components?: readonly string[] },
): Record<string, string | null> {
  const { incident: inc, now } = ctx;
  const components = ctx.components ?? [];
  const service = components.length ? list(components) : inc.source !== 'alert' ? subjectOf(inc.title) : null;
  const known: Record<string, string | null> = {
    title: publicTitle(inc, components),
    service,
    affected: components.length ? list(components) : null,
    customers: publicImpact(inc.severity, components),
    status: inc.status,
    started: formatUtc(inc.startedAt),
    date: formatDate(inc.startedAt),
    duration: formatMinutes(minutesBetween(inc.startedAt, inc.resolvedAt ?? now)),
    resolved_at: inc.resolvedAt ? formatUtc(inc.resolvedAt) : null,
    update_time: formatTime(now),
    severity: null,
    commander: null,
    update: null,
    summary: null,
    eta: null,
    id: null,
  };
  for (const [k, v] of Object.entries(ctx.values ?? {})) {
    if (typeof v === 'string' && v.trim()) known[k] = v.trim();
  }
  return known;
}

/** "Checkout: 5xx spike", "API is down" → the subject a person typed before the verb or separator. */
function subjectOf(title: string): string | null {
  const m = /^(.{2,40}?)(?::\s|\s[-–—]\s|\s(?:is|are|has|have)\s)/.exec(title);
  return m ? m[1]!.trim() : null;
}
