import type { Incident, Severity } from '../incidents/model.js';

export type ReminderIncident = Pick<
  Incident,
  'status' | 'severity' | 'startedAt' | 'statuspageIncidentId' | 'statuspageUpdatedAt'
>;

/**
 * When the next "no status-page update for N minutes" reminder is due, or null when none is: the incident is
 * not public (never published), is resolved, or its severity has no reminder (missing or 0 minutes).
 */
export function statuspageReminderDueAt(
  inc: ReminderIncident,
  minutesBySeverity: Partial<Record<Severity, number>>,
): Date | null {
  const minutes = minutesBySeverity[inc.severity];
  if (!minutes || minutes <= 0 || inc.status === 'resolved' || !inc.statuspageIncidentId) return null;
  const last = inc.statuspageUpdatedAt ?? inc.startedAt;
  return new Date(last.getTime() + minutes * 60_000);
}

/** True when a public, open incident has had no status-page update for its severity's N minutes. */
export function statuspageReminderDue(
  inc: ReminderIncident,
  minutesBySeverity: Partial<Record<Severity, number>>,
  now: Date,
): boolean {
  const at = statuspageReminderDueAt(inc, minutesBySeverity);
  return at !== null && at.getTime() <= now.getTime();
}
