/**
 * What escalation pings and `/incident timers` are made of, pure: the ping buttons' action ids (value =
 * timer id), the snooze length, and the timer view the renderers read. The words and mentions are written
 * in `slack/render/escalation.ts`.
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
