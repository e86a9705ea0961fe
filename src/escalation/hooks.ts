import type { EventDraft, Incident } from '../incidents/model.js';
import type { IncidentHooks, RunbookMatch } from '../incidents/service.js';
import type { Queryable } from '../store/db.js';
import { enqueue, type OutboxDraft } from '../store/outbox.js';
import {
  cancelAllPending,
  cancelTimers,
  insertTimers,
  replaceReminder,
  rescheduleForSeverity,
  snoozedUntil,
  snoozeIncident,
  type TimerRow,
} from '../store/timers.js';
import { pagerDutySeverity } from './paging/pagerduty.js';
import {
  cancelKinds,
  type DefaultTimers,
  planTimers,
  type ReminderMinutes,
  reminderDraft,
  updateReminder,
} from './schedule.js';
import { endIncidentSnooze } from './snooze.js';

/**
 * The escalation side of the incident life cycle, as IncidentService hooks: each runs inside the
 * transaction that changes the incident, so timers never disagree with the incident they belong to.
 *
 * - opened: plan the runbook's timers (planTimers) and the no-update reminder;
 * - acknowledged: cancel acknowledge timers, send PagerDuty `acknowledge` if a page went out;
 * - status change: cancel what the status satisfies; resolved cancels everything and sends PagerDuty
 *   `resolve`; reopened plans a fresh clock from the reopening;
 * - severity change: reschedule (rescheduleForSeverity); a more severe incident ends a snooze (said in
 *   the channel), a less severe one keeps it;
 * - update posted: move the no-update reminder to N minutes after it.
 */
export interface EscalationHookOptions {
  defaults: DefaultTimers;
  /** UPDATE_REMINDER_MINUTES. */
  updateReminderMinutes?: ReminderMinutes;
  /** The runbook an incident was opened with (for severity changes and reopening). */
  runbook?: (inc: Incident) => RunbookMatch | null;
  /** Set when PAGERDUTY_ROUTING_KEY is: acknowledge/resolve follow a trigger sent for the incident. */
  pagerDuty?: { source: string };
  now?: () => Date;
}

/** Outbox op carrying one PagerDuty event; the payload is PagerDutyEvent (paging/pagerduty.ts). */
export const PAGERDUTY_OP = 'pagerduty.send';
/** PagerDuty calls of one incident go in order (trigger before acknowledge/resolve), apart from Slack's. */
export const pagerDutyOrderingKey = (incidentId: number) => `pd:${incidentId}`;
export const pagerDutyDedupKey = (incidentId: number) => `incident-${incidentId}`;

/**
 * The outbox row that pages (trigger) or updates the page (acknowledge/resolve). One trigger per timer
 * (dedupe key), so a retried firing never pages twice.
 */
export function pagerDutyOp(
  inc: Pick<Incident, 'id' | 'title' | 'severity'>,
  action: 'trigger' | 'acknowledge' | 'resolve',
  opts: {
    source: string;
    timer?: Pick<TimerRow, 'id' | 'kind' | 'text' | 'target'>;
    links?: { href: string; text: string }[];
  },
): OutboxDraft {
  const t = opts.timer;
  return {
    op: PAGERDUTY_OP,
    orderingKey: pagerDutyOrderingKey(inc.id),
    incidentId: inc.id,
    dedupeKey: t ? `pd:${inc.id}:${action}:timer:${t.id}` : null,
    payload: {
      action,
      dedupKey: pagerDutyDedupKey(inc.id),
      summary: `INC-${inc.id} ${inc.severity}: ${inc.title}${t ? ` — ${t.text}` : ''}`,
      severity: pagerDutySeverity(inc.severity),
      source: opts.source,
      ...(opts.links?.length ? { links: opts.links } : {}),
      customDetails: {
        incident: `INC-${inc.id}`,
        severity: inc.severity,
        ...(t ? { timer: t.kind, target: t.target } : {}),
      },
    },
  };
}

async function pageWasSent(q: Queryable, incidentId: number): Promise<boolean> {
  const r = await q.query(
    `SELECT 1 FROM outbox WHERE incident_id = $1 AND op = $2 AND payload->>'action' = 'trigger' LIMIT 1`,
    [incidentId, PAGERDUTY_OP],
  );
  return r.rows.length > 0;
}

export function createEscalationHooks(opts: EscalationHookOptions): IncidentHooks {
  const plan = (inc: Incident, match: RunbookMatch | null, startedAt: Date) =>
    planTimers({
      sectionTimers: match?.section.timers ?? [],
      documentTimers: match?.document.timers ?? [],
      severity: inc.severity,
      startedAt,
      defaults: opts.defaults,
      updateReminderMinutes: opts.updateReminderMinutes,
      runbookOverrides: match?.document.timersOverride ?? false,
    });
  /** The incident's one update cadence (minutes), as planned: the stricter of runbook and configuration. */
  const cadence = (inc: Incident): number | undefined =>
    plan(inc, opts.runbook?.(inc) ?? null, inc.startedAt).find((d) => d.source === 'reminder')?.afterMinutes;
  const page = async (q: Queryable, inc: Incident, action: 'acknowledge' | 'resolve') => {
    if (opts.pagerDuty && (await pageWasSent(q, inc.id)))
      await enqueue(q, pagerDutyOp(inc, action, { source: opts.pagerDuty.source }));
  };

  return {
    async opened(q, inc, match) {
      if (inc.status === 'resolved') return;
      await insertTimers(q, inc.id, plan(inc, match, inc.startedAt));
    },

    async changed(q, before, after, _events: EventDraft[]) {
      const now = opts.now?.() ?? new Date();
      if (before.status !== 'resolved' && after.status === 'resolved') {
        await cancelTimers(q, after.id, cancelKinds('resolve'));
        await page(q, after, 'resolve');
        return;
      }
      if (before.status === 'resolved' && after.status !== 'resolved') {
        // Reopened: a fresh clock from now (resolving acknowledged it, so no ack timer).
        await cancelAllPending(q, after.id);
        await insertTimers(q, after.id, plan(after, opts.runbook?.(after) ?? null, now));
        if (after.ackedAt) await cancelTimers(q, after.id, cancelKinds('ack'));
        return;
      }
      if (!before.ackedAt && after.ackedAt) {
        await cancelTimers(q, after.id, cancelKinds('ack'));
        await page(q, after, 'acknowledge');
      }
      if (before.status !== after.status) await cancelTimers(q, after.id, cancelKinds({ status: after.status }));
      if (before.severity !== after.severity) {
        // 'P1' < 'P2': a raise ends the snooze; a lowering keeps it over the new plan.
        const raised = after.severity < before.severity;
        const held = raised ? null : await snoozedUntil(q, after.id, now);
        if (raised) await endIncidentSnooze(q, after, { actor: null, reason: 'severity', now });
        const drafts = plan(after, opts.runbook?.(after) ?? null, after.startedAt).filter(
          (d) => d.source !== 'reminder',
        );
        const minutes = cadence(after);
        if (minutes) drafts.push(updateReminder(after.severity, after.lastUpdateAt ?? after.startedAt, minutes));
        await rescheduleForSeverity(q, after.id, drafts, now);
        // A timer satisfied before the change must not come back: re-apply what already happened.
        if (after.ackedAt) await cancelTimers(q, after.id, cancelKinds('ack'));
        await cancelTimers(q, after.id, cancelKinds({ status: after.status }));
        if (held) await snoozeIncident(q, after.id, held, now);
      }
      if (after.lastUpdateAt && +after.lastUpdateAt !== +(before.lastUpdateAt ?? 0)) {
        const minutes = cadence(after);
        if (minutes) await replaceReminder(q, after.id, updateReminder(after.severity, after.lastUpdateAt, minutes));
      }
    },
  };
}

/**
 * Call from `fire` for a reminder that just fired: nudges repeat every N minutes until someone acts
 * (the next update moves it again through the hooks above). Other kinds fire once.
 */
export async function repeatReminder(
  q: Queryable,
  timer: Pick<TimerRow, 'incidentId' | 'kind' | 'severity' | 'data'>,
  now: Date,
): Promise<boolean> {
  if (timer.kind !== 'reminder') return false;
  const minutes = Number(timer.data.afterMinutes);
  if (!(minutes > 0)) return false;
  const name = timer.data.reminder === 'statuspage' ? 'statuspage' : 'update';
  const severity = (timer.severity ?? 'P3') as Incident['severity'];
  await replaceReminder(q, timer.incidentId, reminderDraft(name, severity, now, minutes));
  return true;
}
