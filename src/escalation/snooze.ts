import type { Incident, Notice } from '../incidents/model.js';
import { orderingKey } from '../incidents/service.js';
import type { Queryable } from '../store/db.js';
import { appendEvents } from '../store/incidents.js';
import { enqueue } from '../store/outbox.js';
import { endSnooze, snoozeIncident, snoozeTimer, type TimerRow } from '../store/timers.js';
import { minutesPhrase } from '../time-phrases.js';

/** How a snoozed timer is named in notices and on the timeline. */
const brief = (t: TimerRow) => ({ kind: t.kind, text: t.text, target: t.target });

const noticeRow = (incidentId: number, n: Notice) => ({
  op: 'slack.notice',
  orderingKey: orderingKey(incidentId),
  incidentId,
  payload: { notice: n },
});
const headerRow = (incidentId: number) => ({
  op: 'slack.updateHeader',
  orderingKey: orderingKey(incidentId),
  incidentId,
  payload: {},
});

/**
 * Snoozes an incident's paging for `minutes` (issue #18): every pending acknowledge/escalate/declare
 * timer due before then waits until then, and a fired ping that was clicked (`timerId`) pings once more
 * at the end. Records who snoozed what on the timeline and queues a channel notice naming the timers
 * and a header refresh. Run inside the caller's transaction. Returns the end and the timers held back; when
 * nothing was due before then (and no ping was clicked) it records nothing and returns no timers, so the
 * caller can say there was nothing to snooze instead of a snooze that `snooze off` would then deny.
 */
export async function snoozeIncidentTimers(
  q: Queryable,
  inc: Pick<Incident, 'id'>,
  opts: { actor: string; minutes: number; now: Date; timerId?: number },
): Promise<{ until: Date; timers: TimerRow[] }> {
  const until = new Date(opts.now.getTime() + opts.minutes * 60_000);
  if (opts.timerId != null) await snoozeTimer(q, opts.timerId, opts.minutes, opts.now);
  const timers = await snoozeIncident(q, inc.id, until, opts.now);
  if (!timers.length && opts.timerId == null) return { until, timers };
  await appendEvents(q, inc.id, [
    {
      kind: 'snoozed',
      actor: opts.actor,
      at: opts.now,
      text: `snoozed paging for ${minutesPhrase(opts.minutes)}: ${timers.length ? timers.map((t) => t.text).join('; ') : 'no timer was due'}`,
      data: { until: until.toISOString(), minutes: opts.minutes, timerIds: timers.map((t) => t.id) },
    },
  ]);
  await enqueue(q, [
    noticeRow(inc.id, { kind: 'snoozed', actor: opts.actor, until: until.toISOString(), timers: timers.map(brief) }),
    headerRow(inc.id),
  ]);
  return { until, timers };
}

/**
 * Ends an incident's snooze early: each held timer goes back to its own due time (overdue ones fire at
 * once). `reason` says why: a person cancelled it, or the severity rose (a more severe alert). Timeline
 * event and notice only when something was snoozed. Run inside the caller's transaction.
 */
export async function endIncidentSnooze(
  q: Queryable,
  inc: Pick<Incident, 'id' | 'severity'>,
  opts: { actor: string | null; reason: 'cancelled' | 'severity'; now: Date },
): Promise<TimerRow[]> {
  const timers = await endSnooze(q, inc.id);
  if (!timers.length) return timers;
  await appendEvents(q, inc.id, [
    {
      kind: 'snooze_ended',
      actor: opts.actor,
      at: opts.now,
      text:
        opts.reason === 'severity'
          ? `snooze ended: severity rose to ${inc.severity}`
          : `cancelled the snooze: ${timers.map((t) => t.text).join('; ')}`,
      data: { reason: opts.reason, timerIds: timers.map((t) => t.id) },
    },
  ]);
  await enqueue(q, [
    noticeRow(inc.id, {
      kind: 'snoozeEnded',
      actor: opts.actor,
      reason: opts.reason,
      ...(opts.reason === 'severity' ? { severity: inc.severity } : {}),
      timers: timers.map(brief),
    }),
    headerRow(inc.id),
  ]);
  return timers;
}
