import { shortMinutes, utcClock } from '../time-phrases.js';
import { eventSegments, type Segment, type TimelineEvent } from './timeline.js';

/**
 * The one Markdown renderer: dates, durations, people, table cells and timeline lines for everything the
 * bot writes as Markdown (status-page updates, postmortems, `incidents export`). Pure.
 */

export type UserName = (id: string) => string | null | undefined;

/** "2026-11-23 03:04 UTC" (date-fns, time-phrases.ts utcClock). */
export function formatUtc(d: Date): string {
  return utcClock(d, 'dateTime');
}

/** "2026-11-23" in UTC. */
export function formatDate(d: Date): string {
  return utcClock(d, 'date');
}

/** "03:04" in UTC. */
export function formatTime(d: Date): string {
  return utcClock(d, 'time');
}

/** "42 min", "1 h 5 min", "2 d 3 h" (date-fns, see time-phrases.ts); null stays null. */
export function formatMinutes(min: number | null): string | null {
  return min === null ? null : shortMinutes(min);
}

/** "@alice" when a name is known, else "@U0ALICE". */
export function mention(id: string, userName?: UserName): string {
  const name = userName?.(id);
  return `@${name || id}`;
}

/**
 * Slack mrkdwn entities to plain Markdown: `<@U1>` / `<@U1|bob>` -> `@name`, `<#C1|ops>` -> `#ops`,
 * `<!here>` -> `@here`, `<https://x|label>` -> `[label](https://x)`, `<https://x>` -> `https://x`.
 */
export function slackToMarkdown(text: string, userName?: UserName): string {
  return text
    .replace(/<@([UW][A-Z0-9]+)(?:\|([^>]+))?>/g, (_m, id: string, label?: string) =>
      userName?.(id) ? mention(id, userName) : label ? `@${label}` : `@${id}`,
    )
    .replace(/<#(C[A-Z0-9]+)(?:\|([^>]*))?>/g, (_m, id: string, name?: string) => `#${name || id}`)
    .replace(/<!(here|channel|everyone)(?:\|[^>]*)?>/g, '@$1')
    .replace(/<!subteam\^[A-Z0-9]+(?:\|([^>]+))?>/g, (_m, name?: string) => (name ? name : '@group'))
    .replace(/<((?:https?|mailto):[^|>\s]+)\|([^>]+)>/g, '[$2]($1)')
    .replace(/<((?:https?|mailto):[^|>\s]+)>/g, '$1');
}

/** Text safe inside one Markdown table cell. */
export function cell(text: string): string {
  return (
    text
      .replace(/\r?\n+/g, ' ')
      .replace(/\|/g, '\\|')
      .trim() || ' '
  );
}

/**
 * Rows written before events were plain text hold Slack mrkdwn: mentions and links become Markdown and
 * the entities Slack needed (`&lt;pod&gt;`) become characters again.
 */
export function legacyMrkdwnToMarkdown(text: string, userName?: UserName): string {
  return slackToMarkdown(text, userName).replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Inline code that survives backticks in the command (shown as is then). */
export const code = (s: string) => (s.includes('`') ? s : `\`${s}\``);

/** A Markdown table; every cell made safe with cell(). */
export function table(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

/** Segments of a timeline line as Markdown. */
export function segmentsMarkdown(segments: Segment[], userName?: UserName): string {
  return segments
    .map((s) =>
      'text' in s
        ? s.text
        : 'user' in s
          ? mention(s.user, userName)
          : 'code' in s
            ? code(s.code)
            : legacyMrkdwnToMarkdown(s.mrkdwn, userName),
    )
    .join('');
}

/** What a timeline event says, as Markdown (postmortem timeline, status-page `update`). */
export function eventMarkdown(e: TimelineEvent, userName?: UserName): string {
  return segmentsMarkdown(eventSegments(e), userName);
}
