import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { AnnouncementStorm } from '../incidents/announcement.js';
import type { Incident } from '../incidents/model.js';
import { incidentRef, Notice } from '../incidents/model.js';
import { channelName, withSuffix } from '../incidents/naming.js';
import type { IncidentService } from '../incidents/service.js';
import { PermanentError } from '../outbox/errors.js';
import type { OutboxHandler } from '../outbox/sender.js';
import { alertSummary, alertsById, getAlertGroup, oldestAlert } from '../store/alerts.js';
import { getAnnouncement, setAnnouncement } from '../store/announcements.js';
import type { Db } from '../store/db.js';
import { getIncident, getIncidentByChannel, setIncidentFields } from '../store/incidents.js';
import { enqueue, type OutboxRow } from '../store/outbox.js';
import { mergedInto } from '../store/storms.js';
import { type SlackCaller, slackErrorCode } from './client.js';
import { channelOf, incidentOfRow } from './outbox-incident.js';
import { recurrenceText } from './render/alerts.js';
import { type NextTimer, renderHeader } from './render/header.js';
import { renderAlertChange, renderAllResolved, renderAnnouncement } from './render/messages.js';
import { renderNotice } from './render/notices.js';
import { renderNoRunbook, renderRunbook, type ShownTimer } from './render/runbook.js';
import { esc, type SlackMessage } from './render/text.js';

export interface IncidentOutboxDeps {
  db: Db;
  config: Config;
  logger: Logger;
  slack: SlackCaller;
  incidents: IncidentService;
  /** The next pending timer of an incident, for the header countdown. */
  nextTimer?: (incidentId: number) => Promise<NextTimer | null>;
  /** Timers shown with the runbook (as scheduled for the incident). */
  runbookTimers: (incidentId: number) => Promise<ShownTimer[]>;
  /** Slack user ids in a user group, by handle. */
  groupMembers: (handle: string) => Promise<string[]>;
  /**
   * The storm scope shown on a storm incident's announcement ("Storm: 120 alert groups in cluster X / namespace
   * Y"), or null for an ordinary incident. Supplied by the storm code; absent, no announcement mentions a storm.
   * Called each time the announcement is rendered (post and every edit). To refresh the announcement when the
   * scope changes, enqueue `enqueueAnnouncementUpdate` (incidents/service.ts) in the same transaction.
   */
  stormOf?: (inc: Incident) => Promise<AnnouncementStorm | null>;
}

/** Slack handlers of the outbox: each renders from the current incident state, so a retry sends fresh data. */
export function createIncidentOutbox(deps: IncidentOutboxDeps) {
  const { db, config, slack } = deps;
  let botUserId: string | null = null;
  const channelIds = new Map<string, Promise<string>>();
  const topics = new Map<string, string>();

  const botUser = async () => {
    if (!botUserId) botUserId = String((await slack.call<{ user_id: string }>('auth.test', {})).user_id);
    return botUserId;
  };

  const load = (row: OutboxRow): Promise<Incident> => incidentOfRow(db, row);

  /** Posts a message; if Slack rejects the blocks, the text alone still gets through. */
  async function post(channel: string, msg: SlackMessage, extra: Record<string, unknown> = {}, incidentId?: number) {
    try {
      return await slack.call<{ ts: string; channel: string }>('chat.postMessage', {
        channel,
        text: msg.text,
        blocks: msg.blocks,
        unfurl_links: false,
        ...extra,
      });
    } catch (err) {
      if (slackErrorCode(err) !== 'invalid_blocks') throw err;
      deps.logger.error({ err, channel, incidentId }, 'Slack rejected our blocks; sending text only');
      return slack.call<{ ts: string; channel: string }>('chat.postMessage', { channel, text: msg.text, ...extra });
    }
  }

  /** A channel id by name (#incidents), joining it so the bot may post there. */
  function channelByName(name: string): Promise<string> {
    const clean = name.replace(/^#/, '');
    // One lookup even when many incidents announce at once; a failed lookup is forgotten and tried again.
    let id = channelIds.get(clean);
    if (!id) {
      id = lookupAndJoin(clean);
      channelIds.set(clean, id);
      id.catch(() => channelIds.delete(clean));
    }
    return id;
  }

  async function lookupAndJoin(name: string): Promise<string> {
    const found = await findChannel(name);
    if (!found) throw new PermanentError(`channel #${name} not found; create it or set INCIDENTS_CHANNEL`);
    await slack.call('conversations.join', { channel: found.id }).catch((err) => {
      if (slackErrorCode(err) !== 'method_not_supported_for_channel_type') throw err;
    });
    return found.id;
  }

  async function findChannel(name: string): Promise<{ id: string; creator?: string } | null> {
    let cursor: string | undefined;
    do {
      const page = await slack.call<{
        channels: { id: string; name: string; creator?: string }[];
        response_metadata?: { next_cursor?: string };
      }>('conversations.list', { limit: 1000, exclude_archived: false, types: 'public_channel', cursor });
      const hit = page.channels.find((c) => c.name === name);
      if (hit) return hit;
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor);
    return null;
  }

  /**
   * On a retry only: the message a previous attempt already posted (the process may have died after
   * Slack answered and before we stored the ts), so a crash never leaves a duplicate behind.
   */
  async function alreadyPosted(
    row: OutboxRow,
    channel: string,
    isIt: (m: PostedMessage) => boolean,
  ): Promise<string | null> {
    // A 429 means Slack did nothing: only a crash or a lost answer can have left a message behind.
    if (row.attempts <= 1 || /rate limited/.test(row.lastError ?? '')) return null;
    const me = await botUser();
    const h = await slack.call<{ messages: PostedMessage[] }>('conversations.history', { channel, limit: 200 });
    return h.messages.find((m) => m.user === me && isIt(m))?.ts ?? null;
  }

  /** Set once: the pinned header is the live state, so the topic never changes (no "set the topic" noise). */
  function topicOf(inc: Incident): string {
    const head = `${incidentRef(inc)} · declared ${inc.severity}: `;
    const tail = ' · live status, roles and buttons in the pinned header';
    const room = 250 - head.length - tail.length;
    // No Slack entities from a typed or alert title in the topic (no <!channel> or <@U…> there).
    const title = inc.title.replace(/[<>]/g, '');
    return `${head}${title.length > room ? `${title.slice(0, room - 1)}…` : title}${tail}`;
  }

  async function setTopic(inc: Incident) {
    const channel = channelOf(inc);
    const topic = topicOf(inc);
    if (topics.has(channel)) return;
    await slack.call('conversations.setTopic', { channel, topic });
    topics.set(channel, topic);
  }

  async function headerMessage(inc: Incident): Promise<SlackMessage> {
    const alerts = await alertSummary(db, inc.id, 10);
    const group = await getAlertGroup(db, inc.id);
    const previous = group?.previousIncidentId ? await getIncident(db, group.previousIncidentId) : null;
    const match = deps.incidents.currentRunbook(inc);
    return renderHeader(inc, {
      now: new Date(),
      alerts: alerts.shown,
      alertCounts: { firing: alerts.firing, total: alerts.total },
      truncatedAlerts: group?.truncatedAlerts ?? 0,
      source: group,
      recurrence: previous ? recurrenceText(previous, new Date()) : null,
      runbookTitle: match?.section.title ?? null,
      nextTimer: (await deps.nextTimer?.(inc.id)) ?? null,
    });
  }

  /**
   * The announcement as the incident is now, with the storm's scope when it is a storm incident, or the incident
   * it was merged into (`mergedInto`, an incident number) once folded.
   */
  async function announcementMessage(inc: Incident, mergedInto: number | null = null): Promise<SlackMessage> {
    if (mergedInto !== null) return renderAnnouncement(inc, { mergedInto });
    return renderAnnouncement(inc, { storm: (await deps.stormOf?.(inc)) ?? null });
  }

  /** Posts the announcement afresh in the announcements channel and remembers where. */
  async function postAnnouncement(row: OutboxRow, inc: Incident, msg: SlackMessage) {
    const channel = await channelByName(config.INCIDENTS_CHANNEL);
    const done = await alreadyPosted(row, channel, (m) => isAnnouncement(m, inc));
    const ts = done ?? (await post(channel, msg, {}, inc.id)).ts;
    await setAnnouncement(db, inc.id, { channelId: channel, ts });
    return ts;
  }

  /**
   * Edits the incident's announcement to show `inc` (chat.update on its stored ts). Without a stored ts (announced
   * before migration 032, or a crash between posting and storing) it looks for the message in the channel's recent
   * history once, and otherwise posts it; later edits then find it. A message that is gone (deleted, its channel
   * archived) is posted again. Other Slack errors are thrown: 429 and 5xx retry the row, the edit is not dropped.
   */
  async function editAnnouncement(row: OutboxRow, inc: Incident) {
    const merged = inc.status === 'resolved' ? await mergedInto(db, inc.id) : null;
    const msg = await announcementMessage(inc, merged);
    let ref = await getAnnouncement(db, inc.id);
    // Folded into a storm before it was ever announced: the storm's announcement speaks for it.
    if (!ref && merged !== null) return { skipped: 'merged before it was announced' };
    if (!ref) {
      const channel = await channelByName(config.INCIDENTS_CHANNEL);
      const me = await botUser();
      const h = await slack.call<{ messages: PostedMessage[] }>('conversations.history', { channel, limit: 200 });
      const found = h.messages.find((m) => m.user === me && isAnnouncement(m, inc))?.ts;
      if (!found) return { ts: await postAnnouncement(row, inc, msg), posted: true };
      ref = { channelId: channel, ts: found };
      await setAnnouncement(db, inc.id, ref);
    }
    try {
      await slack.call('chat.update', { channel: ref.channelId, ts: ref.ts, text: msg.text, blocks: msg.blocks });
      return { ts: ref.ts };
    } catch (err) {
      const code = slackErrorCode(err);
      if (!code || !GONE.includes(code)) throw err;
      deps.logger.warn({ incidentId: inc.id, code }, 'announcement gone; posting it again');
      return { ts: await postAnnouncement(row, inc, msg), reposted: code };
    }
  }

  const handlers: Record<string, OutboxHandler> = {
    async 'slack.createChannel'(row) {
      const inc = await load(row);
      if (inc.channelId) return { channel: inc.channelId, reused: true };
      // Folded into a storm or merged while this call was being tried: its channel is never made.
      if (inc.status === 'resolved' && (await mergedInto(db, inc.id)) !== null) return { skipped: 'merged' };
      const me = await botUser();
      const base = channelName(inc);
      // The number makes the name unique; a suffix only when a stranger (or an earlier database) has it.
      const names = [base, ...[2, 3, 4].map((n) => withSuffix(base, n))];
      for (const name of names) {
        try {
          const res = await slack.call<{ channel: { id: string; name: string } }>('conversations.create', {
            name,
            is_private: false,
          });
          await setIncidentFields(db, inc.id, { channelId: res.channel.id, channelName: res.channel.name });
          return { channel: res.channel.id, name };
        } catch (err) {
          if (slackErrorCode(err) !== 'name_taken') throw err;
          // A channel we created before a crash, not yet recorded: adopt it instead of making a duplicate.
          const existing = await findChannel(name);
          if (existing && existing.creator === me && !(await getIncidentByChannel(db, existing.id))) {
            await setIncidentFields(db, inc.id, { channelId: existing.id, channelName: name });
            return { channel: existing.id, name, adopted: true };
          }
        }
      }
      throw new PermanentError(`no free channel name for ${base}`);
    },

    async 'slack.setupChannel'(row) {
      const inc = await load(row);
      const channel = channelOf(inc);
      const first =
        !topics.has(channel) &&
        row.payload.inviteGroups !== undefined &&
        (row.payload.inviteGroups as string[]).length > 0;
      await setTopic(inc);
      if (first) {
        await slack.call('conversations.setPurpose', {
          channel,
          purpose: `${incidentRef(inc)}: ${inc.title}`.slice(0, 250),
        });
      }
      const me = await botUser();
      const users = new Set((row.payload.inviteUsers as string[] | undefined) ?? []);
      for (const g of (row.payload.inviteGroups as string[] | undefined) ?? []) {
        for (const u of await deps.groupMembers(g)) users.add(u);
      }
      users.delete(me);
      const invited: string[] = [];
      for (const u of users) {
        try {
          await slack.call('conversations.invite', { channel, users: u });
          invited.push(u);
        } catch (err) {
          const code = slackErrorCode(err);
          if (
            !code ||
            !['already_in_channel', 'cant_invite_self', 'user_not_found', 'user_is_restricted', 'cant_invite'].includes(
              code,
            )
          )
            throw err;
        }
      }
      return { invited };
    },

    async 'slack.postHeader'(row) {
      const inc = await load(row);
      const channel = channelOf(inc);
      let ts = inc.headerTs ?? (await alreadyPosted(row, channel, (m) => hasBlock(m, `header:${inc.id}`)));
      if (!ts) ts = (await post(channel, await headerMessage(inc))).ts;
      if (ts !== inc.headerTs) await setIncidentFields(db, inc.id, { headerTs: ts });
      // Pinning is retried on its own: a 429 here must not leave the header unpinned.
      await slack.call('pins.add', { channel, timestamp: ts }).catch((err) => {
        if (slackErrorCode(err) !== 'already_pinned') throw err;
      });
      return { ts };
    },

    async 'slack.updateHeader'(row) {
      // Only the newest pending header refresh matters; older ones are skipped.
      const later = await db.query(
        "SELECT 1 FROM outbox WHERE ordering_key = $1 AND op = 'slack.updateHeader' AND id > $2 AND status = 'pending' LIMIT 1",
        [row.orderingKey, row.id],
      );
      if (later.rows.length) return { skipped: 'superseded' };
      const inc = await load(row);
      if (!inc.headerTs || !inc.channelId) return { skipped: 'no header yet' };
      const msg = await headerMessage(inc);
      await slack.call('chat.update', { channel: inc.channelId, ts: inc.headerTs, text: msg.text, blocks: msg.blocks });
      return { ts: inc.headerTs };
    },

    async 'slack.postRunbook'(row) {
      const inc = await load(row);
      const channel = channelOf(inc);
      // A storm posts each distinct runbook of its groups once: the row names it (alerts/storms.ts).
      const named = row.payload.runbookSource
        ? { ...inc, runbookSource: String(row.payload.runbookSource), runbookId: String(row.payload.runbookId) }
        : inc;
      const match = deps.incidents.currentRunbook(named);
      if (!match) {
        await post(channel, renderNoRunbook((row.payload.alertname as string | null) ?? null));
        return { runbook: null };
      }
      const timers = await deps.runbookTimers(inc.id);
      // The lead alert fills the commands' placeholders and supplies its runbook_url link.
      const lead = await oldestAlert(db, inc.id);
      const alert = lead
        ? {
            alertname: (row.payload.alertname as string | null) ?? lead.alertname,
            labels: lead.labels,
            annotations: lead.annotations,
          }
        : undefined;
      const [first, ...rest] = renderRunbook(match.section, match.document, inc, { timers, alert });
      const parent =
        (await alreadyPosted(row, channel, (m) => m.text === first!.text)) ?? (await post(channel, first!)).ts;
      // The thread parts go out as rows of their own, so a retry never posts the first part twice.
      await enqueue(
        db,
        rest.map((m, i) => ({
          op: 'slack.post',
          orderingKey: row.orderingKey,
          incidentId: inc.id,
          payload: { text: m.text, blocks: m.blocks, threadTs: parent },
          dedupeKey: `runbook:${row.id}:${i}`,
        })),
      );
      return { ts: parent, parts: rest.length + 1 };
    },

    async 'slack.announce'(row) {
      const inc = await load(row);
      // Already there: a retry after the ts was stored, or an edit that had to post it first.
      const known = await getAnnouncement(db, inc.id);
      if (known) return { ts: known.ts, reused: true };
      const channel = await channelByName(config.INCIDENTS_CHANNEL);
      const msg = await announcementMessage(inc);
      const done = await alreadyPosted(row, channel, (m) => isAnnouncement(m, inc) || m.text === msg.text);
      const ts = done ?? (await post(channel, msg, {}, inc.id)).ts;
      await setAnnouncement(db, inc.id, { channelId: channel, ts });
      return done ? { ts, reused: true } : { ts };
    },

    async 'slack.announceUpdate'(row) {
      // Claimed, so a change from here on enqueues an edit of its own. The locked read waits for any transaction
      // that folded its request into this row (it holds the incident row until it commits), so this edit shows it.
      const later = await db.query(
        "SELECT 1 FROM outbox WHERE ordering_key = $1 AND op = 'slack.announceUpdate' AND id > $2 AND status = 'pending' LIMIT 1",
        [row.orderingKey, row.id],
      );
      if (later.rows.length) return { skipped: 'superseded' };
      const inc = row.incidentId ? await getIncident(db, row.incidentId, true) : null;
      if (!inc) throw new PermanentError(`incident ${row.incidentId} not found`);
      return editAnnouncement(row, inc);
    },

    // Queued by earlier versions, which posted a separate line at resolve; the announcement is edited instead.
    async 'slack.announceResolved'(row) {
      return editAnnouncement(row, await load(row));
    },

    async 'slack.post'(row) {
      const inc = await load(row);
      const p = row.payload as { text: string; blocks?: unknown[]; threadTs?: string };
      const res = await post(
        channelOf(inc),
        {
          text: p.text,
          blocks: (p.blocks as never) ?? [{ type: 'section', text: { type: 'mrkdwn', text: p.text.slice(0, 3000) } }],
        },
        p.threadTs ? { thread_ts: p.threadTs } : {},
        inc.id,
      );
      return { ts: res.ts };
    },

    async 'slack.notice'(row) {
      const inc = await load(row);
      const res = await post(channelOf(inc), renderNotice(inc, Notice.parse(row.payload.notice)), {}, inc.id);
      return { ts: res.ts };
    },

    async 'slack.postIncidents'(row) {
      const text = String(row.payload.text ?? '');
      const channel = await channelByName(config.INCIDENTS_CHANNEL);
      await post(channel, { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } }] });
    },

    async 'slack.alertChange'(row) {
      const inc = await load(row);
      const id = Number(row.payload.alertId);
      // Still this incident's (a storm may have taken it since): one row, not every alert of the incident.
      const [alert] = Number.isInteger(id) ? (await alertsById(db, [id])).filter((a) => a.incidentId === inc.id) : [];
      if (!alert) return { skipped: 'alert gone' };
      await post(
        channelOf(inc),
        renderAlertChange(row.payload.kind as 'fired' | 'resolved', alert.alertname, alert.labels),
      );
    },

    async 'slack.allResolved'(row) {
      const inc = await load(row);
      if (inc.status === 'resolved') return { skipped: 'already resolved' };
      await post(channelOf(inc), renderAllResolved(inc, config.AUTO_RESOLVE_MINUTES));
    },

    async 'slack.digest'(row) {
      const r = await db.query<Record<string, unknown>>(
        'SELECT alertname, labels, annotations FROM alerts WHERE id = $1',
        [row.payload.alertId],
      );
      const a = r.rows[0];
      if (!a) return { skipped: 'alert gone' };
      const ann = (a.annotations as Record<string, string>) ?? {};
      const labels = (a.labels as Record<string, string>) ?? {};
      const scope = labels.namespace ?? labels.service ?? labels.instance ?? '';
      const text = `:information_source: *${esc(String(a.alertname))}*${scope ? ` (${esc(scope)})` : ''}: ${esc(ann.summary ?? ann.description ?? 'info alert firing')}`;
      const channel = await channelByName(config.INCIDENTS_CHANNEL);
      await post(channel, {
        text: text.replace(/\*/g, ''),
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } }],
      });
    },
  };

  return { handlers, post, channelByName, botUser };
}

interface PostedMessage {
  ts: string;
  user?: string;
  text: string;
  blocks?: { block_id?: string }[];
}

const hasBlock = (m: PostedMessage, blockId: string) => (m.blocks ?? []).some((b) => b.block_id === blockId);

/** chat.update errors that mean the announcement cannot be edited any more, so it is posted again. */
const GONE = ['message_not_found', 'channel_not_found', 'is_archived', 'cant_update_message'];

/**
 * Our announcement of `inc`: its block id, or the text announcements had before they were edited in place
 * ("INC-7 P2: Checkout slow").
 */
const isAnnouncement = (m: PostedMessage, inc: Incident) =>
  hasBlock(m, `announce:${inc.id}`) || (m.text.startsWith(`${incidentRef(inc)} P`) && /^INC-\d+ P\d: /.test(m.text));
