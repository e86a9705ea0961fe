import type { App } from '@slack/bolt';
import type { Logger } from 'pino';
import type { StormGroupLine } from '../alerts/storm.js';
import { MERGED_AWAY_OP, STORM_SUMMARY_OP, type Storms } from '../alerts/storms.js';
import { ValidationError } from '../errors.js';
import { incidentRef } from '../incidents/model.js';
import type { IncidentService } from '../incidents/service.js';
import { RetryableError } from '../outbox/errors.js';
import type { OutboxHandler } from '../outbox/sender.js';
import type { Db } from '../store/db.js';
import { getIncident } from '../store/incidents.js';
import { enqueue, type OutboxRow } from '../store/outbox.js';
import { getGroupRow, getStorm, groupAlerts, groupCounts, setSummaryPosted } from '../store/storms.js';
import type { Severity } from '../vocabulary.js';
import type { SlackCaller } from './client.js';
import { slackErrorCode } from './client.js';
import { errorReply, type SlackExtensions } from './incident.js';
import { channelOf, incidentOfRow } from './outbox-incident.js';
import {
  DETAIL_ALERTS_SHOWN,
  GROUP_MENU_PATTERN,
  renderGroupDetail,
  renderMergedAway,
  renderStormSummary,
} from './render/storm.js';
import type { SlackMessage } from './render/text.js';

/** Outbox op: one group's alerts, in a thread under the storm summary (asked for from the group's menu). */
export const GROUP_DETAIL_OP = 'slack.stormGroupDetail';

export interface StormSlackDeps {
  app: App;
  db: Db;
  logger: Logger;
  slack: SlackCaller;
  service: IncidentService;
  storms: Storms;
  extensions: SlackExtensions;
  /** Wakes the outbox sender. */
  kick?: () => void;
  post: (channel: string, msg: SlackMessage, extra?: Record<string, unknown>) => Promise<{ ts: string }>;
}

/**
 * Slack side of storms and merges: the summary message (`slack.stormSummary`, posted once and pinned, then
 * edited in place), the pointer line in a folded incident's channel (`slack.mergedAway`), each group's menu
 * (alerts in a thread: `slack.stormGroupDetail`; Split out) and `/incident merge INC-12`. Merging and splitting
 * need what assigning someone else a role needs (auth/policy: the commander or an admin).
 */
export function registerStorms(deps: StormSlackDeps): { handlers: Record<string, OutboxHandler> } {
  const { app, db, slack, service, storms, logger } = deps;

  async function lines(incidentId: number): Promise<StormGroupLine[]> {
    return (await groupCounts(db, incidentId)).map((g) => ({
      groupId: g.groupId,
      groupKey: g.groupKey,
      alertname: g.alertname,
      scope: g.labels.namespace ?? g.labels.service ?? g.labels.job ?? '',
      severity: (g.severity as Severity | null) ?? null,
      firing: g.firing,
      total: g.total,
      firstSeen: g.firstSeen,
      lastSeen: g.lastSeen,
    }));
  }

  /** On a retry after a crash or a lost answer: the summary a previous attempt already posted. */
  async function postedBefore(row: OutboxRow, channel: string, incidentId: number): Promise<string | null> {
    if (row.attempts <= 1 || /rate limited/.test(row.lastError ?? '')) return null;
    const h = await slack.call<{ messages: { ts: string; blocks?: { block_id?: string }[] }[] }>(
      'conversations.history',
      { channel, limit: 200 },
    );
    return h.messages.find((m) => (m.blocks ?? []).some((b) => b.block_id === `storm:${incidentId}`))?.ts ?? null;
  }

  const handlers: Record<string, OutboxHandler> = {
    async [STORM_SUMMARY_OP](row) {
      const inc = await incidentOfRow(db, row);
      const storm = await getStorm(db, inc.id);
      if (!storm) return { skipped: 'not a storm' };
      // A refresh before the first summary is posted waits for it (the first may have been rendered before this
      // refresh's change was stored), then edits it.
      if (!storm.summaryTs && !row.payload.first) throw new RetryableError('storm summary not posted yet', 2);
      const channel = channelOf(inc);
      const at = new Date();
      const msg = renderStormSummary(inc, await lines(inc.id), at);
      let ts = storm.summaryTs ?? (await postedBefore(row, channel, inc.id));
      if (ts) await slack.call('chat.update', { channel, ts, text: msg.text, blocks: msg.blocks });
      else {
        ts = (await deps.post(channel, msg)).ts;
        await setSummaryPosted(db, inc.id, ts, at);
      }
      // The first summary is pinned; a retry after the post (a rate-limited pin) pins it then.
      if (row.payload.first)
        await slack.call('pins.add', { channel, timestamp: ts }).catch((err) => {
          if (slackErrorCode(err) !== 'already_pinned') throw err;
        });
      await setSummaryPosted(db, inc.id, ts, at);
      return { ts };
    },

    async [GROUP_DETAIL_OP](row) {
      const inc = await incidentOfRow(db, row);
      const storm = await getStorm(db, inc.id);
      const group = await getGroupRow(db, Number(row.payload.groupId));
      if (!group || group.incidentId !== inc.id) return { skipped: 'group moved' };
      if (!storm?.summaryTs) throw new RetryableError('storm summary not posted yet', 2);
      const line = (await lines(inc.id)).find((g) => g.groupId === group.id);
      if (!line) return { skipped: 'group moved' };
      const { alerts, total } = await groupAlerts(db, inc.id, group.groupKey, DETAIL_ALERTS_SHOWN);
      const res = await deps.post(channelOf(inc), renderGroupDetail(line, alerts, total), {
        thread_ts: storm.summaryTs,
      });
      return { ts: res.ts };
    },

    async [MERGED_AWAY_OP](row) {
      const inc = await incidentOfRow(db, row);
      if (!inc.channelId) return { skipped: 'no channel: never created' };
      const into = await getIncident(db, Number(row.payload.into));
      if (!into) return { skipped: 'target gone' };
      // The line links the channel it points at; give that channel a little time to exist.
      if (!into.channelId && row.attempts < 5) throw new RetryableError(`${incidentRef(into)} has no channel yet`);
      const res = await deps.post(inc.channelId, renderMergedAway(inc, into, String(row.payload.reason ?? 'merge')));
      return { ts: res.ts };
    },
  };

  app.action(GROUP_MENU_PATTERN, async ({ ack, body, action, respond }) => {
    await ack();
    const user = body.user.id;
    const picked = (action as { selected_option?: { value?: string } }).selected_option?.value ?? '';
    const [what, incRaw, groupRaw] = picked.split(':');
    const incidentId = Number(incRaw);
    const groupId = Number(groupRaw);
    const log = logger.child({ user, incidentId, groupId, actionId: 'storm_group', what });
    try {
      if (!Number.isInteger(incidentId) || !Number.isInteger(groupId))
        throw new ValidationError('This menu does not name an alert group.', 'value');
      const inc = await service.get(incidentId);
      if (what === 'detail') {
        // In the summary's thread, in order with the summary's refreshes (it waits for the first one).
        await enqueue(db, {
          op: GROUP_DETAIL_OP,
          orderingKey: `storm:${incidentId}`,
          incidentId,
          payload: { groupId, user },
        });
        deps.kick?.();
        return;
      }
      if (what !== 'split') throw new ValidationError('Pick an entry of the menu.', 'value');
      await service.authorize(inc, 'assign_other', user);
      const split = await storms.split(incidentId, groupId, user);
      log.info({ into: split.id }, 'alert group split out');
      await respond({
        response_type: 'ephemeral',
        replace_original: false,
        text: `Split out into ${incidentRef(split)}: ${split.title}. Its channel is being created.`,
      });
    } catch (err) {
      await respond({ ...errorReply(err, log), replace_original: false });
    }
  });

  deps.extensions.commands.merge = async (ctx) => {
    const cmd = ctx.cmd;
    if (cmd.kind !== 'merge') throw new Error('merge handler got another command');
    const into = await ctx.incident();
    await service.authorize(into, 'assign_other', ctx.userId);
    const after = await storms.merge(into.id, cmd.from, ctx.userId);
    return {
      response_type: 'in_channel',
      text: `INC-${cmd.from} merged into ${incidentRef(after)} by <@${ctx.userId}>: its alerts are listed here now.`,
    };
  };

  return { handlers };
}
