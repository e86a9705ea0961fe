import { type Incident, incidentRef } from '../../incidents/model.js';
import { compactDuration, shortMinutes } from '../../time-phrases.js';
import { alertCountLine, alertLinkButtons, alertLinksText, sourceLine } from './alerts.js';
import {
  type Block,
  button,
  context,
  esc,
  header,
  mention,
  SEVERITY_EMOJI,
  type SlackMessage,
  STATUS_LABEL,
  slackDate,
  truncate,
} from './text.js';

export interface HeaderAlert {
  alertname: string;
  status: 'firing' | 'resolved';
  generatorUrl: string | null;
  /** runbook / generator / silence / dashboard / panel links of the alert. */
  links?: Record<string, string>;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface NextTimer {
  kind: string;
  dueAt: Date;
  target: string | null;
  /** Slack mention of the target when mapped, e.g. <!subteam^S0…|@sre-seniors>. */
  targetMention: string | null;
  /** Where its clock came from, in words (slack/render/escalation.ts clockOrigin). */
  origin?: string | null;
  /** Paging is snoozed until then (acknowledge/escalation timers held back). */
  snoozedUntil?: Date;
}

export interface HeaderContext {
  now: Date;
  alerts: HeaderAlert[];
  runbookTitle: string | null;
  nextTimer: NextTimer | null;
  /** All alerts of the incident, when `alerts` lists only some of them. */
  alertCounts?: { firing: number; total: number };
  /** Alerts the sender left out of its last notification (Alertmanager truncatedAlerts). */
  truncatedAlerts?: number;
  /** Where the alerts come from: cluster and sender. */
  source?: { sender: string; externalUrl: string; cluster: string } | null;
  /** "Recurrence of INC-12, resolved 20 minutes ago". */
  recurrence?: string | null;
}

/** The pinned incident header, kept current with chat.update. Pure. */
export function renderHeader(inc: Incident, ctx: HeaderContext): SlackMessage {
  const ref = incidentRef(inc);
  const open = inc.status !== 'resolved';
  const end = inc.resolvedAt ?? ctx.now;
  const blocks: Block[] = [
    header(`${ref}: ${inc.title}`),
    {
      type: 'section',
      fields: [
        `*Severity*\n${SEVERITY_EMOJI[inc.severity]} ${inc.severity}`,
        `*Status*\n${STATUS_LABEL[inc.status]}`,
        `*Commander*\n${mention(inc.commander)}`,
        `*Comms*\n${mention(inc.commsLead)}`,
        `*Started*\n${slackDate(inc.startedAt)}`,
        `*${open ? 'Duration so far' : 'Duration'}*\n${compactDuration(end.getTime() - inc.startedAt.getTime())}`,
      ].map((t) => ({ type: 'mrkdwn', text: t })),
    },
  ];
  if (inc.description)
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(esc(inc.description), 2900) } });

  const facts: string[] = [];
  if (inc.ackedAt)
    facts.push(`:white_check_mark: Acknowledged by ${mention(inc.ackedBy)} ${slackDate(inc.ackedAt, '{time}')}`);
  else if (open) facts.push(':warning: *Not acknowledged yet*');
  if (ctx.runbookTitle) facts.push(`:book: Runbook: ${esc(ctx.runbookTitle)}`);
  if (ctx.alerts.length || ctx.alertCounts?.total) {
    const firing = ctx.alertCounts?.firing ?? ctx.alerts.filter((a) => a.status === 'firing').length;
    facts.push(alertCountLine(firing, ctx.alertCounts?.total ?? ctx.alerts.length, ctx.truncatedAlerts ?? 0));
  }
  if (open && ctx.nextTimer?.snoozedUntil && ctx.nextTimer.snoozedUntil > ctx.now)
    facts.push(
      `:zzz: Paging snoozed until ${slackDate(ctx.nextTimer.snoozedUntil, '{time}')} (\`/incident snooze off\` resumes it)`,
    );
  if (open && ctx.nextTimer) facts.push(countdown(ctx.nextTimer, ctx.now));
  if (facts.length) blocks.push(context(...facts));
  const origin = [
    ctx.source ? sourceLine(ctx.source) : '',
    ctx.recurrence ? `:leftwards_arrow_with_hook: ${ctx.recurrence}` : '',
  ].filter(Boolean);
  if (origin.length) blocks.push(context(...origin));

  // Every alert's runbook, source and silence links, for the first few alerts.
  const links = ctx.alerts
    .slice(0, 5)
    .map((a) => ({ a, text: alertLinksText(a) }))
    .filter((x) => x.text)
    .map((x) => `${esc(x.a.alertname).replace(/\|/g, '')}: ${x.text}`);
  if (links.length) blocks.push(context(...links));
  // The first alert's links as buttons too (Grafana's dashboard and panel, the silence form).
  const first = ctx.alerts[0];
  const buttons = first ? alertLinkButtons(first, `alert_links:${inc.id}`) : null;
  if (buttons) blocks.push(buttons);
  if (inc.summary && !open) blocks.push(context(`*Summary:* ${esc(inc.summary)}`));

  const v = String(inc.id);
  const actions = open
    ? [
        ...(inc.ackedAt ? [] : [button('Acknowledge', 'incident_ack', v, 'primary')]),
        button('Post update', 'incident_update', v),
        button('Status page', 'incident_statuspage', v),
        button('Resolve', 'incident_resolve', v, 'danger'),
      ]
    : [button('Postmortem draft', 'incident_postmortem', v), button('Reopen', 'incident_reopen', v)];
  blocks.push({ type: 'actions', block_id: `header:${inc.id}`, elements: actions });

  const text = `${ref} ${inc.severity} ${inc.status}: ${esc(inc.title)}`;
  return { text: truncate(text, 3000), blocks };
}

/** "Escalates to @sre-seniors in 7 min" — the runbook's clock, visible. */
export function countdown(t: NextTimer, now: Date): string {
  const mins = Math.max(0, Math.ceil((t.dueAt.getTime() - now.getTime()) / 60_000));
  const who = t.targetMention ?? (t.target ? esc(t.target) : null);
  const when = mins === 0 ? 'now' : `in ${shortMinutes(mins)}`;
  const line = countdownLine(t, who, when);
  return t.origin ? `${line} _(${esc(t.origin)})_` : line;
}

function countdownLine(t: NextTimer, who: string | null, when: string): string {
  switch (t.kind) {
    case 'acknowledge':
      return `:alarm_clock: Acknowledge ${when}${who ? ` or ${who} is paged` : ''}`;
    case 'escalate':
      return `:alarm_clock: Escalates${who ? ` to ${who}` : ''} ${when}`;
    case 'resolve':
      return `:alarm_clock: Resolution deadline ${when}`;
    case 'update':
      return `:alarm_clock: Next update due ${when}`;
    default:
      return `:alarm_clock: ${esc(t.kind)} ${when}`;
  }
}
