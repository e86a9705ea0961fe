import type { IntakeAlert } from './intake.js';

/** What is stored about an alert, as far as its life cycle is concerned. */
export interface StoredAlertState {
  status: 'firing' | 'resolved';
  startsAt: Date | null;
  endsAt: Date | null;
}

/**
 * What one received alert means next to what is stored for it in the same incident:
 * - `new` / `new_resolved`: never seen (a resolved one is kept but announces nothing);
 * - `fired`: resolved before, firing again with a newer startsAt;
 * - `resolved`: was firing, now resolved;
 * - `unchanged`: the same state again (redelivery, repeat_interval): details refreshed, nothing announced;
 * - `stale`: an old copy (older startsAt than stored; a firing copy of an alert already seen resolved with
 *   the same startsAt; or "firing" with an endsAt already past): changes nothing.
 * Pure: `now` is passed in.
 */
export type AlertDecision = 'new' | 'new_resolved' | 'fired' | 'resolved' | 'unchanged' | 'stale';

const t = (d: Date | null) => (d ? d.getTime() : null);

export function decideAlert(incoming: IntakeAlert, stored: StoredAlertState | null, now: Date): AlertDecision {
  if (incoming.status === 'firing' && incoming.endsAt && incoming.endsAt.getTime() <= now.getTime()) return 'stale';
  if (!stored) return incoming.status === 'firing' ? 'new' : 'new_resolved';
  const inStart = t(incoming.startsAt);
  const stStart = t(stored.startsAt);
  if (inStart !== null && stStart !== null && inStart < stStart) return 'stale';
  const sameInstance = inStart === stStart;
  if (stored.status === 'firing') return incoming.status === 'resolved' ? 'resolved' : 'unchanged';
  if (incoming.status === 'resolved') return 'unchanged';
  // Stored resolved, a firing copy arrives: the same instance again is an old copy; a new startsAt is a re-fire.
  // Senders without startsAt cannot tell the two apart: a firing after a resolve is taken as a re-fire.
  if (sameInstance && inStart !== null) return 'stale';
  return 'fired';
}

/** How a group with no open incident goes on, given its firing alerts and its earlier incidents' alerts. */
export type GroupPlan =
  /** Open a new incident (a recurrence when `previousIncidentId` is set). */
  | { kind: 'open'; live: IntakeAlert[] }
  /** Only repeats of alerts an earlier (resolved) incident already had: a note there, nothing opened. */
  | { kind: 'repeat'; repeats: IntakeAlert[] }
  /** Nothing firing that matters (stale copies only). */
  | { kind: 'nothing' };

/**
 * Splits the firing alerts of a group without an open incident into repeats (same fingerprint and startsAt
 * as an alert of an earlier incident: Alertmanager's repeat_interval after a person resolved it), stale
 * copies, and live alerts that open an incident. Pure.
 */
export function planGroup(firing: IntakeAlert[], history: Map<string, StoredAlertState>, now: Date): GroupPlan {
  const live: IntakeAlert[] = [];
  const repeats: IntakeAlert[] = [];
  for (const a of firing) {
    const prev = history.get(a.fingerprint) ?? null;
    const d = decideAlert(a, prev, now);
    if (d === 'stale') continue;
    if (prev && t(prev.startsAt) === t(a.startsAt) && (a.startsAt !== null || prev.status === 'firing')) {
      repeats.push(a);
      continue;
    }
    live.push(a);
  }
  if (live.length) return { kind: 'open', live };
  if (repeats.length) return { kind: 'repeat', repeats };
  return { kind: 'nothing' };
}

/** The repeat-note window an instant falls in: at most one note per window and incident. */
export function repeatWindow(now: Date, minutes: number): number {
  return Math.floor(now.getTime() / (Math.max(1, minutes) * 60_000));
}
