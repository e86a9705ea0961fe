import type { App } from '@slack/bolt';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { UserFacingError } from '../errors.js';
import { ESCALATION_PING_OP, type EscalationPingPayload, type LegacyPingPayload } from '../escalation/fire.js';
import { pagerDutyOp } from '../escalation/hooks.js';
import { SNOOZE_MINUTES, TIMER_ACTIONS } from '../escalation/messages.js';
import type { Escalation } from '../escalation/setup.js';
import { endIncidentSnooze, snoozeIncidentTimers } from '../escalation/snooze.js';
import { type Mention, mentionFor, mentionKey, resolveTarget, resolveTargets } from '../escalation/targets.js';
import { type Incident, incidentRef } from '../incidents/model.js';
import { type IncidentService, slackOp } from '../incidents/service.js';
import type { OutboxHandler } from '../outbox/sender.js';
import type { Db } from '../store/db.js';
import { enqueue, type OutboxDraft } from '../store/outbox.js';
import { getTimer, listTimers, snoozedUntil, type TimerRow } from '../store/timers.js';
import { minutesPhrase } from '../time-phrases.js';
import { type SlackCaller, slackErrorCode } from './client.js';
import { errorReply, type SlackExtensions } from './incident.js';
import {
  clockOrigin,
  type PingTakenPayload,
  renderNobody,
  renderPing,
  renderPingTaken,
  renderTimers,
  targetMrkdwn,
} from './render/escalation.js';
import type { NextTimer } from './render/header.js';
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
    return targetMrkdwn(resolveTarget(target, config.ESCALATION_TARGETS, { groupIds }));
  }

  /**
   * The people behind a ping's mentions: user ids as they are, user groups (by id or handle) as their
   * members. Targets that reach nobody — unknown names, groups that do not exist or have no members — are
   * listed in `nobody` with the reason.
   */
  async function reach(p: EscalationPingPayload | LegacyPingPayload): Promise<{ users: string[]; nobody: string[] }> {
    const users = new Set<string>();
    const nobody = p.unknownTargets.map((n) => `${n} (no ESCALATION_TARGETS entry)`);
    await groupsLoaded;
    const handleOf = (id: string) => Object.entries(groupIds).find(([, v]) => v === id)?.[0] ?? null;
    for (const m of p.mentions.map(mentionFromPayload)) {
      if (m.kind === 'user') {
        users.add(m.id);
        continue;
      }
      const id = m.id;
      const handle = m.handle ?? (id ? handleOf(id) : null);
      const members = handle ? await deps.usergroups.members(handle).catch(() => null) : null;
      if (!members) nobody.push(`@${handle ?? id} (no such user group)`);
      else if (!members.length) nobody.push(`@${handle} (the group has no members)`);
      else for (const u of members) users.add(u);
    }
    return { users: [...users], nobody };
  }

  /** Invites people to the incident channel; "already there" and unknown users are not errors. */
  async function invite(channel: string, users: string[]): Promise<void> {
    for (const u of users) {
      try {
        await deps.caller.call('conversations.invite', { channel, users: u });
      } catch (err) {
        const code = slackErrorCode(err);
        if (!code || !INVITE_OK.has(code)) throw err;
      }
    }
  }

  /** Outbox: invite the targets, then the ping itself, with Acknowledge / Snooze / I'm on it. */
  const ping: OutboxHandler = async (row) => {
    const p = row.payload as unknown as EscalationPingPayload | LegacyPingPayload;
    const inc = await service.get(row.incidentId!);
    if (!inc.channelId) throw new Error(`${incidentRef(inc)} has no channel yet`);
    const { users, nobody } = p.actions.length ? await reach(p) : { users: [], nobody: [] };
    await invite(inc.channelId, users);
    if (nobody.length) await sayNobody(inc, p, nobody);
    const msg = renderPing(p, Boolean(inc.ackedAt));
    const res = await deps.caller.call<{ ts: string }>('chat.postMessage', {
      channel: inc.channelId,
      text: msg.text,
      blocks: msg.blocks,
    });
    return { ts: res.ts };
  };

  /** Outbox: a taken ping is edited to say who took it, and its buttons go away. */
  const pingTaken: OutboxHandler = async (row) => {
    const p = row.payload as unknown as PingTakenPayload;
    const msg = renderPingTaken(p);
    await deps.caller.call('chat.update', { channel: p.channel, ts: p.ts, text: msg.text, blocks: msg.blocks });
    return {};
  };

  /** User groups a ping's target names (ids or handles), for "member of the paged group". */
  function pagedGroupsOf(target: string | null): string[] {
    if (!target) return [];
    return resolveTargets(target, config.ESCALATION_TARGETS, { groupIds }).flatMap((t) =>
      t.kind === 'usergroup' ? [mentionKey(t)] : [],
    );
  }

  /**
   * A target that reaches nobody is said loudly: in the incident channel and the announcements channel,
   * and PagerDuty is paged when configured. Deduplicated per timer, so a retried ping says it once.
   */
  async function sayNobody(
    inc: Incident,
    p: EscalationPingPayload | LegacyPingPayload,
    nobody: string[],
  ): Promise<void> {
    const text = renderNobody(inc, p, nobody);
    const rows: OutboxDraft[] = [
      {
        ...slackOp(inc, 'slack.post'),
        dedupeKey: `timer:${p.timerId}:nobody`,
        payload: { text },
      },
      {
        op: 'slack.postIncidents',
        orderingKey: `chan:${config.INCIDENTS_CHANNEL}`,
        incidentId: inc.id,
        dedupeKey: `timer:${p.timerId}:nobody:announce`,
        payload: { text: `${text} (<#${inc.channelId}>)` },
      },
    ];
    if (config.PAGERDUTY_ROUTING_KEY) {
      const timer = await getTimer(db, p.timerId);
      if (timer) rows.push(pagerDutyOp(inc, 'trigger', { source: 'incident-bot', timer }));
    }
    await enqueue(db, rows);
    logger.warn({ incidentId: inc.id, timerId: p.timerId, nobody }, 'escalation target reaches nobody');
    deps.kick();
  }

  /** A ping button: the timer it belongs to, the incident, and the clicked message. */
  const timerAction = (
    actionId: string,
    fn: (timer: TimerRow, incidentId: number, user: string, message: ClickedMessage | null) => Promise<string | null>,
  ) =>
    deps.app.action(actionId, async ({ ack, body, action, respond }) => {
      await ack();
      const log = logger.child({ user: body.user.id, actionId });
      try {
        const timer = await getTimer(db, Number((action as { value?: string }).value));
        if (!timer) throw new UserFacingError('That timer no longer exists.');
        log.setBindings({ incidentId: timer.incidentId, timerId: timer.id });
        const reply = await fn(timer, timer.incidentId, body.user.id, clickedMessage(body));
        if (reply) await respond({ response_type: 'ephemeral', replace_original: false, text: reply });
      } catch (err) {
        await respond({ ...errorReply(err, log), replace_original: false });
      }
    });

  /** Acknowledge / I'm on it on a ping: permission, ack or responder, invite, then the ping says who took it. */
  async function take(
    timer: TimerRow,
    incidentId: number,
    user: string,
    message: ClickedMessage | null,
    via: 'acknowledge' | 'on_it',
  ): Promise<string | null> {
    await service.record(
      incidentId,
      'click',
      user,
      via === 'acknowledge' ? 'clicked Acknowledge on an escalation' : "clicked I'm on it",
      { actionId: via === 'acknowledge' ? TIMER_ACTIONS.acknowledge : TIMER_ACTIONS.onIt, timerId: timer.id },
    );
    const { acknowledged } = await service.takePing(incidentId, user, {
      timerId: timer.id,
      timerText: timer.text,
      via,
      pagedGroups: pagedGroupsOf(timer.target),
    });
    if (message) {
      const payload: PingTakenPayload = { ...message, user, via, acknowledged, at: now().toISOString() };
      await enqueue(db, slackOp({ id: incidentId }, PING_TAKEN_OP, payload as unknown as Record<string, unknown>));
      deps.kick();
    }
    // The ping itself now says who took it (and an acknowledgement has its public line): no private echo.
    return null;
  }

  timerAction(TIMER_ACTIONS.acknowledge, (timer, incidentId, user, message) =>
    take(timer, incidentId, user, message, 'acknowledge'),
  );

  /**
   * Snoozes the incident's paging (permission as for acknowledging), from a ping or `/incident snooze`.
   * Returns null when something was snoozed (the public snoozed notice is the answer), else why not.
   */
  async function snooze(incidentId: number, user: string, minutes: number, timer?: TimerRow): Promise<string | null> {
    const inc = await service.get(incidentId);
    if (inc.status === 'resolved') throw new UserFacingError(`${incidentRef(inc)} is resolved; nothing to snooze.`);
    await service.authorize(inc, 'snooze', user, pagedGroupsOf(timer?.target ?? null));
    const { timers } = await db.tx((q) =>
      snoozeIncidentTimers(q, inc, { actor: user, minutes, now: now(), ...(timer ? { timerId: timer.id } : {}) }),
    );
    deps.kick();
    if (!timers.length && !timer)
      return `Nothing to snooze: no acknowledge or escalation timer of ${incidentRef(inc)} is due in the next ${minutesPhrase(minutes)}.`;
    // The channel's snoozed notice says until when and what is held back: no private echo.
    return null;
  }

  /** Ends a snooze; null when it did (the public notice says so), else why there was nothing to end. */
  async function unsnooze(incidentId: number, user: string): Promise<string | null> {
    const inc = await service.get(incidentId);
    await service.authorize(inc, 'snooze', user);
    const released = await db.tx((q) => endIncidentSnooze(q, inc, { actor: user, reason: 'cancelled', now: now() }));
    deps.kick();
    return released.length ? null : `${incidentRef(inc)} is not snoozed.`;
  }

  timerAction(TIMER_ACTIONS.snooze, async (timer, incidentId, user) => {
    const t = await getTimer(db, timer.id);
    if (!t || t.status === 'cancelled')
      throw new UserFacingError('That timer was cancelled already (acknowledged or resolved).');
    return snooze(incidentId, user, SNOOZE_MINUTES, t);
  });

  deps.app.action('escalation_unsnooze', async ({ ack, body, action, respond }) => {
    await ack();
    try {
      const reply = await unsnooze(Number((action as { value?: string }).value), body.user.id);
      if (reply) await respond({ response_type: 'ephemeral', replace_original: false, text: reply });
    } catch (err) {
      const incidentId = Number((action as { value?: string }).value);
      await respond({ ...errorReply(err, logger.child({ incidentId, user: body.user.id })), replace_original: false });
    }
  });

  deps.extensions.commands.snooze = async (ctx) => {
    if (ctx.cmd.kind !== 'snooze') throw new Error('not a snooze command');
    const inc = await ctx.incident();
    const text = ctx.cmd.off
      ? await unsnooze(inc.id, ctx.userId)
      : await snooze(inc.id, ctx.userId, ctx.cmd.minutes ?? SNOOZE_MINUTES);
    return text ? { response_type: 'ephemeral', text } : null;
  };

  timerAction(TIMER_ACTIONS.onIt, (timer, incidentId, user, message) =>
    take(timer, incidentId, user, message, 'on_it'),
  );

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
    const until = await snoozedUntil(db, incidentId, now());
    return {
      kind: t.kind,
      dueAt: t.dueAt,
      target: t.target,
      targetMention: quiet ? null : mentionOf(t.target),
      origin: clockOrigin(t),
      ...(until ? { snoozedUntil: until } : {}),
    };
  }

  return { nextTimer, handlers: { [ESCALATION_PING_OP]: ping, [PING_TAKEN_OP]: pingTaken } };
}

/**
 * A payload mention as data: new rows carry {@link Mention}s; rows queued before pings were data carry
 * mrkdwn strings (`<@U…>`, `<!subteam^S…>`, `@handle`), read here once.
 */
function mentionFromPayload(m: Mention | string): Mention {
  if (typeof m !== 'string') return m;
  const user = m.match(/^<@([UW][A-Z0-9]+)>$/)?.[1];
  if (user) return { kind: 'user', id: user };
  const id = m.match(/^<!subteam\^([A-Z0-9]+)/)?.[1];
  return id ? { kind: 'usergroup', id } : mentionFor(m);
}

/** Slack errors that mean "nothing to do" when inviting someone. */
const INVITE_OK = new Set([
  'already_in_channel',
  'cant_invite_self',
  'user_not_found',
  'user_is_restricted',
  'cant_invite',
]);

/** Outbox op editing a ping someone took; payload {@link PingTakenPayload}. */
export const PING_TAKEN_OP = 'slack.pingTaken';

/** The ping message a button was clicked on: where it is and its first section's mrkdwn. */
interface ClickedMessage {
  channel: string;
  ts: string;
  text: string;
}

function clickedMessage(body: unknown): ClickedMessage | null {
  const b = body as {
    channel?: { id?: string };
    container?: { channel_id?: string; message_ts?: string };
    message?: { ts?: string; text?: string; blocks?: { type?: string; text?: { text?: string } }[] };
  };
  const channel = b.channel?.id ?? b.container?.channel_id;
  const ts = b.message?.ts ?? b.container?.message_ts;
  if (!channel || !ts) return null;
  const section = b.message?.blocks?.find((x) => x.type === 'section')?.text?.text;
  return { channel, ts, text: section ?? b.message?.text ?? '' };
}
