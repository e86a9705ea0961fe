import type { FollowUp } from '../../incidents/followups.js';
import type { Incident } from '../../incidents/model.js';
import { incidentRef } from '../../incidents/model.js';
import { eventSegments, type Segment, type TimelineEvent } from '../../incidents/timeline.js';
import type { FollowUpRow, StoredEvent } from '../../store/incidents.js';
import { compactDuration, shortMinutes } from '../../time-phrases.js';
import {
  type Block,
  button,
  chunkBlocks,
  context,
  esc,
  mention,
  SEVERITY_EMOJI,
  type SlackMessage,
  STATUS_LABEL,
  section,
  truncate,
} from './text.js';

const EVENT_EMOJI: Record<string, string> = {
  declared: ':rotating_light:',
  acknowledged: ':white_check_mark:',
  status: ':arrows_counterclockwise:',
  severity: ':chart_with_upwards_trend:',
  role: ':bust_in_silhouette:',
  update: ':memo:',
  resolved: ':tada:',
  reopened: ':leftwards_arrow_with_hook:',
  alert_fired: ':fire:',
  alert_resolved: ':large_green_circle:',
  diagnostic: ':mag:',
  denied: ':no_entry:',
  click: ':point_right:',
  escalation: ':mega:',
  statuspage: ':satellite_antenna:',
  runbook: ':book:',
  timer: ':alarm_clock:',
};

/** Segments of a timeline line as mrkdwn: words escaped, people mentioned, commands as code; legacy rows as stored. */
export function segmentsMrkdwn(segments: Segment[]): string {
  return segments
    .map((s) =>
      'text' in s
        ? esc(s.text)
        : 'user' in s
          ? mention(s.user)
          : 'code' in s
            ? `\`${esc(s.code.replace(/`/g, "'"))}\``
            : s.mrkdwn,
    )
    .join('');
}

/** What a timeline event says, as mrkdwn. */
export const eventMrkdwn = (e: TimelineEvent) => segmentsMrkdwn(eventSegments(e));

/**
 * `/incident timeline`: events with time and actor, split over several messages when long. `earlier` is how many
 * older events were left out; the first message says so and where to read them. Pure.
 */
export function renderTimeline(inc: Incident, events: StoredEvent[], earlier = 0): SlackMessage[] {
  const lines = events.map((e) => {
    const t = e.at.toISOString().slice(11, 16);
    const who = e.actor ? ` ${e.actor.startsWith('U') ? mention(e.actor) : esc(e.actor)}` : '';
    return `\`${t}\` ${EVENT_EMOJI[e.kind] ?? '•'}${who} ${truncate(eventMrkdwn(e), 500)}`;
  });
  const blocks: Block[] = [section(`*Timeline of ${incidentRef(inc)}: ${esc(inc.title)}* (UTC)`)];
  if (earlier > 0)
    blocks.push(
      context(
        `Showing the latest ${plural(events.length, 'event')}; ${plural(earlier, 'earlier event')} not shown. All of them: \`incident-bot incidents export ${inc.id} --format json\`, or \`/incident postmortem\` for the decisions.`,
      ),
    );
  let cur = '';
  for (const line of lines) {
    if (cur.length + line.length + 1 > 2900) {
      blocks.push(section(cur));
      cur = '';
    }
    cur += `${line}\n`;
  }
  if (cur) blocks.push(section(cur));
  return chunkBlocks(blocks).map((b, i) => ({
    text: `Timeline of ${incidentRef(inc)}${i ? ` (part ${i + 1})` : ''}`,
    blocks: b,
  }));
}

/** Announcement in #incidents. */
export function renderAnnouncement(inc: Incident): SlackMessage {
  const where = inc.channelId ? `<#${inc.channelId}>` : '(channel being created)';
  const text = `${SEVERITY_EMOJI[inc.severity]} *${incidentRef(inc)} · ${inc.severity}* ${esc(inc.title)} — join ${where}`;
  return {
    text: `${incidentRef(inc)} ${inc.severity}: ${esc(inc.title)}`,
    blocks: [
      section(text),
      context(
        `Declared ${inc.source === 'alert' ? 'by an alert' : `by ${mention(inc.declaredBy)}`}`,
        `Commander: ${mention(inc.commander)}`,
      ),
    ],
  };
}

/** `/incident list` and App Home rows. */
export function incidentLine(inc: Incident, now: Date): string {
  const where = inc.channelId ? `<#${inc.channelId}>` : '';
  const age = compactDuration(now.getTime() - inc.startedAt.getTime());
  return `${SEVERITY_EMOJI[inc.severity]} *${incidentRef(inc)}* ${esc(inc.title)} · ${STATUS_LABEL[inc.status]} · ${age} · commander ${mention(inc.commander)} ${where}`;
}

export function renderList(incidents: Incident[], now: Date): SlackMessage {
  if (!incidents.length) return { text: 'No open incidents.', blocks: [section(':sunny: No open incidents.')] };
  const lines = incidents.slice(0, 40).map((i) => incidentLine(i, now));
  const blocks: Block[] = [section(`*${plural(incidents.length, 'open incident')}*`)];
  let cur = '';
  for (const l of lines) {
    if (cur.length + l.length > 2900) {
      blocks.push(section(cur));
      cur = '';
    }
    cur += `${l}\n`;
  }
  if (cur) blocks.push(section(cur));
  if (incidents.length > 40) blocks.push(context(`…and ${incidents.length - 40} more.`));
  return { text: plural(incidents.length, 'open incident'), blocks };
}

/** A bounded list: at most the rows shown, and how many exist in all. */
export interface Bounded<T> {
  rows: T[];
  total: number;
}

/** What App Home shows a person; each list bounded in its query. */
export interface HomeData {
  mine?: Bounded<Incident>;
  open: Bounded<Incident>;
  resolved?: Bounded<Incident>;
  followups?: Bounded<FollowUpRow>;
}

const more = (list: Bounded<unknown>) =>
  list.total > list.rows.length ? [context(`${list.total - list.rows.length} more.`)] : [];

/** App Home tab: my incidents, open incidents, recently resolved, my follow-ups; each with "N more". Pure. */
export function renderHome(data: HomeData, now: Date): { type: 'home'; blocks: Block[] } {
  const heading = (text: string) => ({ type: 'header', text: { type: 'plain_text', text } });
  const blocks: Block[] = [
    heading('Incidents'),
    {
      type: 'actions',
      block_id: 'home',
      elements: [button('Declare an incident', 'home_declare', 'declare', 'primary')],
    },
  ];
  const list = (title: string, l: Bounded<Incident> | undefined, empty: string) => {
    if (!l) return;
    blocks.push({ type: 'divider' }, heading(title));
    if (!l.rows.length) blocks.push(context(empty));
    for (const i of l.rows) blocks.push(section(incidentLine(i, now)));
    blocks.push(...more(l));
  };
  list('Mine', data.mine, 'No open incident where you are commander or comms.');
  list('Open', data.open, ':sunny: No open incidents.');
  list('Recently resolved', data.resolved, 'Nothing resolved yet.');
  if (data.followups) {
    blocks.push({ type: 'divider' }, heading('My follow-ups'));
    if (!data.followups.rows.length)
      blocks.push(
        context('Nothing assigned to you. `/incident followup <what to do>` in an incident channel records one.'),
      );
    else
      blocks.push(
        section(
          truncate(
            data.followups.rows.map((f) => `• *INC-${f.incidentId}* ${esc(truncate(f.text, 200))}`).join('\n'),
            2900,
          ),
        ),
      );
    blocks.push(...more(data.followups));
  }
  return { type: 'home', blocks: blocks.slice(0, 100) };
}

export const HELP_TEXT = [
  '*`/incident` commands*',
  '• `declare P1 <title>`: open an incident (bare `declare` opens a form)',
  '• `status [investigating|identified|monitoring]`: show or change the status',
  '• `update <text>`: post a status update',
  '• `severity P2`: change the severity',
  '• `assign @user commander|comms|scribe`: hand out a role (also `role comms @user`)',
  '• `ack`: acknowledge (stops the acknowledge timers)',
  '• `resolve [summary]`: resolve the incident',
  '• `timeline`: show everything that happened',
  '• `timers`: pending and fired escalation timers',
  '• `snooze [minutes]` / `snooze off`: pause paging (acknowledge and escalation timers) for a while',
  '• `runbook [alertname]`: post the runbook again, or another one',
  '• `statuspage`: draft a status-page update',
  '• `postmortem`: Markdown postmortem draft (after resolve)',
  '• `followup [@owner] <text>`: record an action item (yours unless you name an owner)',
  '• `followups`: the follow-ups of this incident',
  '• `merge INC-12`: fold INC-12 (its alerts and groups) into this incident',
  '• `list`: open incidents',
  'Inside an incident channel the commands act on that incident; elsewhere add its number, e.g. `/incident ack 12`.',
].join('\n');

export function renderHelp(prefix?: string): SlackMessage {
  const text = prefix ? `${prefix}\n\n${HELP_TEXT}` : HELP_TEXT;
  return { text, blocks: [section(text)] };
}

/** An alert joining or leaving an incident, posted in its channel. */
export function renderAlertChange(
  kind: 'fired' | 'resolved',
  alertname: string,
  labels: Record<string, string>,
): SlackMessage {
  const scope = ['namespace', 'service', 'pod', 'instance']
    .filter((k) => labels[k])
    .map((k) => `${k}=${esc(labels[k]!)}`)
    .join(' ');
  const text =
    kind === 'fired'
      ? `:fire: Alert *${esc(alertname)}* is firing${scope ? ` (${scope})` : ''}`
      : `:large_green_circle: Alert *${esc(alertname)}* resolved${scope ? ` (${scope})` : ''}`;
  return { text: text.replace(/\*/g, ''), blocks: [section(text)] };
}

export function renderAllResolved(inc: Incident, autoResolveMinutes: number): SlackMessage {
  const auto =
    autoResolveMinutes > 0
      ? ` The incident resolves itself in ${shortMinutes(autoResolveMinutes)} if nothing fires again.`
      : '';
  return {
    text: 'All alerts resolved',
    blocks: [
      section(`:large_green_circle: *All alerts of ${incidentRef(inc)} have resolved.*${auto}`),
      {
        type: 'actions',
        block_id: `resolve_offer:${inc.id}`,
        elements: [button('Resolve incident', 'incident_resolve', String(inc.id), 'primary')],
      },
    ],
  };
}

/** `/incident followups`: the incident's action items with their owners. */
export function renderFollowups(inc: Incident, items: FollowUp[]): SlackMessage {
  if (!items.length) {
    const text = `No follow-ups on ${incidentRef(inc)} yet. Record one with \`/incident followup @owner <text>\`.`;
    return { text, blocks: [section(text)] };
  }
  const head = `*${plural(items.length, 'follow-up')} on ${incidentRef(inc)}*`;
  const lines = items.slice(0, 50).map((f) => `• <@${f.owner}>: ${esc(truncate(f.text, 300))}`);
  if (items.length > 50) lines.push(`…and ${items.length - 50} more in \`incident-bot incidents export ${inc.id}\`.`);
  const text = `${head}\n${lines.join('\n')}`;
  return {
    text: `${plural(items.length, 'follow-up')} on ${incidentRef(inc)}`,
    blocks: [section(truncate(text, 2900))],
  };
}

/** "1 follow-up", "3 follow-ups". */
export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
