import type { App } from '@slack/bolt';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { UserFacingError } from '../errors.js';
import { ESCALATION_PING_OP, type EscalationPingPayload } from '../escalation/fire.js';
import { SNOOZE_MINUTES, TIMER_ACTIONS } from '../escalation/messages.js';
import type { Escalation } from '../escalation/setup.js';
import { resolveTarget } from '../escalation/targets.js';
import { incidentRef } from '../incidents/model.js';
import type { IncidentService } from '../incidents/service.js';
import type { OutboxHandler } from '../outbox/sender.js';
import type { Db } from '../store/db.js';
import { appendEvents } from '../store/incidents.js';
import { enqueue } from '../store/outbox.js';
import { getTimer, listTimers, snoozeTimer } from '../store/timers.js';
import { shortMinutes } from '../time-phrases.js';
import type { SlackCaller } from './client.js';
import { errorReply, type SlackExtensions } from './incident.js';
import { renderPing, renderTimers } from './render/escalation.js';
import type { NextTimer } from './render/header.js';
import { esc, slackDate } from './render/text.js';
import type { UserGroups } from './usergroups.js';

export interface EscalationSlackDeps {
  app: App;
  db: Db;
  config: Config;
  logger: Logger;
  service: IncidentService;
  escalation: Escalation;
  caller: SlackCaller;
  usergroups: UserGroups;
  extensions: SlackExtensions;
  kick: () => void;
  now?: () => Date;
}

/**
 * The runbook's clock in Slack. Scheduling, cancelling, firing and paging live in src/escalation
 * (createEscalation); this posts the pings, handles their buttons and `/incident timers`.
 */
export function registerEscalation(deps: EscalationSlackDeps) {
  const { db, config, logger, service } = deps;
  const now = deps.now ?? (() => new Date());

  // Handle -> user-group id, so pings mention <!subteam^S…>; loaded at start, read by the escalation `fire`.
  const groupIds = deps.usergroups.ids;
  const groupsLoaded = deps.usergroups
    .groups()
    .catch((err) => logger.warn({ err }, 'could not list user groups; pings name handles'));

  function mentionOf(target: string | null): string | null {
    if (!target) return null;
    const t = resolveTarget(target, config.ESCALATION_TARGETS, { groupIds });
    if (t.kind === 'unknown') return esc(t.handle);
    return t.handle.startsWith('<') ? t.handle : `@${esc(t.handle)}`;
  }

  /** Outbox: the ping itself, with Acknowledge / Snooze / I'm on it. */
  const ping: OutboxHandler = async (row) => {
    const p = row.payload as unknown as EscalationPingPayload;
    const inc = await service.get(row.incidentId!);
    if (!inc.channelId) throw new Error(`${incidentRef(inc)} has no channel yet`);
    const msg = renderPing(p, Boolean(inc.ackedAt));
    const res = await deps.caller.call<{ ts: string }>('chat.postMessage', {
      channel: inc.channelId,
      text: msg.text,
      blocks: msg.blocks,
    });
    return { ts: res.ts };
  };

  /** A ping button: the timer it belongs to and the incident. */
  const timerAction = (
    actionId: string,
    fn: (timerId: number, incidentId: number, user: string) => Promise<string | null>,
  ) =>
    deps.app.action(actionId, async ({ ack, body, action, respond }) => {
      await ack();
      try {
        const timer = await getTimer(db, Number((action as { value?: string }).value));
        if (!timer) throw new UserFacingError('That timer no longer exists.');
        const reply = await fn(timer.id, timer.incidentId, body.user.id);
        if (reply) await respond({ response_type: 'ephemeral', replace_original: false, text: reply });
      } catch (err) {
        await respond({ ...errorReply(err, logger), replace_original: false });
      }
    });

  timerAction(TIMER_ACTIONS.acknowledge, async (_timerId, incidentId, user) => {
    await service.record(incidentId, 'click', user, 'clicked Acknowledge on an escalation', {
      actionId: TIMER_ACTIONS.acknowledge,
    });
    await service.ack(incidentId, user);
    return null;
  });

  timerAction(TIMER_ACTIONS.snooze, async (timerId, incidentId, user) => {
    const snoozed = await db.tx(async (q) => {
      const t = await snoozeTimer(q, timerId, SNOOZE_MINUTES, now());
      if (!t) throw new UserFacingError('That timer was cancelled already (acknowledged or resolved).');
      await appendEvents(q, incidentId, [
        {
          kind: 'click',
          actor: user,
          at: now(),
          text: `snoozed "${t.text}" ${shortMinutes(SNOOZE_MINUTES)}`,
          data: { timerId },
        },
      ]);
      await enqueue(q, [
        {
          op: 'slack.post',
          orderingKey: `inc:${incidentId}`,
          incidentId,
          payload: { text: `:zzz: <@${user}> snoozed the escalation until ${slackDate(t.dueAt, '{time}')}.` },
        },
        { op: 'slack.updateHeader', orderingKey: `inc:${incidentId}`, incidentId },
      ]);
      return t;
    });
    deps.kick();
    return `Snoozed until ${slackDate(snoozed.dueAt, '{time}')}.`;
  });

  timerAction(TIMER_ACTIONS.onIt, async (_timerId, incidentId, user) => {
    await service.record(incidentId, 'click', user, "clicked I'm on it", { actionId: TIMER_ACTIONS.onIt });
    const inc = await service.get(incidentId);
    if (!inc.ackedAt) await service.ack(incidentId, user);
    else if (inc.commander !== user) await service.update(incidentId, `<@${user}> is on it.`, user);
    return null;
  });

  deps.extensions.commands.timers = async (ctx) => {
    const inc = await ctx.incident();
    await groupsLoaded;
    const msg = renderTimers(inc, await listTimers(db, inc.id), now(), (t) => mentionOf(t) ?? t);
    return { response_type: 'ephemeral', ...msg };
  };

  /** For the header countdown. */
  async function nextTimer(incidentId: number): Promise<NextTimer | null> {
    const t = await deps.escalation.nextTimer(incidentId);
    if (!t) return null;
    const quiet = t.kind === 'phase' || t.kind === 'reminder';
    return { kind: t.kind, dueAt: t.dueAt, target: t.target, targetMention: quiet ? null : mentionOf(t.target) };
  }

  return { nextTimer, handlers: { [ESCALATION_PING_OP]: ping } };
}
