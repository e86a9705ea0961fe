/**
 * Alert storms (issue #17), the pure part: which groups correlate, when a storm starts, what its summary lists.
 * No I/O and no clock: callers pass `now`.
 */
import type { Severity } from '../vocabulary.js';

/** What a correlation key is made of: the sender's identity (as in identityKey) and the alert's labels. */
export interface StormKeyInput {
  sender: string;
  externalUrl: string;
  /** The cluster identity (clusterOf: ALERT_CLUSTER_LABELS), '' when unknown. */
  cluster: string;
  /** The lead alert's labels, common labels merged in. */
  labels: Record<string, string>;
}

/**
 * The correlation key of a new alert group: sender, externalURL and cluster identity (so two Alertmanagers, or
 * two clusters behind one, never share a storm) plus the values of `groupBy` labels the alert has, e.g.
 * `cluster=prod-a,namespace=payments`, or `cluster=prod-a` when it has no namespace. Null when it has none of
 * the `groupBy` labels: such a group never joins a storm (nothing says it shares a cause with another).
 */
export function stormKey(input: StormKeyInput, groupBy: string[]): string | null {
  const present = groupBy.filter((k) => input.labels[k]?.trim());
  if (!present.length) return null;
  const values = present.map((k) => `${k}=${input.labels[k]!.trim()}`).join(',');
  return `${input.sender}|${input.externalUrl}[${input.cluster}]|${values}`;
}

/** incidents.group_key of the open storm incident of a key: the unique open-group index keeps it one. */
export const stormGroupKey = (key: string) => `storm|${key}`;

/** The labels a storm key was made of (`cluster=a,namespace=b` → { cluster: 'a', namespace: 'b' }). */
export function stormLabels(key: string): Record<string, string> {
  const values = key.slice(key.lastIndexOf('|') + 1);
  const out: Record<string, string> = {};
  for (const part of values.split(',')) {
    const at = part.indexOf('=');
    if (at > 0) out[part.slice(0, at)] = part.slice(at + 1);
  }
  return out;
}

/**
 * What a new alert group does, given its storm key's state:
 * - `join`: an open storm incident has this key: the group goes there;
 * - `start`: `recent` groups of this key opened within the window and this one makes more than `threshold`:
 *   a storm incident opens and the recent ones are folded into it;
 * - `alone`: an incident of its own (storms off: threshold 0, or no key).
 */
export function stormDecision(input: {
  threshold: number;
  hasKey: boolean;
  stormOpen: boolean;
  /** Open incidents of this key whose group opened within the window (not counting this group). */
  recent: number;
}): 'join' | 'start' | 'alone' {
  if (input.threshold <= 0 || !input.hasKey) return 'alone';
  if (input.stormOpen) return 'join';
  return input.recent + 1 > input.threshold ? 'start' : 'alone';
}

/** The start of the window new groups count in (STORM_WINDOW_MINUTES before `now`). */
export const windowStart = (now: Date, minutes: number) => new Date(now.getTime() - minutes * 60_000);

/**
 * The refresh slot a summary change falls in, and when it is due: at most one summary edit per `seconds`
 * (the outbox row's dedupe key carries the slot, so many changes in one slot make one edit).
 */
export function refreshSlot(now: Date, seconds: number): { slot: number; dueAt: Date } {
  const ms = Math.max(1, seconds) * 1000;
  const slot = Math.floor(now.getTime() / ms);
  return { slot, dueAt: new Date((slot + 1) * ms) };
}

/** The title of a storm incident: where it happens and that it is a storm. */
export function stormTitle(key: string): string {
  const labels = stormLabels(key);
  const where = Object.values(labels).join(' / ');
  return `Alert storm${where ? ` in ${where}` : ''}`.slice(0, 200);
}

/** One affected group as a storm summary lists it. */
export interface StormGroupLine {
  /** alert_groups.id: what the group menu (detail, Split out) carries. */
  groupId: number;
  groupKey: string;
  alertname: string;
  /** namespace, else service, else job ('' when none). */
  scope: string;
  /** The most severe P-level among its alerts (firing ones first). */
  severity: Severity | null;
  firing: number;
  total: number;
  firstSeen: Date;
  lastSeen: Date;
}

/** A group is resolved when none of its alerts fires. */
export const groupResolved = (g: Pick<StormGroupLine, 'firing'>) => g.firing === 0;

/**
 * The groups a summary shows: firing before resolved, most severe first, then most recently seen; at most
 * `limit`, the rest counted in `more` (a Slack message has room for a bounded list).
 */
export function summarizeGroups(
  groups: StormGroupLine[],
  limit: number,
): { shown: StormGroupLine[]; more: number; firingGroups: number; resolvedGroups: number; firingAlerts: number } {
  const sorted = [...groups].sort(
    (a, b) =>
      Number(groupResolved(a)) - Number(groupResolved(b)) ||
      (a.severity ?? 'P9').localeCompare(b.severity ?? 'P9') ||
      b.lastSeen.getTime() - a.lastSeen.getTime() ||
      a.groupId - b.groupId,
  );
  const shown = sorted.slice(0, Math.max(0, limit));
  const firingGroups = groups.filter((g) => !groupResolved(g)).length;
  return {
    shown,
    more: groups.length - shown.length,
    firingGroups,
    resolvedGroups: groups.length - firingGroups,
    firingAlerts: groups.reduce((n, g) => n + g.firing, 0),
  };
}

/** The highest severity (P1 highest) of a list, or null when empty. */
export function topSeverity(list: (Severity | null | undefined)[]): Severity | null {
  const present = list.filter((s): s is Severity => Boolean(s));
  return present.length ? present.reduce((a, b) => (b < a ? b : a)) : null;
}
