import type { OnCallNow } from '../../escalation/oncall.js';
import type { AnnouncementStorm } from '../../incidents/announcement.js';
import type { FollowUp } from '../../incidents/followups.js';
import type { Incident } from '../../incidents/model.js';
import { incidentRef } from '../../incidents/model.js';
import { eventSegments, type Segment, type TimelineEvent } from '../../incidents/timeline.js';
import type { FollowUpRow, StoredEvent } from '../../store/incidents.js';
import { compactDuration, shortMinutes, utcClock } from '../../time-phrases.js';
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
  slackDate,
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
    const t = utcClock(e.at, 'time');
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

/**
 * The announcement of an incident in the announcements channel (INCIDENTS_CHANNEL): one message per incident,
 * edited in place as the incident changes, so the channel reads as a current list. Shows severity, title, the
 * incident channel, status, commander, who declared it, when it started (Slack's local-time date, so it never
 * goes stale between edits), how long acknowledging took, and once resolved "resolved after 42 min" (durations
 * from time-phrases.ts). A storm incident also says "Storm: 120 alert groups in cluster X / namespace Y"
 * (`opts.storm`, see incidents/announcement.ts); one merged into another (a storm, `/incident merge INC-9`) says
 * "merged into INC-9" (`opts.mergedInto`, that incident's number). The block id `announce:<id>` finds the message again after a
 * crash. Pure.
 */
export function renderAnnouncement(
  inc: Incident,
  opts: { storm?: AnnouncementStorm | null; mergedInto?: number | null } = {},
): SlackMessage {
  const ref = incidentRef(inc);
  const resolved = inc.status === 'resolved';
  const where = inc.channelId ? `<#${inc.channelId}>` : '(channel being created)';
  if (opts.mergedInto != null) {
    const into = incidentRef({ id: opts.mergedInto });
    return {
      text: `${ref} ${inc.severity}: ${esc(inc.title)} · merged into ${into}`,
      blocks: [
        section(`:twisted_rightwards_arrows: *${ref} · ${inc.severity}* ${esc(inc.title)} — merged into *${into}*`, {
          block_id: `announce:${inc.id}`,
        }),
      ],
    };
  }
  const took = resolved && inc.resolvedAt ? sinceStart(inc, inc.resolvedAt) : null;
  const lead = resolved ? ':white_check_mark:' : SEVERITY_EMOJI[inc.severity];
  const head = resolved
    ? `${lead} *${ref} · ${inc.severity}* ${esc(inc.title)} — ${took ? `resolved after ${took}` : 'resolved'} · ${where}`
    : `${lead} *${ref} · ${inc.severity}* ${esc(inc.title)} — join ${where}`;
  const storm = opts.storm ? `\n:thunder_cloud_and_rain: ${stormLine(opts.storm)}` : '';
  const ack =
    inc.ackedAt && !resolved
      ? `Acknowledged${inc.ackedBy ? ` by ${mention(inc.ackedBy)}` : ''} after ${sinceStart(inc, inc.ackedAt)}`
      : !resolved
        ? 'Not acknowledged yet'
        : null;
  const facts = [
    STATUS_LABEL[inc.status]!,
    `Commander: ${mention(inc.commander)}`,
    ...(ack ? [ack] : []),
    `Started ${slackDate(inc.startedAt)}`,
    `Declared ${inc.source === 'alert' ? 'by an alert' : `by ${mention(inc.declaredBy)}`}`,
  ];
  const status = resolved ? (took ? `resolved after ${took}` : 'resolved') : inc.status;
  return {
    text: `${ref} ${inc.severity}: ${esc(inc.title)} · ${status}${opts.storm ? ` · ${stormLine(opts.storm)}` : ''}`,
    blocks: [section(`${head}${storm}`, { block_id: `announce:${inc.id}` }), context(facts.join(' · '))],
  };
}

/** "42 min", "1 h 30 min", "20 s", "0 min": from the start of an incident to `at` ("resolved after …", "acknowledged after …"). */
function sinceStart(inc: Incident, at: Date): string {
  const ms = at.getTime() - inc.startedAt.getTime();
  // Under half a second would round to "0 s", which date-fns leaves out (an empty string).
  return shortMinutes(ms < 500 ? 0 : ms / 60_000);
}

/**
 * "Storm: 120 alert groups in cluster prod-eu / namespace shop", "… / 3 namespaces (a, b, c)", "… in cluster
 * prod-eu" (no namespace in the key). At most 5 namespaces are named. Pure.
 */
export function stormLine(s: AnnouncementStorm): string {
  const groups = plural(s.groups, 'alert group');
  const ns = s.namespaces;
  const named = ns.slice(0, 5).map(esc).join(', ') + (ns.length > 5 ? ', …' : '');
  const parts = [
    s.cluster ? `cluster ${esc(s.cluster)}` : '',
    ns.length === 1 ? `namespace ${named}` : ns.length > 1 ? `${ns.length} namespaces (${named})` : '',
  ].filter(Boolean);
  return `Storm: ${groups}${parts.length ? ` in ${parts.join(' / ')}` : ''}`;
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
  /** On-call rotations with who is in them now (escalation/oncall.ts). */
  oncall?: Bounded<OnCallNow>;
}

/** People named per on-call rotation on App Home; the rest are counted. */
const ONCALL_NAMES = 10;

/** One rotation: "• @sre-oncall (default; payments, shop): <@U1>, <@U2> and 3 more". */
function onCallLine(r: OnCallNow): string {
  const covers = [r.isDefault ? 'default' : null, r.teams.length ? r.teams.map(esc).join(', ') : null]
    .filter(Boolean)
    .join('; ');
  const head = `• *@${esc(r.handle)}*${covers ? ` (${covers})` : ''}`;
  if (r.members === null)
    return `${head}: _no such user group in this workspace; check ONCALL_GROUPS / DEFAULT_ONCALL_GROUP_`;
  if (!r.members.length) return `${head}: _nobody: the user group is empty_`;
  const shown = r.members.slice(0, ONCALL_NAMES).map((u) => `<@${u}>`);
  const rest = r.members.length - shown.length;
  return `${head}: ${shown.join(', ')}${rest > 0 ? ` and ${rest} more` : ''}`;
}

const more = (list: Bounded<unknown>) =>
  list.total > list.rows.length ? [context(`${list.total - list.rows.length} more.`)] : [];

/**
 * App Home tab: my incidents, open incidents, recently resolved, my follow-ups, who is on call now; each
 * with "N more". Pure.
 */
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
        context('Nothing assigned to you. `/incident followup &lt;what to do&gt;` in an incident channel records one.'),
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
  if (data.oncall) {
    blocks.push({ type: 'divider' }, heading('On call now'));
    if (!data.oncall.rows.length)
      blocks.push(context('No on-call user group is configured (DEFAULT_ONCALL_GROUP, ONCALL_GROUPS).'));
    for (const r of data.oncall.rows) blocks.push(section(truncate(onCallLine(r), 2900)));
    blocks.push(...more(data.oncall));
  }
  return { type: 'home', blocks: blocks.slice(0, 100) };
}

export const HELP_TEXT = [
  '*`/incident` commands*',
  '• `declare P1 &lt;title&gt;`: open an incident (bare `declare` opens a form)',
  '• `status [investigating|identified|monitoring]`: show or change the status',
  '• `update &lt;text&gt;`: post a status update',
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
  '• `followup [@owner] &lt;text&gt;`: record an action item (yours unless you name an owner)',
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
    const text = `No follow-ups on ${incidentRef(inc)} yet. Record one with \`/incident followup @owner &lt;text&gt;\`.`;
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
