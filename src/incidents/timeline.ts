import type { EventDraft } from './model.js';

/**
 * What a timeline event says, as data both renderers read (slack/render for mrkdwn, incidents/markdown.ts
 * for Markdown). Pure. Events store plain text and structured `data` (user ids, commands, values); the
 * sentence is rebuilt here from the kind and data, so no stored event carries Slack markup.
 */

/** One piece of an event line: words, a person (Slack user id), a command shown as code, or legacy mrkdwn. */
export type Segment = { text: string } | { user: string } | { code: string } | { mrkdwn: string };

/** A stored event as the readers see it; `markup: 'mrkdwn'` marks rows written before events were plain. */
export type TimelineEvent = Pick<EventDraft, 'kind' | 'actor' | 'at' | 'text' | 'data'> & {
  id?: number;
  markup?: 'mrkdwn' | null;
};

const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);

/** The segments of one event line (without time and actor). */
export function eventSegments(e: TimelineEvent): Segment[] {
  if (e.markup === 'mrkdwn') return [{ mrkdwn: e.text }];
  const d = e.data;
  const user = str(d.user);
  const command = str(d.command);
  if (e.kind === 'role' && user) return [{ user }, { text: ` is ${String(d.role ?? 'responder')}` }];
  if (e.kind === 'diagnostic' && command)
    return [
      { text: `${str(d.label) ?? 'ran'} ` },
      { code: command.slice(0, 200) },
      { text: ` → ${d.ok === false ? 'failed' : 'ok'}` },
    ];
  if (e.kind === 'denied' && command)
    return [{ text: 'denied ' }, { code: command.slice(0, 200) }, { text: `: ${str(d.reason) ?? ''}` }];
  if (e.kind === 'click' && command) return [{ text: 'clicked Run on ' }, { code: command.slice(0, 200) }];
  if (e.kind === 'update') return typedText(e.text);
  if (e.kind === 'followup' && str(d.owner) && str(d.text))
    return [{ text: 'follow-up for ' }, { user: str(d.owner)! }, { text: `: ${str(d.text)}` }];
  return [{ text: e.text }];
}

const TYPED_MENTION = /<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g;

/**
 * Text a person typed in Slack (an update), stored as typed: Slack writes a mention as `<@U…>`, which
 * becomes a person segment; everything else is words.
 */
export function typedText(text: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const m of text.matchAll(TYPED_MENTION)) {
    if (m.index > last) out.push({ text: text.slice(last, m.index) });
    out.push({ user: m[1]! });
    last = m.index + m[0].length;
  }
  if (last < text.length || !out.length) out.push({ text: text.slice(last) });
  return out;
}

/** The same line as plain words (user ids as @U…), for the `text` column and JSON exports. */
export function plainText(segments: Segment[]): string {
  return segments
    .map((s) => ('text' in s ? s.text : 'user' in s ? `@${s.user}` : 'code' in s ? s.code : s.mrkdwn))
    .join('');
}

/** A new event whose `text` is derived from its segments, so the stored text and the rendered line agree. */
export function event(
  kind: string,
  actor: string | null,
  at: Date,
  data: Record<string, unknown>,
  text?: string,
): EventDraft {
  const draft = { kind, actor, at, text: text ?? '', data };
  return { ...draft, text: text ?? plainText(eventSegments(draft)) };
}
