/**
 * Text for escalation pings and `/incident timers`, pure. The Slack layer wraps these in blocks and adds
 * the buttons (action ids below, value = timer id).
 */

export const TIMER_ACTIONS = {
  acknowledge: 'escalation_ack',
  snooze: 'escalation_snooze',
  onIt: 'escalation_on_it',
} as const;
export const SNOOZE_MINUTES = 10;

export interface TimerView {
  id?: number;
  kind: string;
  dueAt: Date;
  status?: 'pending' | 'fired' | 'cancelled';
  target: string | null;
  text: string;
  condition?: string | null;
  source?: string | null;
  /** The severity the timer was planned for (defaults name it: "P1 default"). */
  severity?: string | null;
  firedAt?: Date | null;
  late?: boolean;
  data?: Record<string, unknown>;
}

const hhmm = (d: Date) => `${d.toISOString().slice(11, 16)} UTC`;

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
 * The ping posted in the incident channel when a timer fires, e.g.
 * ":rotating_light: INC-42 Escalation → <!subteam^S1>: Root cause not identified within 15 minutes".
 * `mentions` are resolved targets (targets.ts); a late firing says so, with the time it was due.
 */
export function pingText(
  timer: TimerView,
  mentions: string[],
  opts: { incidentLabel: string; late?: boolean },
): string {
  const icon = timer.kind === 'phase' || timer.kind === 'reminder' ? ':hourglass_flowing_sand:' : ':rotating_light:';
  const head = HEADLINE[timer.kind] ?? timer.kind;
  const who = mentions.length ? ` → ${mentions.join(' ')}` : '';
  const late = (opts.late ?? timer.late) ? ` _(fired late: it was due at ${hhmm(timer.dueAt)})_` : '';
  const snoozed = timer.data?.snoozeOf ? ' _(snoozed reminder)_' : '';
  return `${icon} ${opts.incidentLabel} ${head}${who}: ${timer.text}${late}${snoozed}`;
}
