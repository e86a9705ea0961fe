import { z } from 'zod';
import { ValidationError } from '../errors.js';
import type { Timer } from '../runbooks/schema.js';
import { minutesPhrase, shortMinutes } from '../time-phrases.js';
import { Severity, TimerKind } from '../vocabulary.js';

/**
 * The incident clock, pure: which timers an incident gets, when they are due and which event cancels
 * each. No I/O and no clock — callers pass `startedAt` / `now`.
 */

export { TimerKind } from '../vocabulary.js';

/** What stops a pending timer: an ack, a resolve, the incident reaching a status, or nothing but resolve/close. */
export const CancelOn = z.enum(['ack', 'resolve', 'status:identified', 'status:monitoring', 'never']);
export type CancelOn = z.infer<typeof CancelOn>;

export const TimerSource = z.enum(['section', 'document', 'default', 'reminder']);
export type TimerSource = z.infer<typeof TimerSource>;

/** A timer about to be stored. `dueAt` = incident start (or last activity for reminders) + afterMinutes. */
export const TimerDraft = z.object({
  kind: TimerKind,
  afterMinutes: z.number().nonnegative(),
  dueAt: z.date(),
  target: z.string().nullable(),
  severity: Severity.nullable(),
  condition: z.string().nullable(),
  text: z.string(),
  cancelOn: CancelOn,
  source: TimerSource,
  data: z.record(z.unknown()).default({}),
});
export type TimerDraft = z.infer<typeof TimerDraft>;

/** The parts of a runbook timer planning reads; `Timer` from src/runbooks/schema.ts satisfies it. */
export type RunbookTimer = Pick<Timer, 'afterMinutes' | 'kind' | 'target' | 'severity' | 'condition' | 'text'> & {
  line?: number;
  untilMinutes?: number | null;
};

export const DefaultTimer = z.object({
  kind: z.enum(['acknowledge', 'escalate', 'resolve', 'declare', 'update']),
  afterMinutes: z.number().positive(),
  target: z.string().nullable(),
});
export type DefaultTimer = z.infer<typeof DefaultTimer>;
export type DefaultTimers = Record<Severity, DefaultTimer[]>;

/** Reminder cadence per severity (UPDATE_REMINDER_MINUTES); a missing or 0 entry means no reminder. */
export type ReminderMinutes = Partial<Record<Severity, number>>;

/** Longest clock we accept from a runbook: one week. Anything longer is a typo or not a response timer. */
const MAX_MINUTES = 7 * 24 * 60;
const KIND_ALIASES: Record<string, DefaultTimer['kind']> = {
  ack: 'acknowledge',
  acknowledge: 'acknowledge',
  escalate: 'escalate',
  esc: 'escalate',
  resolve: 'resolve',
  declare: 'declare',
  update: 'update',
};

/**
 * Parses DEFAULT_TIMERS: `P1=ack:5,escalate:15;P2=ack:15,escalate:30;P3=ack:60;P4=`. An entry may name its
 * target: `escalate:15@Senior Engineer`. Severities not listed get no timers. Throws a ValidationError
 * naming the bad part.
 */
export function parseDefaultTimers(spec: string): DefaultTimers {
  const out: DefaultTimers = { P1: [], P2: [], P3: [], P4: [] };
  const fail = (part: string, why: string): never => {
    throw new ValidationError(`DEFAULT_TIMERS: ${why} in "${part}"`, 'DEFAULT_TIMERS');
  };
  const seen = new Set<string>();
  for (const group of spec
    .split(';')
    .map((g) => g.trim())
    .filter(Boolean)) {
    const eq = group.indexOf('=');
    if (eq < 0) fail(group, 'expected SEV=kind:minutes,...');
    const sev = Severity.safeParse(group.slice(0, eq).trim().toUpperCase());
    if (!sev.success) fail(group, `unknown severity "${group.slice(0, eq).trim()}" (expected P1..P4)`);
    const severity = sev.data as Severity;
    if (seen.has(severity)) fail(group, `${severity} listed twice`);
    seen.add(severity);
    for (const item of group
      .slice(eq + 1)
      .split(',')
      .map((i) => i.trim())
      .filter(Boolean)) {
      const m = /^([a-z]+)\s*:\s*(\d+(?:\.\d+)?)\s*(?:@\s*(.+))?$/i.exec(item);
      if (!m) fail(item, 'expected kind:minutes (e.g. ack:5 or escalate:15@Senior Engineer)');
      const [, k, min, target] = m as RegExpExecArray;
      const kind =
        KIND_ALIASES[k!.toLowerCase()] ??
        fail(item, `unknown timer kind "${k}" (expected ack, escalate, resolve, declare or update)`);
      const afterMinutes = Number(min);
      if (!(afterMinutes > 0) || afterMinutes > MAX_MINUTES) fail(item, `minutes must be between 1 and ${MAX_MINUTES}`);
      out[severity].push({ kind, afterMinutes, target: target?.trim() || null });
    }
  }
  return out;
}

const addMinutes = (d: Date, minutes: number) => new Date(d.getTime() + minutes * 60_000);

/** When the "no update for N minutes" reminder is due after the last posted update (or the start). */
export function updateReminderDue(lastActivity: Date, minutes: number): Date {
  return addMinutes(lastActivity, minutes);
}

/**
 * Which event cancels a timer, from its kind and condition. Acknowledge timers stop on ack, and so do
 * escalations conditioned on nobody responding ("No response" — unless the condition also names this
 * incident's severity, as in "No response or P1/P2": then it pages regardless, until resolve). Escalations
 * about finding the root cause ("root cause not identified within 15 minutes") stop when the incident
 * reaches `identified`; ones about mitigation stop at `monitoring`; the rest stop on resolve. Phase
 * reminders and update nudges stop on resolve.
 */
export function cancelOnFor(kind: TimerKind, condition: string | null, text = '', severity?: Severity): CancelOn {
  if (kind === 'acknowledge') return 'ack';
  if (kind === 'escalate') {
    const c = `${condition ?? ''} ${text}`.toLowerCase();
    if (/no (?:response|answer|ack)|not (?:responded|acknowledged|acked)|unacknowledged/.test(c))
      return severity && new RegExp(`\\b${severity.toLowerCase()}\\b`).test(c) ? 'resolve' : 'ack';
    if (/root cause|not (?:been )?identified|unidentified|unclear|unknown cause|no diagnosis/.test(c))
      return 'status:identified';
    if (/not (?:been )?mitigated|unmitigated|no mitigation|not stabili[sz]ed/.test(c)) return 'status:monitoring';
  }
  return 'resolve';
}

/**
 * Which `cancel_on` values an event cancels. Resolve cancels everything but `never`. A status change
 * cancels the timers waiting for that status or an earlier one, and counts as an acknowledgement:
 * someone moved the incident forward, so nobody needs paging to look at it.
 */
export function cancelKinds(event: 'ack' | 'resolve' | { status: string }): CancelOn[] {
  if (event === 'ack') return ['ack'];
  const all: CancelOn[] = ['ack', 'resolve', 'status:identified', 'status:monitoring'];
  if (event === 'resolve') return all;
  switch (event.status) {
    case 'identified':
      return ['ack', 'status:identified'];
    case 'monitoring':
      return ['ack', 'status:identified', 'status:monitoring'];
    case 'resolved':
      return all;
    default:
      return [];
  }
}

/** Runbook severity applies when unset or equal to the incident's. */
const appliesTo = (t: RunbookTimer, severity: Severity) => t.severity == null || t.severity === severity;
const validMinutes = (m: number) => Number.isFinite(m) && m >= 0 && m <= MAX_MINUTES;

export interface PlanInput {
  sectionTimers: RunbookTimer[];
  documentTimers: RunbookTimer[];
  severity: Severity;
  startedAt: Date;
  defaults: DefaultTimers;
  /** When given, adds the "no update for N minutes" reminder for this severity, counted from startedAt. */
  updateReminderMinutes?: ReminderMinutes;
  /** Runbook front matter `timers_override: true`: its timers win even where the defaults are stricter. */
  runbookOverrides?: boolean;
}

/**
 * Where a planned timer's clock came from, kept in `data.clock` for `/incident timers` and the header:
 * - `runbook`: the runbook's value, no default of that kind;
 * - `runbook-stricter`: the runbook's value, as strict as or stricter than the severity default;
 * - `runbook-override`: the runbook's value, its front matter overriding the defaults;
 * - `default`: the severity default, the runbook has none of that kind;
 * - `default-stricter`: the severity default, stricter than the runbook's `data.runbookMinutes`.
 */
export const ClockOrigin = z.enum(['runbook', 'runbook-stricter', 'runbook-override', 'default', 'default-stricter']);
export type ClockOrigin = z.infer<typeof ClockOrigin>;

/**
 * The timers an incident gets when it opens (or its severity changes; due times stay counted from the
 * start). Chosen per kind (acknowledge, escalate, resolve, declare, update): the matched section's timers
 * of that kind, else the document's, else DEFAULT_TIMERS of that kind. When both the runbook and the
 * defaults have a kind, the stricter clock (the earlier first timer) wins, ties to the runbook — a P1
 * alert whose runbook says "acknowledge within 15 minutes" keeps P1's 5 — unless the runbook's front
 * matter says `timers_override: true` (issue #18). `data.clock` records which ({@link ClockOrigin}).
 * There is one update cadence: an `update` timer and UPDATE_REMINDER_MINUTES fold into the repeating
 * "no update" reminder at the stricter of the two (the runbook's when it overrides). So a section that only lists
 * escalation criteria keeps the document's "acknowledge within 5 minutes", and a runbook without any
 * clock gets the configured defaults. Within one source, timers for this severity shadow timers that
 * name none ("P2 Response SLA: 15 minutes" beats a generic "responds within 5 minutes"); timers for
 * another severity never apply.
 *
 * Phase timers ("Immediate Actions (0-5 minutes)") become `phase` reminders at the phase start, taken
 * from the section (else the document); a phase starting at 0 is skipped — its steps are already on
 * screen when the incident opens. They never mention anyone.
 *
 * Duplicates (same kind, minute and target) collapse to one, and a target-less timer gives way to a
 * targeted one of the same kind and minute; results are sorted by due time.
 */
export function planTimers(input: PlanInput): TimerDraft[] {
  const { severity, startedAt } = input;
  const usable = (ts: RunbookTimer[]) => ts.filter((t) => validMinutes(t.afterMinutes) && appliesTo(t, severity));
  const section = usable(input.sectionTimers);
  const document = usable(input.documentTimers);

  const drafts: TimerDraft[] = [];
  const fromRunbook = (t: RunbookTimer, source: 'section' | 'document'): TimerDraft => ({
    kind: t.kind,
    afterMinutes: t.afterMinutes,
    dueAt: addMinutes(startedAt, t.afterMinutes),
    target: t.target?.trim() || null,
    severity: t.severity ?? null,
    condition: t.condition ?? null,
    text: t.text,
    cancelOn: cancelOnFor(t.kind, t.condition ?? null, t.text, severity),
    source,
    data: {
      ...(t.line != null ? { line: t.line } : {}),
      ...(t.untilMinutes != null ? { untilMinutes: t.untilMinutes } : {}),
    },
  });
  /** Timers of one kind, the ones naming this severity shadowing the generic ones. */
  const ofKind = (ts: RunbookTimer[], kind: string) => {
    const all = ts.filter((t) => t.kind === kind);
    const specific = all.filter((t) => t.severity === severity);
    return specific.length ? specific : all;
  };

  const earliest = (ts: { afterMinutes: number }[]) => Math.min(...ts.map((t) => t.afterMinutes));
  const withClock = (d: TimerDraft, clock: ClockOrigin, extra: Record<string, unknown> = {}): TimerDraft => ({
    ...d,
    data: { ...d.data, clock, ...extra },
  });
  for (const kind of ACTIONABLE) {
    const fromSection = ofKind(section, kind);
    const fromDocument = ofKind(document, kind);
    const runbook = fromSection.length ? fromSection : fromDocument;
    const runbookSource = fromSection.length ? 'section' : 'document';
    const defaults = (input.defaults[severity] ?? []).filter((x) => x.kind === kind);
    const runbookWins =
      runbook.length > 0 && (input.runbookOverrides || !defaults.length || earliest(runbook) <= earliest(defaults));
    if (runbookWins) {
      const clock: ClockOrigin = !defaults.length
        ? 'runbook'
        : input.runbookOverrides && earliest(runbook) > earliest(defaults)
          ? 'runbook-override'
          : 'runbook-stricter';
      drafts.push(
        ...runbook.map((t) =>
          withClock(
            fromRunbook(t, runbookSource),
            clock,
            defaults.length
              ? { defaultMinutes: earliest(defaults), defaultSeverity: severity, runbookMinutes: earliest(runbook) }
              : {},
          ),
        ),
      );
    } else
      for (const d of defaults)
        drafts.push({
          kind: d.kind,
          afterMinutes: d.afterMinutes,
          dueAt: addMinutes(startedAt, d.afterMinutes),
          target: d.target,
          severity,
          condition: null,
          text: defaultText(d),
          cancelOn: cancelOnFor(d.kind, null),
          source: 'default',
          data: runbook.length
            ? { clock: 'default-stricter', runbookMinutes: earliest(runbook) }
            : { clock: 'default' },
        });
  }

  const phases = section.some((t) => t.kind === 'phase') ? section : document;
  const phaseSource = phases === section ? 'section' : 'document';
  for (const t of phases) if (t.kind === 'phase' && t.afterMinutes > 0) drafts.push(fromRunbook(t, phaseSource));

  const reminder = input.updateReminderMinutes?.[severity];
  if (reminder && reminder > 0) {
    // One update cadence: an `update` timer folds into the repeating reminder.
    const updates = drafts.filter((d) => d.kind === 'update');
    let cadence = reminder;
    let clock: ClockOrigin = 'default';
    if (updates.length) {
      const fromRunbook = earliest(updates);
      const runbookRules = updates[0]!.source !== 'default' && (input.runbookOverrides || fromRunbook <= reminder);
      cadence = runbookRules ? fromRunbook : reminder;
      clock =
        updates[0]!.source === 'default'
          ? 'default'
          : runbookRules
            ? input.runbookOverrides && fromRunbook > reminder
              ? 'runbook-override'
              : 'runbook-stricter'
            : 'default-stricter';
      for (const u of updates) drafts.splice(drafts.indexOf(u), 1);
    }
    const r = updateReminder(severity, startedAt, cadence);
    const other = updates.length ? earliest(updates) : null;
    const extra =
      other == null ? {} : clock === 'default-stricter' ? { runbookMinutes: other } : { defaultMinutes: reminder };
    drafts.push({ ...r, data: { ...r.data, clock, ...extra } });
  }

  return dedupe(drafts).sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || kindOrder(a) - kindOrder(b));
}

const ACTIONABLE = ['acknowledge', 'escalate', 'resolve', 'declare', 'update'] as const;

/** The "no update posted for N minutes" nudge, due N minutes after the last update (or the start). */
export function updateReminder(severity: Severity, lastActivity: Date, minutes: number): TimerDraft {
  return reminderDraft('update', severity, lastActivity, minutes);
}

/**
 * A named reminder: 'update' (UPDATE_REMINDER_MINUTES, no update posted) or 'statuspage'
 * (STATUSPAGE_REMINDER_MINUTES, public incident without a status-page update). Store it with
 * replaceReminder, which swaps out the pending one of the same name.
 */
export function reminderDraft(
  name: 'update' | 'statuspage',
  severity: Severity,
  lastActivity: Date,
  minutes: number,
): TimerDraft {
  return {
    kind: 'reminder',
    afterMinutes: minutes,
    dueAt: updateReminderDue(lastActivity, minutes),
    target: null,
    severity,
    condition: null,
    text:
      name === 'update'
        ? `No update posted for ${minutesPhrase(minutes)}`
        : `The status page has not been updated for ${minutesPhrase(minutes)}`,
    cancelOn: 'resolve',
    source: 'reminder',
    data: { reminder: name },
  };
}

function defaultText(d: DefaultTimer): string {
  const after = minutesPhrase(d.afterMinutes);
  switch (d.kind) {
    case 'acknowledge':
      return `Acknowledge within ${after}`;
    case 'escalate':
      return `Escalate${d.target ? ` to ${d.target}` : ''} if unresolved after ${after}`;
    case 'resolve':
      return `Resolve within ${after}`;
    case 'declare':
      return `Unresolved after ${after}: declare an outage`;
    case 'update':
      return `Post an update every ${after}`;
  }
}

const KIND_ORDER: TimerKind[] = [
  'acknowledge',
  'escalate',
  'declare',
  'resolve',
  'update',
  'phase',
  'reminder',
  'auto_resolve',
];
const kindOrder = (d: TimerDraft) => KIND_ORDER.indexOf(d.kind);

function dedupe(drafts: TimerDraft[]): TimerDraft[] {
  const slot = (d: TimerDraft) => `${d.kind}|${d.afterMinutes}|${d.cancelOn}`;
  const targeted = new Set(drafts.filter((d) => d.target).map(slot));
  const seen = new Set<string>();
  return drafts.filter((d) => {
    if (!d.target && targeted.has(slot(d))) return false;
    const key = `${slot(d)}|${(d.target ?? '').toLowerCase()}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Verb for the header countdown, e.g. "escalates to @sre-seniors in 7 min". */
const VERB: Record<TimerKind, string> = {
  acknowledge: 'ack deadline',
  escalate: 'escalates',
  resolve: 'resolve deadline',
  declare: 'outage declared',
  update: 'update due',
  phase: 'next phase',
  reminder: 'update reminder',
  auto_resolve: 'auto-resolve',
};

/**
 * Countdown text for the incident header: "escalates to @sre-seniors in 7 min", "ack deadline in 2 min",
 * "escalates to @sre-seniors now" when overdue. `mention` is the resolved target (see targets.ts).
 */
export function formatCountdown(
  timer: { kind: string; dueAt: Date; target: string | null },
  now: Date,
  mention?: string | null,
): string {
  const kind = TimerKind.safeParse(timer.kind);
  const verb = kind.success ? VERB[kind.data] : timer.kind;
  const who = mention ?? timer.target;
  const head = who && timer.kind === 'escalate' ? `${verb} to ${who}` : who ? `${verb} (${who})` : verb;
  const ms = timer.dueAt.getTime() - now.getTime();
  if (ms <= 0) return `${head} now`;
  return `${head} in ${shortMinutes(Math.ceil(ms / 60_000))}`;
}

/**
 * True when the incident has already done what the timer waits for — a cancel that was missed (a crash
 * between the incident update and the cancel, a snoozed copy of an acknowledge timer after the ack).
 * The worker cancels such a timer instead of firing it.
 */
export function isMoot(
  timer: { cancelOn: string | null },
  incident: { status: string | null; ackedAt: Date | null } | null,
): boolean {
  if (!incident || !timer.cancelOn || timer.cancelOn === 'never') return false;
  const done = new Set<string>(incident.status ? cancelKinds({ status: incident.status }) : []);
  if (incident.ackedAt) done.add('ack');
  return done.has(timer.cancelOn);
}
