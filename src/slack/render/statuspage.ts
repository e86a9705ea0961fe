import { type Incident, incidentRef, Status } from '../../incidents/model.js';
import { ComponentStatus, defaultComponentStatus } from '../../statuspage/index.js';
import type { StatuspageOutcome } from '../../statuspage/setup.js';
import { input, modal } from './modals.js';
import { codeBlock, esc, plainText as plain, type SlackMessage } from './text.js';

const option = (v: string) => ({ text: plain(v.replace(/_/g, ' ')), value: v });

/** Step 1 of a status-page update: status, components and the fields the template could not fill. */
export function composeModal(
  inc: Incident,
  status: Status,
  opts: {
    providerName: string;
    components: { id: string; name: string }[];
    missing: string[];
    prompts: Record<string, string | undefined>;
  },
) {
  const blocks: unknown[] = [
    {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `${incidentRef(inc)} · publishing to *${esc(opts.providerName)}*` }],
    },
    input('status', 'Public status', {
      type: 'static_select',
      action_id: 'value',
      initial_option: option(status),
      options: Status.options.map(option),
    }),
  ];
  if (opts.components.length) {
    blocks.push(
      input(
        'components',
        'Affected components',
        {
          type: 'multi_static_select',
          action_id: 'value',
          options: opts.components.slice(0, 100).map((c) => ({ text: plain(c.name), value: c.id })),
        },
        true,
      ),
      input('component_status', 'Their status', {
        type: 'static_select',
        action_id: 'value',
        initial_option: option(defaultComponentStatus(inc.severity, status)),
        options: ComponentStatus.options.map(option),
      }),
    );
  }
  for (const key of opts.missing) {
    blocks.push(
      input(
        `f:${key}`,
        opts.prompts[key] ?? key,
        { type: 'plain_text_input', action_id: 'value', multiline: key === 'update' },
        key !== 'update',
      ),
    );
  }
  return modal({
    callbackId: 'statuspage_compose',
    meta: { incidentId: inc.id },
    title: 'Status page update',
    submit: 'Preview',
    close: 'Cancel',
    blocks,
  });
}

/** Step 2: the rendered text, editable, and Publish. */
export function previewModal(inc: Incident, text: string, meta: Record<string, unknown>) {
  return modal({
    callbackId: 'statuspage_publish',
    meta: meta,
    title: 'Preview update',
    submit: 'Publish',
    close: 'Back out',
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${incidentRef(inc)}* public status: *${meta.status}*` } },
      { type: 'section', text: { type: 'mrkdwn', text: codeBlock(text, 2900) } },
      input('body', 'Text to publish (edit if needed)', {
        type: 'plain_text_input',
        action_id: 'value',
        multiline: true,
        initial_value: text.slice(0, 3000),
      }),
    ],
  });
}

/** After a status change on a public incident: "the status page still shows the previous status". */
export function renderStatuspageOffer(inc: Pick<Incident, 'id'>, status: string): SlackMessage {
  return {
    text: `The status page still says the previous status. Update it to *${status}*?`,
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `:satellite_antenna: The status page still shows the previous status. Publish *${status}*?`,
        },
      },
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            text: plain('Update status page'),
            action_id: 'incident_statuspage',
            value: String(inc.id),
            style: 'primary',
          },
        ],
      },
    ],
  };
}

/** How a publish went, for the incident channel or #incidents. */
export function renderStatuspageOutcome(inc: Pick<Incident, 'id'>, o: StatuspageOutcome): SlackMessage {
  let text: string;
  if (!o.ok) text = `:x: Status page update failed: ${esc(o.message)}`;
  else {
    const link = o.url ? ` <${o.url}|View>` : '';
    text = `:satellite_antenna: *Status page ${o.updated ? 'updated' : 'incident created'}* (${o.status})${link}\n${codeBlock(o.body, 2500)}`;
    if (o.to === 'incidents') text = `*${incidentRef(inc)}* ${text}`;
  }
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } }] };
}
