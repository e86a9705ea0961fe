import type { App } from '@slack/bolt';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { ConfigError, UserFacingError } from '../errors.js';
import { createPagerDuty, pagerDutySeverity } from '../escalation/paging/pagerduty.js';
import {
  cancelKinds,
  type DefaultTimers,
  formatCountdown,
  parseDefaultTimers,
  planTimers,
  updateReminder,
} from '../escalation/schedule.js';
import { resolveTarget } from '../escalation/targets.js';
import { createTimerWorker, type TimerWorker } from '../escalation/worker.js';
import { type Incident, incidentRef } from '../incidents/model.js';
import type { IncidentHooks, IncidentService, RunbookMatch } from '../incidents/service.js';
import type { Metrics } from '../metrics.js';
import type { OutboxHandler } from '../outbox/sender.js';
import type { Db, Queryable } from '../store/db.js';
import { appendEvents, getIncident } from '../store/incidents.js';
import { enqueue } from '../store/outbox.js';
import {
  cancelTimers,
  getTimer,
  insertTimers,
  listTimers,
  nextPending,
  replaceReminder,
  rescheduleForSeverity,
  snoozeTimer,
  type TimerRow,
} from '../store/timers.js';
import { errorReply, type SlackExtensions } from './handlers.js';
import type { NextTimer } from './render/header.js';
import { esc, slackDate } from './render/text.js';
import type { SlackCaller } from './web.js';

const SNOOZE_MINUTES = 10;
const plain = (text: string) => ({ type: 'plain_text', text, emoji: true });

export interface EscalationDeps {
  app: App;
  db: Db;
  config: Config;
  logger: Logger;
  metrics?: Metrics;
  service: IncidentService;
  caller: SlackCaller;
  extensions: SlackExtensions;
  kick: () => void;
  now?: () => Date;
}

/**
 * The runbook's clock in Slack: schedules timers when an incident opens, cancels them on ack/resolve,
 * fires them exactly once (worker + outbox in one transaction), and pages PagerDuty when configured.
 */
export function registerEscalation(deps: EscalationDeps) {
  const { db, config, logger, service } = deps;
  const now = deps.now ?? (() => new Date());
  let defaults: DefaultTimers;
  try {
    defaults = parseDefaultTimers(config.DEFAULT_TIMERS);
  } catch (err) {
    throw new ConfigError(`Invalid configuration:\n  ${(err as Error).message}`);
  }
  const paging = Boolean(config.PAGERDUTY_ROUTING_KEY);

  const plan = (inc: Incident, match: RunbookMatch | null) =>
    planTimers({
      sectionTimers: match?.section.timers ?? [],
      documentTimers: match?.document.timers ?? [],
      severity: inc.severity,
      startedAt: inc.startedAt,
      defaults,
      updateReminderMinutes: config.UPDATE_REMINDER_MINUTES,
    });

  const pdEvent = (inc: Incident, action: 'trigger' | 'acknowledge' | 'resolve', summary: string) => ({
    op: 'pagerduty.event',
    orderingKey: `pd:${inc.id}`,
    incidentId: inc.id,
    payload: {
      action,
      dedupKey: `incident-bot-${incidentRef(inc)}`,
      summary: `${incidentRef(inc)} ${inc.severity}: ${summary}`.slice(0, 1000),
      severity: pagerDutySeverity(inc.severity),
      source: 'incident-bot',
    },
    dedupeKey:
      action === 'trigger'
        ? null
        : `pd:${action}:${inc.id}:${inc.resolvedAt?.getTime() ?? inc.ackedAt?.getTime() ?? 0}`,
  });

  const hook: IncidentHooks = {
    async opened(q, inc, match) {
      await insertTimers(q, inc.id, plan(inc, match));
    },
    async changed(q, before, after, events) {
      const kinds = new Set(events.map((e) => e.kind));
      if (!before.ackedAt && after.ackedAt) {
        await cancelTimers(q, after.id, cancelKinds('ack'));
        if (paging) await enqueue(q, pdEvent(after, 'acknowledge', after.title));
      }
      if (before.status !== after.status) {
        await cancelTimers(q, after.id, cancelKinds({ status: after.status }));
        if (after.status === 'resolved') {
          await cancelTimers(q, after.id, cancelKinds('resolve'));
          if (paging) await enqueue(q, pdEvent(after, 'resolve', after.summary ?? after.title));
        }
      }
      if (before.severity !== after.severity && after.status !== 'resolved') {
        await rescheduleForSeverity(q, after.id, plan(after, service.currentRunbook(after)), now());
      }
      const minutes = config.UPDATE_REMINDER_MINUTES[after.severity];
      if (kinds.has('update') && minutes && after.status !== 'resolved') {
        await replaceReminder(q, after.id, updateReminder(after.severity, now(), minutes));
      }
    },
  };

  /** Inside the worker's transaction: timeline, Slack ping and paging are committed with the fired state. */
  async function fire(q: Queryable, timer: TimerRow, ctx: { late: boolean; lagMs: number }) {
    const inc = await getIncident(q, timer.incidentId);
    if (!inc || inc.status === 'resolved') return;
    const lateNote = ctx.late ? ' (late: it fell due while the bot was down)' : '';
    await appendEvents(q, inc.id, [
      {
        kind: timer.kind === 'reminder' || timer.kind === 'phase' ? 'timer' : 'escalation',
        actor: null,
        at: now(),
        text: `${esc(timer.text)}${lateNote}`,
        data: { timerId: timer.id, kind: timer.kind, target: timer.target, late: ctx.late, lagMs: ctx.lagMs },
      },
    ]);
    await enqueue(q, [
      {
        op: 'slack.timerFired',
        orderingKey: `inc:${inc.id}`,
        incidentId: inc.id,
        payload: { timerId: timer.id, late: ctx.late },
      },
      { op: 'slack.updateHeader', orderingKey: `inc:${inc.id}`, incidentId: inc.id },
    ]);
    if (paging && (timer.kind === 'escalate' || (timer.kind === 'acknowledge' && !inc.ackedAt))) {
      await enqueue(q, pdEvent(inc, 'trigger', `${timer.text}: ${inc.title}`));
    }
    // The update nudge repeats until someone posts an update or the incident resolves.
    const minutes = config.UPDATE_REMINDER_MINUTES[inc.severity];
    if (timer.kind === 'reminder' && timer.data.reminder === 'update' && minutes) {
      await replaceReminder(q, inc.id, updateReminder(inc.severity, now(), minutes));
    }
    deps.metrics?.timersFired.inc({ kind: timer.kind, late: String(ctx.late) });
    deps.metrics?.timerLag.observe(ctx.lagMs / 1000);
  }

  const worker: TimerWorker = createTimerWorker({
    db,
    logger,
    metrics: deps.metrics,
    pollMs: config.TIMER_POLL_MS,
    now,
    fire,
  });

  // Handle -> user-group id, for <!subteam^S…> mentions; refreshed lazily.
  let groupIds: Record<string, string> | null = null;
  async function mentionOf(target: string | null): Promise<string | null> {
    if (!target) return null;
    if (!groupIds) {
      const r = await deps.caller
        .call<{ usergroups: { id: string; handle: string }[] }>('usergroups.list', {})
        .catch(() => ({ usergroups: [] }));
      groupIds = Object.fromEntries(r.usergroups.map((g) => [g.handle, g.id]));
    }
    const t = resolveTarget(target, config.ESCALATION_TARGETS, { groupIds });
    if (t.kind === 'unknown') return `*${esc(t.handle)}*`;
    return t.handle.startsWith('<') ? t.handle : `@${esc(t.handle)}`;
  }

  /** Outbox: the escalation ping, rendered when sent so it names the current target mapping. */
  const timerFired: OutboxHandler = async (row) => {
    const timer = await getTimer(db, Number(row.payload.timerId));
    const inc = await service.get(row.incidentId!);
    if (!timer || !inc.channelId) return { skipped: true };
    const who = await mentionOf(timer.target);
    const late = row.payload.late ? ' _(late: it fell due while the bot was down)_' : '';
    const cond = timer.condition ? ` — ${esc(timer.condition)}` : '';
    let text: string;
    let buttons = true;
    switch (timer.kind) {
      case 'acknowledge':
        text = `:alarm_clock: *${incidentRef(inc)} is not acknowledged* after ${minutesSince(inc, timer)} min.${who ? ` Paging ${who}.` : ''}`;
        break;
      case 'escalate':
        text = `:mega: *Escalation${who ? ` to ${who}` : ''}*: ${esc(timer.text)}${cond}`;
        break;
      case 'declare':
        text = `:rotating_light: *${esc(timer.text)}*${who ? ` ${who}` : ''}${cond}`;
        break;
      case 'resolve':
        text = `:hourglass: *Resolution deadline reached*: ${esc(timer.text)}${who ? ` ${who}` : ''}`;
        break;
      case 'reminder':
        text = `:memo: No update for ${timer.data.reminder === 'update' ? (config.UPDATE_REMINDER_MINUTES[inc.severity] ?? '?') : '?'} minutes. Post one with \`/incident update <text>\`.`;
        buttons = false;
        break;
      default:
        text = `:stopwatch: *Next phase*: ${esc(timer.text)}`;
        buttons = false;
    }
    text += late;
    const blocks: unknown[] = [{ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } }];
    if (buttons) {
      blocks.push({
        type: 'actions',
        block_id: `timer:${timer.id}`,
        elements: [
          ...(inc.ackedAt
            ? []
            : [
                {
                  type: 'button',
                  text: plain('Acknowledge'),
                  action_id: 'incident_ack',
                  value: String(inc.id),
                  style: 'primary',
                },
              ]),
          {
            type: 'button',
            text: plain(`Snooze ${SNOOZE_MINUTES} min`),
            action_id: 'timer_snooze',
            value: String(timer.id),
          },
          { type: 'button', text: plain("I'm on it"), action_id: 'timer_onit', value: String(inc.id) },
        ],
      });
    }
    const res = await deps.caller.call<{ ts: string }>('chat.postMessage', {
      channel: inc.channelId,
      text: text.replace(/[*_]/g, ''),
      blocks,
      link_names: true,
    });
    return { ts: res.ts };
  };

  const pagerduty = paging
    ? createPagerDuty({ routingKey: config.PAGERDUTY_ROUTING_KEY!, apiUrl: config.PAGERDUTY_API_URL })
    : null;
  const pagerdutyEvent: OutboxHandler = async (row) => {
    if (!pagerduty) return { skipped: 'PAGERDUTY_ROUTING_KEY unset' };
    return pagerduty.send(row.payload as never);
  };

  deps.app.action('timer_snooze', async ({ ack, body, action, respond }) => {
    await ack();
    const user = body.user.id;
    try {
      const timerId = Number((action as { value?: string }).value);
      const snoozed = await db.tx(async (q) => {
        const t = await snoozeTimer(q, timerId, SNOOZE_MINUTES, now());
        if (!t) throw new UserFacingError('That timer was cancelled already (acknowledged or resolved).');
        await appendEvents(q, t.incidentId, [
          {
            kind: 'click',
            actor: user,
            at: now(),
            text: `snoozed "${esc(t.text)}" ${SNOOZE_MINUTES} min`,
            data: { timerId },
          },
        ]);
        await enqueue(q, [
          {
            op: 'slack.post',
            orderingKey: `inc:${t.incidentId}`,
            incidentId: t.incidentId,
            payload: { text: `:zzz: <@${user}> snoozed the escalation until ${slackDate(t.dueAt, '{time}')}.` },
          },
          { op: 'slack.updateHeader', orderingKey: `inc:${t.incidentId}`, incidentId: t.incidentId },
        ]);
        return t;
      });
      deps.kick();
      await respond({
        response_type: 'ephemeral',
        replace_original: false,
        text: `Snoozed until ${slackDate(snoozed.dueAt, '{time}')}.`,
      });
    } catch (err) {
      await respond({ ...errorReply(err, logger), replace_original: false });
    }
  });

  deps.app.action('timer_onit', async ({ ack, body, action, respond }) => {
    await ack();
    const user = body.user.id;
    try {
      const inc = await service.get(Number((action as { value?: string }).value));
      await service.record(inc.id, 'click', user, "clicked I'm on it", { actionId: 'timer_onit' });
      if (!inc.ackedAt) await service.ack(inc.id, user);
      else if (inc.commander !== user) await service.update(inc.id, `<@${user}> is on it.`, user);
    } catch (err) {
      await respond({ ...errorReply(err, logger), replace_original: false });
    }
  });

  deps.extensions.commands.timers = async (ctx) => {
    const inc = await ctx.incident();
    const rows = await listTimers(db, inc.id);
    if (!rows.length) return { response_type: 'ephemeral', text: `${incidentRef(inc)} has no timers.` };
    const lines = await Promise.all(
      rows.map(async (t) => {
        const who = await mentionOf(t.target);
        const state =
          t.status === 'pending'
            ? `:hourglass_flowing_sand: ${formatCountdown(t, now(), who)} (${slackDate(t.dueAt, '{time}')})`
            : t.status === 'fired'
              ? `:white_check_mark: fired ${slackDate(t.firedAt ?? t.dueAt, '{time}')}${t.late ? ' (late)' : ''}`
              : ':heavy_multiplication_x: cancelled';
        return `• *${t.kind}* ${esc(t.text.slice(0, 120))} — ${state}`;
      }),
    );
    const text = `*Timers of ${incidentRef(inc)}*\n${lines.join('\n')}`.slice(0, 2900);
    return { response_type: 'ephemeral', text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
  };

  /** For the header countdown. */
  async function nextTimer(incidentId: number): Promise<NextTimer | null> {
    const t = await nextPending(db, incidentId);
    if (!t || t.kind === 'phase' || t.kind === 'reminder')
      return t ? { kind: t.kind, dueAt: t.dueAt, target: t.target, targetMention: null } : null;
    return { kind: t.kind, dueAt: t.dueAt, target: t.target, targetMention: await mentionOf(t.target) };
  }

  return { hook, worker, nextTimer, handlers: { 'slack.timerFired': timerFired, 'pagerduty.event': pagerdutyEvent } };
}

function minutesSince(inc: Incident, t: TimerRow): number {
  return Math.max(0, Math.round((t.dueAt.getTime() - inc.startedAt.getTime()) / 60_000));
}
