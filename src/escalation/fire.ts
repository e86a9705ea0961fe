import { orderingKey } from '../incidents/service.js';
import { getIncident } from '../store/incidents.js';
import { enqueue, type OutboxDraft } from '../store/outbox.js';
import { shortMinutes } from '../time-phrases.js';
import { pagerDutyOp, repeatReminder } from './hooks.js';
import { pingText, SNOOZE_MINUTES, TIMER_ACTIONS } from './messages.js';
import { resolveTargets, type TargetOptions } from './targets.js';
import type { FireFn } from './worker.js';

/** Outbox op of an escalation ping; payload below. The Slack layer posts it in the incident channel. */
export const ESCALATION_PING_OP = 'slack.escalationPing';

export interface EscalationPingPayload {
  timerId: number;
  kind: string;
  /** Ready-to-post mrkdwn, mentions included. */
  text: string;
  mentions: string[];
  /** Target names no ESCALATION_TARGETS entry matched (shown as plain text in `text`). */
  unknownTargets: string[];
  late: boolean;
  /** Buttons to add (value = timerId): Acknowledge, Snooze, I'm on it. Empty for phase and reminder nudges. */
  actions: { actionId: string; text: string }[];
  snoozeMinutes: number;
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
 * The worker's `fire`: writes the consequences of one timer to the outbox (same transaction as its fired
 * state): the ping for the channel, a header refresh (the countdown moves on), a PagerDuty trigger for
 * paging kinds, and the next occurrence of a repeating reminder. A timer of a resolved incident writes
 * nothing (the worker normally cancels those first).
 */
export function createEscalationFire(opts: EscalationFireOptions): FireFn {
  return async (q, timer, ctx) => {
    const inc = await getIncident(q, timer.incidentId);
    if (!inc || inc.status === 'resolved') return;
    const named = timer.target ? resolveTargets(timer.target, opts.targets, opts.targetOptions) : [];
    const mentions = named.filter((t) => t.kind !== 'unknown').map((t) => mentionText(t.handle));
    const unknownTargets = named.filter((t) => t.kind === 'unknown').map((t) => t.name);
    // Only a timer that names nobody falls back to the on-call group; a named target that maps to
    // nobody is said loudly where the ping is posted (slack/escalation.ts), never swapped silently.
    if (!named.length && timer.kind === 'escalate' && opts.fallbackGroup)
      mentions.push(mentionText(opts.fallbackGroup));
    const label = `INC-${inc.id}`;
    const nudge = NUDGE_KINDS.has(timer.kind);
    const payload: EscalationPingPayload = {
      timerId: timer.id,
      kind: timer.kind,
      text: pingText(
        { ...timer, text: unknownTargets.length ? `${timer.text} (${unknownTargets.join(', ')})` : timer.text },
        nudge ? [] : mentions,
        { incidentLabel: label, late: ctx.late },
      ),
      mentions: nudge ? [] : mentions,
      unknownTargets,
      late: ctx.late,
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
    await enqueue(q, rows);
    await repeatReminder(q, timer, ctx.now);
  };
}

/** A bare group handle (not yet resolved to <!subteam^…>) is shown as @handle. */
function mentionText(handle: string): string {
  return handle.startsWith('<') ? handle : `@${handle.replace(/^@/, '')}`;
}
