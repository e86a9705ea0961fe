import type { Incident } from '../../incidents/model.js';
import { incidentRef } from '../../incidents/model.js';
import { type Block, LIMITS, plainText as plain, truncate } from './text.js';

/** Longest incident title the declare modal takes. */
export const DECLARE_TITLE_MAX = 200;

const SEVERITIES = ['P1', 'P2', 'P3', 'P4'].map((s) => ({
  text: plain({ P1: 'P1 · critical', P2: 'P2 · major', P3: 'P3 · minor', P4: 'P4 · low' }[s]!),
  value: s,
}));

/** An input block of a modal; every element uses action_id `value`, which viewValue() reads back. */
export function input(blockId: string, label: string, element: Block, optional = false, hint?: string): Block {
  return {
    type: 'input',
    block_id: blockId,
    label: plain(label, LIMITS.labelText),
    element,
    optional,
    ...(hint ? { hint: plain(hint, LIMITS.labelText) } : {}),
  };
}

/** The form behind a bare `/incident declare` and the App Home button. */
export function declareModal(prefill: { title?: string; severity?: string | null; channelId?: string | null } = {}) {
  const sev = SEVERITIES.find((s) => s.value === prefill.severity);
  return {
    type: 'modal',
    callback_id: 'declare_modal',
    private_metadata: JSON.stringify({ channelId: prefill.channelId ?? null }),
    title: plain('Declare an incident'),
    submit: plain('Declare'),
    close: plain('Cancel'),
    blocks: [
      input('title', 'Title', {
        type: 'plain_text_input',
        action_id: 'value',
        max_length: DECLARE_TITLE_MAX,
        // Slack refuses an initial_value longer than max_length: a long `/incident declare …` is cut to fit.
        ...(prefill.title ? { initial_value: truncate(prefill.title, DECLARE_TITLE_MAX) } : {}),
        placeholder: plain('API is returning 500s'),
      }),
      input('severity', 'Severity', {
        type: 'static_select',
        action_id: 'value',
        options: SEVERITIES,
        ...(sev ? { initial_option: sev } : {}),
      }),
      input('description', 'What do we know?', { type: 'plain_text_input', action_id: 'value', multiline: true }, true),
      input(
        'commander',
        'Commander',
        { type: 'users_select', action_id: 'value' },
        true,
        'Leave empty to become commander by acknowledging.',
      ),
    ],
  };
}

export function updateModal(inc: Incident) {
  return {
    type: 'modal',
    callback_id: 'update_modal',
    private_metadata: JSON.stringify({ incidentId: inc.id }),
    title: plain('Post an update'),
    submit: plain('Post'),
    blocks: [
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `${incidentRef(inc)}: ${inc.title.replace(/[<>&]/g, '')}` }],
      },
      input('text', 'Update', {
        type: 'plain_text_input',
        action_id: 'value',
        multiline: true,
        placeholder: plain('What changed, what is next, when is the next update'),
      }),
      input(
        'status',
        'Status',
        {
          type: 'static_select',
          action_id: 'value',
          initial_option: { text: plain(inc.status), value: inc.status },
          options: ['investigating', 'identified', 'monitoring'].map((s) => ({ text: plain(s), value: s })),
        },
        true,
      ),
    ],
  };
}

export function resolveModal(inc: Incident) {
  return {
    type: 'modal',
    callback_id: 'resolve_modal',
    private_metadata: JSON.stringify({ incidentId: inc.id }),
    title: plain('Resolve incident'),
    submit: plain('Resolve'),
    blocks: [
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `${incidentRef(inc)}: ${inc.title.replace(/[<>&]/g, '')}` }],
      },
      input('summary', 'Resolution summary', { type: 'plain_text_input', action_id: 'value', multiline: true }, true),
    ],
  };
}

/** Reads `values[block][action]` of a view submission, whatever the element type. */
export function viewValue(values: Record<string, Record<string, unknown>>, blockId: string): string | null {
  const v = values[blockId]?.value as
    | { value?: string | null; selected_option?: { value: string } | null; selected_user?: string | null }
    | undefined;
  if (!v) return null;
  return v.value ?? v.selected_option?.value ?? v.selected_user ?? null;
}
