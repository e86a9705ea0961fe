import { z } from 'zod';

/**
 * The words every domain shares, each defined once: incidents, alerts, runbooks, escalation, config and
 * Slack all import them from here. Pure data, no imports but zod, so any folder may depend on it.
 */

/** Incident severity (priority): P1 is the most severe. Alert labels and typed input map onto it (alerts/severity.ts). */
export const Severity = z.enum(['P1', 'P2', 'P3', 'P4']);
export type Severity = z.infer<typeof Severity>;

/** A role a person holds in one incident (not the roles file's workspace roles, see auth/policy.ts). */
export const IncidentRole = z.enum(['commander', 'comms', 'scribe']);
export type IncidentRole = z.infer<typeof IncidentRole>;

/**
 * What a timer on the incident clock does when it fires. Runbooks name the first six
 * (RunbookTimerKind); the bot adds `reminder` (no update for N minutes, status page stale) and
 * `auto_resolve` (AUTO_RESOLVE_MINUTES after every alert resolved).
 */
export const TimerKind = z.enum([
  'acknowledge',
  'escalate',
  'resolve',
  'declare',
  'update',
  'phase',
  'reminder',
  'auto_resolve',
]);
export type TimerKind = z.infer<typeof TimerKind>;

/** The timer kinds a runbook can write (front matter, timer tables, prose). */
export const RunbookTimerKind = TimerKind.extract(['acknowledge', 'escalate', 'resolve', 'phase', 'update', 'declare']);
export type RunbookTimerKind = z.infer<typeof RunbookTimerKind>;
