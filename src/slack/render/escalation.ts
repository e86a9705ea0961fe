import type { EscalationPingPayload, LegacyPingPayload } from '../../escalation/fire.js';
import { TIMER_ACTIONS, type TimerView } from '../../escalation/messages.js';
import type { Mention, ResolvedTarget } from '../../escalation/targets.js';
import { incidentRef } from '../../incidents/model.js';
import { shortMinutes, utcClock } from '../../time-phrases.js';
import { esc, fallbackText, plainText as plain, type SlackMessage } from './text.js';

const hhmm = (d: Date) => utcClock(d, 'zonedTime');

/** A mention as Slack mrkdwn: `<@U…>`, `<!subteam^S…>`, or `@handle` for a group whose id is not known. */
export function mentionMrkdwn(m: Mention): string {
  if (m.kind === 'user') return `<@${m.id}>`;
  return m.id ? `<!subteam^${m.id}>` : `@${esc(m.handle ?? '')}`;
}

/** A resolved escalation target: its mention, or the name as written (escaped) when nothing matched it. */
export function targetMrkdwn(t: ResolvedTarget): string {
  return t.kind === 'unknown' ? esc(t.name) : mentionMrkdwn(t);
}

const HEADLINE: Record<string, string> = {
  acknowledge: 'Nobody has acknowledged this incident yet',
  escalate: 'Escalation',
  resolve: 'Resolution deadline reached',
  declare: 'Runbook says: declare an outage',
  update: 'Time for an update',
  phase: 'Next phase of the runbook',
  reminder: 'Reminder',
};

/**
 * The ping's line as mrkdwn, e.g. ":rotating_light: INC-42 Escalation → <!subteam^S1>: Root cause not
 * identified within 15 minutes (GCP Support)": headline, mentions, the timer's words, names no map entry
 * matched, and whether it fired late (with the time it was due) or is a snoozed ping coming back.
 * A row queued before pings were data carries this line ready in `text`; it is posted as it is.
 */
export function pingText(p: EscalationPingPayload | LegacyPingPayload): string {
  if (!('words' in p)) return p.text;
  const icon = p.kind === 'phase' || p.kind === 'reminder' ? ':hourglass_flowing_sand:' : ':rotating_light:';
  const head = HEADLINE[p.kind] ?? p.kind;
  const who = p.mentions.length ? ` → ${p.mentions.map(mentionMrkdwn).join(' ')}` : '';
  const unknown = p.unknownTargets.length ? ` (${esc(p.unknownTargets.join(', '))})` : '';
  const late = p.late ? ` _(fired late: it was due at ${hhmm(new Date(p.dueAt))})_` : '';
  const snoozed = p.snoozed ? ' _(snoozed reminder)_' : '';
  return `${icon} ${p.incidentLabel} ${head}${who}: ${esc(p.words)}${unknown}${late}${snoozed}`;
}

/** An escalation ping with Acknowledge / Snooze / I'm on it (Acknowledge left out once the incident is acked). */
export function renderPing(p: EscalationPingPayload | LegacyPingPayload, acked: boolean): SlackMessage {
  const text = pingText(p);
  const blocks: SlackMessage['blocks'] = [{ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } }];
  const actions = p.actions.filter((a) => !(a.actionId === TIMER_ACTIONS.acknowledge && acked));
  if (actions.length) {
    blocks.push({
      type: 'actions',
      block_id: `timer:${p.timerId}`,
      elements: actions.map((a) => ({
        type: 'button',
        text: plain(a.text),
        action_id: a.actionId,
        value: String(p.timerId),
        ...(a.actionId === TIMER_ACTIONS.acknowledge ? { style: 'primary' } : {}),
      })),
    });
  }
  return { text: fallbackText(text), blocks };
}

/**
 * The loud line when an escalation reaches nobody (unknown name, missing or empty user group): what was
 * due, who it was meant for, and what to fix. Pure.
 */
export function renderNobody(inc: { id: number }, p: Pick<EscalationPingPayload, 'kind'>, nobody: string[]): string {
  const what = p.kind === 'acknowledge' ? 'The acknowledge page' : 'This escalation';
  return `:rotating_light: *${incidentRef(inc)}: ${what} reaches nobody.* ${nobody.join(', ')}. Page someone by hand, and map the target in ESCALATION_TARGETS or fill the user group (\`incident-bot runbooks lint\` lists them).`;
}

/** A ping someone took (outbox op `slack.pingTaken`): where it is, its text, who took it and how. */
export interface PingTakenPayload {
  channel: string;
  ts: string;
  /** The ping's own mrkdwn, kept as it was. */
  text: string;
  user: string;
  via: 'acknowledge' | 'on_it';
  /** Whether taking it acknowledged the incident. */
  acknowledged: boolean;
  /** ISO time it was taken. */
  at: string;
}

/**
 * The ping after someone took it: its text, then who took it, with no buttons left. Mentions go in
 * mrkdwn (a context block), never in plain_text where Slack would show `<@U…>` literally.
 */
export function renderPingTaken(p: PingTakenPayload): SlackMessage {
  const how = p.acknowledged ? 'acknowledged' : p.via === 'on_it' ? 'is on it' : 'took it';
  const line = `:white_check_mark: <@${p.user}> ${how} (${hhmm(new Date(p.at))})`;
  return {
    text: `${fallbackText(p.text)} (taken by <@${p.user}>)`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: p.text.slice(0, 3000) } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: line }] },
    ],
  };
}

/**
 * Where a timer's clock came from, in words ("runbook, stricter than the P1 default of 5 min"), from
 * `data.clock` (escalation/schedule.ts ClockOrigin); older timers fall back to their source. Pure.
 */
export function clockOrigin(t: Pick<TimerView, 'source' | 'severity' | 'data'>): string | null {
  const d = t.data ?? {};
  const planned = typeof d.defaultSeverity === 'string' ? d.defaultSeverity : t.severity;
  const sev = planned ? `${planned} default` : 'severity default';
  const min = (v: unknown) => shortMinutes(Number(v));
  const kind = t.source === 'reminder' ? 'update cadence' : null;
  switch (d.clock) {
    case 'runbook':
      return 'runbook';
    case 'runbook-stricter':
      if (d.defaultMinutes == null) return 'runbook';
      // A tie goes to the runbook, but it is not "stricter".
      return d.runbookMinutes != null && Number(d.runbookMinutes) === Number(d.defaultMinutes)
        ? `runbook, same as the ${sev}`
        : `runbook, stricter than the ${sev} of ${min(d.defaultMinutes)}`;
    case 'runbook-override':
      return `runbook, overriding the ${sev}${d.defaultMinutes != null ? ` of ${min(d.defaultMinutes)}` : ''} (timers_override)`;
    case 'default':
      return kind ? `${kind}: UPDATE_REMINDER_MINUTES` : sev;
    case 'default-stricter':
      return d.runbookMinutes != null
        ? `${kind ? `${kind}: ` : ''}${sev}, stricter than the runbook's ${min(d.runbookMinutes)}`
        : sev;
  }
  if (t.source === 'section' || t.source === 'document') return `runbook ${t.source}`;
  if (t.source === 'default') return sev;
  return t.source ?? null;
}

/** `/incident timers` as one ephemeral message. */
export function renderTimers(
  inc: { id: number },
  timers: TimerView[],
  now: Date,
  mention: (target: string) => string,
): SlackMessage {
  const text = `*Timers of ${incidentRef(inc)}*\n${describeTimers(timers, now, mention).join('\n')}`.slice(0, 2900);
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/**
 * `/incident timers`: one line per timer, pending first (soonest first), then fired and cancelled
 * (latest first). `mention` turns a target into what to show (e.g. the resolved mention).
 */
export function describeTimers(
  timers: TimerView[],
  now: Date,
  mention: (target: string) => string = (t) => t,
): string[] {
  if (!timers.length) return ['No timers for this incident.'];
  const pending = timers.filter((t) => (t.status ?? 'pending') === 'pending').sort((a, b) => +a.dueAt - +b.dueAt);
  const done = timers
    .filter((t) => (t.status ?? 'pending') !== 'pending')
    .sort((a, b) => +(b.firedAt ?? b.dueAt) - +(a.firedAt ?? a.dueAt));
  const line = (t: TimerView) => {
    const who = t.target ? ` → ${mention(t.target)}` : '';
    const what = `${t.kind}${who}: ${t.text}`;
    const origin = clockOrigin(t);
    const src = origin ? ` _(${origin})_` : '';
    if ((t.status ?? 'pending') === 'pending') {
      const ms = +t.dueAt - +now;
      const when = ms <= 0 ? 'due now' : `in ${shortMinutes(Math.max(1, Math.round(ms / 60_000)))}`;
      return `:hourglass: ${hhmm(t.dueAt)} (${when}) ${what}${src}`;
    }
    if (t.status === 'fired')
      return `:white_check_mark: fired ${hhmm(t.firedAt ?? t.dueAt)}${t.late ? ' (late)' : ''} ${what}${src}`;
    return `:heavy_multiplication_x: cancelled (was due ${hhmm(t.dueAt)}) ${what}${src}`;
  };
  return [...pending.map(line), ...done.map(line)];
}
