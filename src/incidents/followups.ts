import { z } from 'zod';
import type { TimelineEvent } from './timeline.js';

/**
 * Follow-ups: action items recorded during or after an incident with `/incident followup <text>`. Stored as
 * timeline events of kind `followup` with data `{ text, owner }` (owner: a Slack user id), so they need no
 * table of their own and appear in the timeline, the postmortem, `incidents export` and App Home.
 */

/** The `data` of a `followup` event. */
export const FollowUpData = z.object({
  text: z.string().trim().min(1, 'a follow-up needs some text').max(2000),
  owner: z.string().min(1),
});
export type FollowUpData = z.infer<typeof FollowUpData>;

/** One follow-up as the postmortem, exports and lists show it. */
export interface FollowUp extends FollowUpData {
  incidentId?: number;
  at: Date;
  /** Who recorded it. */
  actor: string | null;
}

/** The follow-ups of one incident, oldest first (events whose data does not parse are skipped). */
export function followupsFromEvents(events: readonly TimelineEvent[]): FollowUp[] {
  const out: FollowUp[] = [];
  for (const e of events) {
    if (e.kind !== 'followup') continue;
    const d = FollowUpData.safeParse(e.data);
    if (d.success) out.push({ ...d.data, at: e.at, actor: e.actor });
  }
  return out;
}

/**
 * Splits the text of a `/incident followup <text>` into owner and text: a mention at the start names the
 * owner (`<@U123> add an alert on queue depth`, `@bob …`), else the person typing owns it. Pure.
 */
export function parseFollowUp(typed: string, actor: string): { owner: string; ownerName: string | null; text: string } {
  const t = typed.trim();
  const escaped = /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>[\s:,-]*/.exec(t);
  if (escaped) return { owner: escaped[1]!, ownerName: null, text: t.slice(escaped[0].length).trim() };
  const named = /^@([a-z0-9._-]+)[\s:,-]*/i.exec(t);
  if (named) return { owner: '', ownerName: named[1]!.toLowerCase(), text: t.slice(named[0].length).trim() };
  return { owner: actor, ownerName: null, text: t };
}
