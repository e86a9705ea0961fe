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
    /** Component ids STATUSPAGE_COMPONENTS maps this incident to: chosen up front. */
    selected?: string[];
    /** Mapped component names the provider does not have. */
    unknownComponents?: string[];
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
    const options = opts.components.slice(0, 100).map((c) => ({ text: plain(c.name), value: c.id }));
    const initial = options.filter((o) => opts.selected?.includes(o.value));
    blocks.push(
      input(
        'components',
        'Affected components',
        {
          type: 'multi_static_select',
          action_id: 'value',
          options,
          ...(initial.length ? { initial_options: initial } : {}),
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
  if (opts.unknownComponents?.length) {
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `:warning: STATUSPAGE_COMPONENTS names ${opts.unknownComponents.map((n) => `"${esc(n)}"`).join(', ')}, which the status page does not have; pick the components by hand.`,
        },
      ],
    });
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

/** What the preview needs besides the text: the public status, name and components. */
export interface PreviewMeta {
  incidentId: number;
  status: Status;
  title: string;
  components: { id: string; name: string; status: ComponentStatus }[];
}

/**
 * Step 2: exactly what customers will see (name, status, components with their status, and the text, shown as
 * plain text the way the status page shows it), then the name and text editable, and Publish.
 */
export function previewModal(inc: Incident, text: string, meta: PreviewMeta) {
  const components = meta.components.length
    ? meta.components.map((c) => `${c.name}: ${c.status.replace(/_/g, ' ')}`).join('\n')
    : 'No component is marked (choose them in the previous step).';
  const shown = [meta.title, `Status: ${meta.status[0]!.toUpperCase()}${meta.status.slice(1)}`, '', text].join('\n');
  return modal({
    callbackId: 'statuspage_publish',
    meta,
    title: 'Preview update',
    submit: 'Publish',
    close: 'Back out',
    blocks: [
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `${incidentRef(inc)} · what customers will see on the status page:` }],
      },
      { type: 'section', text: plain(shown, 3000) },
      { type: 'section', text: plain(`Components\n${components}`, 3000) },
      input('title', 'Public name (edit if needed)', {
        type: 'plain_text_input',
        action_id: 'value',
        initial_value: meta.title.slice(0, 255),
      }),
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
