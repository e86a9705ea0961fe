import { z } from 'zod';
import { TransitionError, ValidationError } from '../errors.js';
import { IncidentRole, Severity } from '../vocabulary.js';
import { event } from './timeline.js';

/** Incident life cycle; pure: every function takes `now` and returns new data plus timeline events. */
export const Status = z.enum(['investigating', 'identified', 'monitoring', 'resolved']);
export type Status = z.infer<typeof Status>;

export { IncidentRole, Severity } from '../vocabulary.js';

export const Incident = z.object({
  id: z.number().int(),
  title: z.string().min(1).max(200),
  description: z.string().nullable(),
  severity: Severity,
  status: Status,
  source: z.enum(['alert', 'slash', 'modal', 'api']),
  groupKey: z.string().nullable(),
  commander: z.string().nullable(),
  commsLead: z.string().nullable(),
  scribe: z.string().nullable(),
  declaredBy: z.string().nullable(),
  channelId: z.string().nullable(),
  channelName: z.string().nullable(),
  headerTs: z.string().nullable(),
  runbookSource: z.string().nullable(),
  runbookId: z.string().nullable(),
  startedAt: z.date(),
  ackedAt: z.date().nullable(),
  ackedBy: z.string().nullable(),
  mitigatedAt: z.date().nullable(),
  resolvedAt: z.date().nullable(),
  lastUpdateAt: z.date().nullable(),
  alertsResolvedAt: z.date().nullable(),
  summary: z.string().nullable(),
  statuspageIncidentId: z.string().nullable(),
  statuspageUpdatedAt: z.date().nullable(),
  labels: z.record(z.string()),
});
export type Incident = z.infer<typeof Incident>;

/** A timeline event before it is stored. */
export const EventDraft = z.object({
  kind: z.string(),
  actor: z.string().nullable(),
  at: z.date(),
  text: z.string(),
  data: z.record(z.unknown()).default({}),
});
export type EventDraft = z.infer<typeof EventDraft>;

/** Which status may follow which: forward moves, regressions while open, and reopening a resolved incident. */
export const TRANSITIONS: Record<Status, readonly Status[]> = {
  investigating: ['identified', 'monitoring', 'resolved'],
  identified: ['investigating', 'monitoring', 'resolved'],
  monitoring: ['investigating', 'identified', 'resolved'],
  resolved: ['investigating'],
};

export function canTransition(from: Status, to: Status): boolean {
  return TRANSITIONS[from].includes(to);
}

export interface Change {
  incident: Incident;
  events: EventDraft[];
}

const ev = (kind: string, actor: string | null, at: Date, text: string, data: Record<string, unknown> = {}) => ({
  kind,
  actor,
  at,
  text,
  data,
});

/** A role handed out: the person is in `data.user`, never written into the text as markup. */
const roleEvent = (role: IncidentRole, user: string, actor: string | null, at: Date, previous?: string | null) =>
  event('role', actor, at, previous === undefined ? { role, user } : { role, user, previous });

/**
 * What the incident channel is told after a change, as data; slack/render/notices.ts words it.
 * Stored in outbox rows (op `slack.notice`), so it only grows: new fields optional.
 */
export const Notice = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('acknowledged'), actor: z.string() }),
  z.object({
    kind: z.literal('status'),
    actor: z.string().nullable(),
    status: Status,
    summary: z.string().nullable(),
  }),
  z.object({
    kind: z.literal('severity'),
    actor: z.string(),
    severity: Severity,
    /** The severity before (absent on rows queued before it was kept): says whether it rose or fell. */
    previous: Severity.optional(),
  }),
  z.object({
    kind: z.literal('role'),
    actor: z.string(),
    user: z.string(),
    role: IncidentRole,
    /** Who held the role before, when someone did (a change of command is announced as such). */
    previous: z.string().optional(),
  }),
  z.object({
    kind: z.literal('update'),
    actor: z.string(),
    text: z.string(),
    /** The status the same update moved the incident to (the update form's status field), if it did. */
    status: Status.optional(),
  }),
  z.object({ kind: z.literal('followup'), actor: z.string(), owner: z.string(), text: z.string() }),
  /** Paging paused until `until` (ISO); `timers` are the ones held back. */
  z.object({
    kind: z.literal('snoozed'),
    actor: z.string(),
    until: z.string(),
    timers: z.array(z.object({ kind: z.string(), text: z.string(), target: z.string().nullable() })),
  }),
  /** A snooze ended early: cancelled by a person, or a more severe alert (`severity`). */
  z.object({
    kind: z.literal('snoozeEnded'),
    actor: z.string().nullable(),
    reason: z.enum(['cancelled', 'severity']),
    severity: Severity.optional(),
    timers: z.array(z.object({ kind: z.string(), text: z.string(), target: z.string().nullable() })),
  }),
]);
export type Notice = z.infer<typeof Notice>;

export interface Declaration {
  title: string;
  severity: Severity;
  source: Incident['source'];
  description?: string | null;
  groupKey?: string | null;
  commander?: string | null;
  declaredBy?: string | null;
  runbookSource?: string | null;
  runbookId?: string | null;
  labels?: Record<string, string>;
}

/** A new incident (id 0 until stored) and its 'declared' event. */
export function declare(d: Declaration, now: Date): Change {
  const title = d.title.trim().replace(/\s+/g, ' ');
  if (!title) throw new ValidationError('An incident needs a title, e.g. `/incident declare P1 API is down`.', 'title');
  const incident: Incident = {
    id: 0,
    title: title.slice(0, 200),
    description: d.description ?? null,
    severity: d.severity,
    status: 'investigating',
    source: d.source,
    groupKey: d.groupKey ?? null,
    commander: d.commander ?? null,
    commsLead: null,
    scribe: null,
    declaredBy: d.declaredBy ?? null,
    channelId: null,
    channelName: null,
    headerTs: null,
    runbookSource: d.runbookSource ?? null,
    runbookId: d.runbookId ?? null,
    startedAt: now,
    ackedAt: null,
    ackedBy: null,
    mitigatedAt: null,
    resolvedAt: null,
    lastUpdateAt: null,
    alertsResolvedAt: null,
    summary: null,
    statuspageIncidentId: null,
    statuspageUpdatedAt: null,
    labels: d.labels ?? {},
  };
  const events = [
    ev('declared', d.declaredBy ?? null, now, `Declared ${d.severity}: ${incident.title}`, {
      severity: d.severity,
      source: d.source,
    }),
  ];
  if (d.commander) events.push(roleEvent('commander', d.commander, d.declaredBy ?? null, now));
  return { incident, events };
}

export function acknowledge(inc: Incident, actor: string, now: Date): Change {
  if (inc.status === 'resolved')
    throw new TransitionError(`INC-${inc.id} is resolved; reopen it before acknowledging.`);
  if (inc.ackedAt) throw new TransitionError(`INC-${inc.id} was already acknowledged by @${inc.ackedBy}.`);
  const incident = { ...inc, ackedAt: now, ackedBy: actor, commander: inc.commander ?? actor };
  const events = [ev('acknowledged', actor, now, 'Acknowledged')];
  if (!inc.commander) events.push(roleEvent('commander', actor, actor, now));
  return { incident, events };
}

export function setStatus(inc: Incident, to: Status, actor: string | null, now: Date, summary?: string): Change {
  if (inc.status === to) throw new TransitionError(`INC-${inc.id} is already ${to}.`);
  if (!canTransition(inc.status, to)) {
    throw new TransitionError(
      `INC-${inc.id} cannot go from ${inc.status} to ${to}; allowed: ${TRANSITIONS[inc.status].join(', ')}.`,
    );
  }
  const incident: Incident = { ...inc, status: to };
  if (to === 'monitoring' && !inc.mitigatedAt) incident.mitigatedAt = now;
  if (to === 'resolved') {
    incident.resolvedAt = now;
    incident.mitigatedAt = inc.mitigatedAt ?? now;
    incident.summary = summary?.trim() || inc.summary;
    // Resolving acknowledges implicitly so time-to-ack is never missing from the record.
    incident.ackedAt = inc.ackedAt ?? now;
    incident.ackedBy = inc.ackedBy ?? actor;
  }
  if (inc.status === 'resolved') {
    incident.resolvedAt = null;
  }
  const kind = to === 'resolved' ? 'resolved' : inc.status === 'resolved' ? 'reopened' : 'status';
  const text =
    to === 'resolved'
      ? `Resolved${incident.summary ? `: ${incident.summary}` : ''}`
      : kind === 'reopened'
        ? 'Reopened'
        : `Status ${inc.status} → ${to}`;
  return { incident, events: [ev(kind, actor, now, text, { from: inc.status, to, summary: summary ?? null })] };
}

export function setSeverity(inc: Incident, to: Severity, actor: string | null, now: Date): Change {
  if (inc.severity === to) throw new TransitionError(`INC-${inc.id} is already ${to}.`);
  if (inc.status === 'resolved') throw new TransitionError(`INC-${inc.id} is resolved; its severity is final.`);
  return {
    incident: { ...inc, severity: to },
    events: [ev('severity', actor, now, `Severity ${inc.severity} → ${to}`, { from: inc.severity, to })],
  };
}

export function assignRole(inc: Incident, role: IncidentRole, user: string, actor: string | null, now: Date): Change {
  const key = role === 'commander' ? 'commander' : role === 'comms' ? 'commsLead' : 'scribe';
  if (inc[key] === user) throw new TransitionError(`@${user} is already ${role} of INC-${inc.id}.`);
  return {
    incident: { ...inc, [key]: user },
    events: [roleEvent(role, user, actor, now, inc[key])],
  };
}

export function postUpdate(inc: Incident, text: string, actor: string | null, now: Date): Change {
  const body = text.trim();
  if (!body)
    throw new ValidationError('An update needs some text, e.g. `/incident update Rolled back to v42`.', 'text');
  return { incident: { ...inc, lastUpdateAt: now }, events: [ev('update', actor, now, body)] };
}

/** Minutes between two instants, or null when the end has not happened. */
export function minutesBetween(start: Date, end: Date | null): number | null {
  return end ? Math.max(0, Math.round((end.getTime() - start.getTime()) / 60000)) : null;
}

/** Time to acknowledge, mitigate and resolve, in minutes. */
export function durations(inc: Incident) {
  return {
    toAcknowledge: minutesBetween(inc.startedAt, inc.ackedAt),
    toMitigate: minutesBetween(inc.startedAt, inc.mitigatedAt),
    toResolve: minutesBetween(inc.startedAt, inc.resolvedAt),
  };
}

export const incidentRef = (inc: Pick<Incident, 'id'>) => `INC-${inc.id}`;
