import type { WritePlan } from '../../diagnostics/run.js';
import type { Command } from '../../runbooks/schema.js';
import { input, modal } from './modals.js';
import { codeBlock, esc } from './text.js';

/** Which runbook command a button runs: incident, runbook source, command id, and the thread (t). */
export interface RunRef {
  i: number;
  s: string;
  c: string;
  /** Thread under the step's message. */
  t?: string;
}

/** Asks for the placeholders neither alert nor incident labels filled. */
export function valuesModal(ref: RunRef, cmd: Command, missing: string[], mode: 'read' | 'write') {
  return modal({
    callbackId: 'diag_values',
    meta: { ...ref, mode },
    title: 'Fill in the command',
    submit: mode === 'write' ? 'Review' : 'Run',
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: codeBlock(cmd.text, 2900) } },
      ...missing.map((name) =>
        input(
          `p:${name}`.slice(0, 255),
          name,
          { type: 'plain_text_input', action_id: 'value', max_length: 253 },
          false,
          'Letters, digits, dashes and dots only; validated before anything runs.',
        ),
      ),
    ],
  });
}

/** Names the change (before/after) before a write runs. */
export function confirmModal(ref: RunRef, plan: WritePlan) {
  return modal({
    callbackId: 'diag_confirm',
    meta: { ref, plan },
    title: 'Confirm change',
    submit: 'Apply',
    close: 'Cancel',
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `:warning: *${esc(plan.description)}*` } },
      { type: 'section', text: { type: 'mrkdwn', text: codeBlock(plan.command, 1000) } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: `*Before*\n${codeBlock(JSON.stringify(plan.before, null, 1), 1900)}` },
          { type: 'mrkdwn', text: `*After*\n${codeBlock(JSON.stringify(plan.after, null, 1), 1900)}` },
        ],
      },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: 'Applied through the Kubernetes API as the bot; recorded on the incident timeline.',
          },
        ],
      },
    ],
  });
}
