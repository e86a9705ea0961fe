import { type Incident, incidentRef } from '../../incidents/model.js';
import { compactDuration, shortMinutes } from '../../time-phrases.js';
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
  if (ctx.alerts.length) {
    const firing = ctx.alerts.filter((a) => a.status === 'firing').length;
    facts.push(`:rotating_light: Alerts: ${firing} firing / ${ctx.alerts.length}`);
  }
  if (open && ctx.nextTimer?.snoozedUntil && ctx.nextTimer.snoozedUntil > ctx.now)
    facts.push(
      `:zzz: Paging snoozed until ${slackDate(ctx.nextTimer.snoozedUntil, '{time}')} (\`/incident snooze off\` resumes it)`,
    );
  if (open && ctx.nextTimer) facts.push(countdown(ctx.nextTimer, ctx.now));
  if (facts.length) blocks.push(context(...facts));

  const links = ctx.alerts
    .filter((a) => a.generatorUrl && /^https?:\/\//.test(a.generatorUrl))
    .slice(0, 5)
    .map((a) => `<${a.generatorUrl!.replace(/[|>]/g, '')}|${esc(a.alertname).replace(/\|/g, '')}>`);
  if (links.length) blocks.push(context(`Sources: ${links.join(' · ')}`));
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
