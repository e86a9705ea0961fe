import { utcClock } from '../../time-phrases.js';

/** Block Kit limits we must respect (https://api.slack.com/reference/block-kit/blocks). */
export const LIMITS = {
  blocksPerMessage: 50,
  sectionText: 3000,
  fieldText: 2000,
  fieldsPerSection: 10,
  headerText: 150,
  /** Button text, option text and option descriptions (composition objects). */
  buttonText: 75,
  /** Input labels and hints. */
  labelText: 2000,
  /** Title, submit and close of a modal. */
  buttonValue: 2000,
  actionId: 255,
  blockId: 255,
  contextElements: 10,
  messageText: 40_000,
  modalTitle: 24,
  /** plain_text_input: the longest initial_value / max_length Slack takes. */
  inputText: 3000,
} as const;

/**
 * Escapes text from alerts and runbooks for mrkdwn: `<!channel>` or `<@U123>` written by
 * someone else's alert must show as text, never ping anyone.
 */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The `text` fallback of a message (notifications, screen readers) from its mrkdwn: bold and italic marks
 * dropped, emoji codes (`:rotating_light:`) and mentions kept whole.
 */
export function fallbackText(mrkdwn: string): string {
  return mrkdwn.replace(
    /(:[a-z0-9_+-]+:)|(<[^>\n]*>)|[*_]/g,
    (_m, emoji?: string, entity?: string) => emoji ?? entity ?? '',
  );
}

/** Cuts to `max` characters with a visible ellipsis. */
export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(0, max - 1))}…`;
}

/** A code block that never breaks out of its fence and fits in a section. */
export function codeBlock(s: string, max: number = LIMITS.sectionText): string {
  const body = esc(s.replace(/```/g, "'''"));
  return `\`\`\`${truncate(body, max - 8)}\`\`\``;
}

export const mention = (userId: string | null | undefined) => (userId ? `<@${userId}>` : '_unassigned_');

/** Slack's date formatting with a UTC fallback for clients that cannot render it. */
export function slackDate(d: Date, format = '{date_short_pretty} {time}'): string {
  const secs = Math.floor(d.getTime() / 1000);
  return `<!date^${secs}^${format}|${utcClock(d, 'dateTime')}>`;
}

export const SEVERITY_EMOJI: Record<string, string> = {
  P1: ':red_circle:',
  P2: ':large_orange_circle:',
  P3: ':large_yellow_circle:',
  P4: ':large_blue_circle:',
};

export const STATUS_LABEL: Record<string, string> = {
  investigating: ':mag: Investigating',
  identified: ':dart: Identified',
  monitoring: ':eyes: Monitoring',
  resolved: ':white_check_mark: Resolved',
};

export type Block = Record<string, unknown>;
export interface SlackMessage {
  text: string;
  blocks: Block[];
}

/**
 * A plain_text object, cut to `max` characters. The default is 75, Slack's limit for button and option text
 * (the strictest place plain_text goes); pass LIMITS.labelText for labels and hints, 150 for placeholders.
 */
export const plainText = (text: string, max: number = LIMITS.buttonText) => ({
  type: 'plain_text',
  text: truncate(text, max),
  emoji: true,
});

export const section = (text: string, extra: Block = {}): Block => ({
  type: 'section',
  text: { type: 'mrkdwn', text: truncate(text, LIMITS.sectionText) },
  ...extra,
});
export const context = (...texts: string[]): Block => ({
  type: 'context',
  elements: texts
    .slice(0, LIMITS.contextElements)
    .map((t) => ({ type: 'mrkdwn', text: truncate(t, LIMITS.fieldText) })),
});
export const divider = (): Block => ({ type: 'divider' });
export const header = (text: string): Block => ({
  type: 'header',
  text: { type: 'plain_text', text: truncate(text, LIMITS.headerText), emoji: true },
});

export function button(
  text: string,
  actionId: string,
  value: string,
  style?: 'primary' | 'danger',
  confirm?: { title: string; text: string; confirm: string },
): Block {
  return {
    type: 'button',
    text: { type: 'plain_text', text: truncate(text, LIMITS.buttonText), emoji: true },
    action_id: actionId.slice(0, LIMITS.actionId),
    value: value.slice(0, LIMITS.buttonValue),
    ...(style ? { style } : {}),
    ...(confirm
      ? {
          confirm: {
            title: { type: 'plain_text', text: truncate(confirm.title, 100) },
            text: { type: 'mrkdwn', text: truncate(confirm.text, 300) },
            confirm: { type: 'plain_text', text: confirm.confirm },
            deny: { type: 'plain_text', text: 'Cancel' },
          },
        }
      : {}),
  };
}

/** Splits blocks into messages of at most 50 blocks each. */
export function chunkBlocks(blocks: Block[], size: number = LIMITS.blocksPerMessage): Block[][] {
  const out: Block[][] = [];
  for (let i = 0; i < blocks.length; i += size) out.push(blocks.slice(i, i + size));
  return out.length ? out : [[]];
}
