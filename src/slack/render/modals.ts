import { type Incident, incidentRef, Severity, Status } from '../../incidents/model.js';
import { type Block, plainText as plain } from './text.js';

const SEVERITY_WORD: Record<Severity, string> = { P1: 'critical', P2: 'major', P3: 'minor', P4: 'low' };
const SEVERITIES = Severity.options.map((s) => ({ text: plain(`${s} · ${SEVERITY_WORD[s]}`), value: s }));

/** A modal view; `meta` travels as private_metadata (JSON) and comes back with the submission. */
export function modal(o: {
  callbackId: string;
  meta: unknown;
  title: string;
  submit: string;
  close?: string;
  blocks: unknown[];
}) {
  return {
    type: 'modal',
    callback_id: o.callbackId,
    private_metadata: JSON.stringify(o.meta),
    title: plain(o.title),
    submit: plain(o.submit),
    ...(o.close ? { close: plain(o.close) } : {}),
    blocks: o.blocks,
  };
}

/** An input block of a modal; every element uses action_id `value`, which viewValue() reads back. */
export function input(blockId: string, label: string, element: Block, optional = false, hint?: string): Block {
  return {
    type: 'input',
    block_id: blockId,
    label: plain(label),
    element,
    optional,
    ...(hint ? { hint: plain(hint) } : {}),
  };
}

/** The form behind a bare `/incident declare` and the App Home button. */
export function declareModal(prefill: { title?: string; severity?: string | null; channelId?: string | null } = {}) {
  const sev = SEVERITIES.find((s) => s.value === prefill.severity);
  return modal({
    callbackId: 'declare_modal',
    meta: { channelId: prefill.channelId ?? null },
    title: 'Declare an incident',
    submit: 'Declare',
    close: 'Cancel',
    blocks: [
      input('title', 'Title', {
        type: 'plain_text_input',
        action_id: 'value',
        max_length: 200,
        ...(prefill.title ? { initial_value: prefill.title } : {}),
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
  });
}

/** "INC-12: API down" above a modal's inputs. */
const incidentContext = (inc: Incident) => ({
  type: 'context',
  elements: [{ type: 'mrkdwn', text: `${incidentRef(inc)}: ${inc.title.replace(/[<>&]/g, '')}` }],
});

/** `Post an update`: the text and, optionally, a new status. */
export function updateModal(inc: Incident) {
  return modal({
    callbackId: 'update_modal',
    meta: { incidentId: inc.id },
    title: 'Post an update',
    submit: 'Post',
    blocks: [
      incidentContext(inc),
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
          options: Status.options.filter((s) => s !== 'resolved').map((s) => ({ text: plain(s), value: s })),
        },
        true,
      ),
    ],
  });
}

/** `Resolve incident`: an optional resolution summary. */
export function resolveModal(inc: Incident) {
  return modal({
    callbackId: 'resolve_modal',
    meta: { incidentId: inc.id },
    title: 'Resolve incident',
    submit: 'Resolve',
    blocks: [
      incidentContext(inc),
      input('summary', 'Resolution summary', { type: 'plain_text_input', action_id: 'value', multiline: true }, true),
    ],
  });
}

/** Reads `values[block][action]` of a view submission, whatever the element type. */
export function viewValue(values: Record<string, Record<string, unknown>>, blockId: string): string | null {
  const v = values[blockId]?.value as
    | { value?: string | null; selected_option?: { value: string } | null; selected_user?: string | null }
    | undefined;
  if (!v) return null;
  return v.value ?? v.selected_option?.value ?? v.selected_user ?? null;
}
