import { incidentRef } from '../incidents/model.js';
import { orderingKey } from '../incidents/service.js';
import { getIncident } from '../store/incidents.js';
import type { OutboxDraft } from '../store/outbox.js';
import { shortMinutes } from '../time-phrases.js';
import { pagerDutyOp, repeatReminder } from './hooks.js';
import { SNOOZE_MINUTES, TIMER_ACTIONS } from './messages.js';
import { type Mention, mentionFor, resolveTargets, type TargetOptions } from './targets.js';
import type { FireFn } from './worker.js';

/** Outbox op of an escalation ping; payload below. The Slack layer posts it in the incident channel. */
export const ESCALATION_PING_OP = 'slack.escalationPing';

/**
 * What a ping says, as data; `slack/render/escalation.ts` (renderPing) writes the words and mentions.
 * Rows queued before this shape carry ready mrkdwn in `text` and `mentions: string[]` instead of `words`
 * (see {@link LegacyPingPayload}); the renderer still posts those as they are.
 */
export interface EscalationPingPayload {
  timerId: number;
  /** TimerKind: 'escalate', 'acknowledge', 'reminder', … */
  kind: string;
  /** INC-42. */
  incidentLabel: string;
  /** The timer's own words as the runbook (or default) wrote them. */
  words: string;
  /** Who the ping mentions (users, user groups); empty for phase and reminder nudges. */
  mentions: Mention[];
  /** Target names no ESCALATION_TARGETS entry matched (shown as plain words after `words`). */
  unknownTargets: string[];
  /** ISO time the timer was due (a late ping says so). */
  dueAt: string;
  late: boolean;
  /** The timer is a snoozed ping coming back. */
  snoozed: boolean;
  /** Buttons to add (value = timerId): Acknowledge, Snooze, I'm on it. Empty for phase and reminder nudges. */
  actions: { actionId: string; text: string }[];
  snoozeMinutes: number;
}

/** A ping row written before pings were data: ready mrkdwn (`text`) and mention strings. Read only. */
export interface LegacyPingPayload
  extends Omit<EscalationPingPayload, 'words' | 'mentions' | 'incidentLabel' | 'dueAt' | 'snoozed'> {
  text: string;
  mentions: string[];
}

export interface EscalationFireOptions {
  /** ESCALATION_TARGETS. */
  targets: Record<string, string>;
  targetOptions?: TargetOptions;
  /** Set when PAGERDUTY_ROUTING_KEY is: escalate/acknowledge/declare timers also trigger PagerDuty. */
  pagerDuty?: { source: string };
  /** Mentioned when an escalation names no target (DEFAULT_ONCALL_GROUP). */
  fallbackGroup?: string;
}

const PAGING_KINDS = new Set(['escalate', 'acknowledge', 'declare']);
const NUDGE_KINDS = new Set(['phase', 'reminder']);

/**
 * The worker's `fire`: the consequences of one timer, committed with its fired state: returns the outbox rows
 * (the ping for the channel, a header refresh as the countdown moves on, a PagerDuty trigger for paging kinds)
 * and stores the next occurrence of a repeating reminder. A timer of a resolved incident yields nothing (the
 * worker normally cancels those first).
 */
export function createEscalationFire(opts: EscalationFireOptions): FireFn {
  return async (q, timer, ctx) => {
    const inc = await getIncident(q, timer.incidentId);
    if (!inc || inc.status === 'resolved') return;
    const named = timer.target ? resolveTargets(timer.target, opts.targets, opts.targetOptions) : [];
    const mentions: Mention[] = named.flatMap(({ name: _, ...t }) => (t.kind === 'unknown' ? [] : [t]));
    const unknownTargets = named.filter((t) => t.kind === 'unknown').map((t) => t.name);
    // Only a timer that names nobody falls back to the on-call group; a named target that maps to
    // nobody is said loudly where the ping is posted (slack/escalation.ts), never swapped silently.
    if (!named.length && timer.kind === 'escalate' && opts.fallbackGroup)
      mentions.push(mentionFor(opts.fallbackGroup, opts.targetOptions));
    const nudge = NUDGE_KINDS.has(timer.kind);
    const payload: EscalationPingPayload = {
      timerId: timer.id,
      kind: timer.kind,
      incidentLabel: incidentRef(inc),
      words: timer.text,
      mentions: nudge ? [] : mentions,
      unknownTargets,
      dueAt: timer.dueAt.toISOString(),
      late: ctx.late,
      snoozed: Boolean(timer.data?.snoozeOf),
      actions: nudge
        ? []
        : [
            { actionId: TIMER_ACTIONS.acknowledge, text: 'Acknowledge' },
            { actionId: TIMER_ACTIONS.snooze, text: `Snooze ${shortMinutes(SNOOZE_MINUTES)}` },
            { actionId: TIMER_ACTIONS.onIt, text: "I'm on it" },
          ],
      snoozeMinutes: SNOOZE_MINUTES,
    };
    const rows: OutboxDraft[] = [
      {
        op: ESCALATION_PING_OP,
        orderingKey: orderingKey(inc.id),
        incidentId: inc.id,
        dedupeKey: `timer:${timer.id}:ping`,
        payload: payload as unknown as Record<string, unknown>,
      },
      { op: 'slack.updateHeader', orderingKey: orderingKey(inc.id), incidentId: inc.id, payload: {} },
    ];
    if (opts.pagerDuty && PAGING_KINDS.has(timer.kind))
      rows.push(pagerDutyOp(inc, 'trigger', { source: opts.pagerDuty.source, timer }));
    await repeatReminder(q, timer, ctx.now);
    return rows;
  };
}
