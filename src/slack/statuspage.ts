import type { App } from '@slack/bolt';
import type { Logger } from 'pino';
import { type Incident, incidentRef, Status } from '../incidents/model.js';
import type { IncidentHooks, IncidentService } from '../incidents/service.js';
import { PermanentError, RetryableError } from '../outbox/errors.js';
import type { OutboxHandler } from '../outbox/sender.js';
import { exportFromStore } from '../postmortem/export.js';
import type { RunbookLookup } from '../runbooks/lookup.js';
import {
  assertCanPublish,
  ComponentStatus,
  defaultComponentStatus,
  deliverStatusUpdate,
  enqueueStatusUpdate,
  IMPACT_BY_SEVERITY,
  renderCommunication,
  STATUSPAGE_PUBLISH_OP,
  type StatusPageProvider,
  StatuspageError,
  type TemplateLike,
} from '../statuspage/index.js';
import { listAlerts } from '../store/alerts.js';
import type { Db } from '../store/db.js';
import { enqueue } from '../store/outbox.js';
import { errorReply, type Reply, type SlackExtensions } from './handlers.js';
import { codeBlock, esc, plainText as plain } from './render/text.js';
import { input, viewValue } from './views.js';

const option = (v: string) => ({ text: plain(v.replace(/_/g, ' ')), value: v });

export interface StatuspageSlackDeps {
  app: App;
  db: Db;
  service: IncidentService;
  runbooks: RunbookLookup;
  provider: StatusPageProvider;
  logger: Logger;
  extensions: SlackExtensions;
  incidentsChannel: string;
  kick: () => void;
  /** STATUSPAGE_REMINDER_MINUTES: nudge when a public incident's page has not changed for this long. */
  reminderMinutes?: Partial<Record<string, number>>;
  /** COMMUNICATION_TEMPLATE, loaded at start-up. */
  fallbackTemplate?: TemplateLike | null;
  /** Admins from the roles file may publish too. */
  isAdmin?: (userId: string) => Promise<boolean>;
}

/** The communication template for this incident: the runbook's, else COMMUNICATION_TEMPLATE, else the built-in one. */
function templateFor(deps: StatuspageSlackDeps, inc: Incident) {
  return deps.service.currentRunbook(inc)?.document.templates.communication ?? deps.fallbackTemplate ?? null;
}

async function render(deps: StatuspageSlackDeps, inc: Incident, values: Record<string, string> = {}) {
  return renderCommunication(templateFor(deps, inc), {
    incident: inc,
    events: await deps.service.timeline(inc.id),
    alerts: await listAlerts(deps.db, inc.id),
    now: new Date(),
    values,
  });
}

/** Step 1: status, components and the fields the template could not fill. */
async function composeModal(deps: StatuspageSlackDeps, inc: Incident, status: Status) {
  const rendered = await render(deps, inc);
  const components = (await deps.provider.components?.().catch(() => [])) ?? [];
  const blocks: unknown[] = [
    {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `${incidentRef(inc)} · publishing to *${esc(deps.provider.name)}*` }],
    },
    input('status', 'Public status', {
      type: 'static_select',
      action_id: 'value',
      initial_option: option(status),
      options: Status.options.map(option),
    }),
  ];
  if (components.length) {
    blocks.push(
      input(
        'components',
        'Affected components',
        {
          type: 'multi_static_select',
          action_id: 'value',
          options: components.slice(0, 100).map((c) => ({ text: plain(c.name), value: c.id })),
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
  for (const key of rendered.missing) {
    blocks.push(
      input(
        `f:${key}`,
        rendered.prompts[key] ?? key,
        { type: 'plain_text_input', action_id: 'value', multiline: key === 'update' },
        key !== 'update',
      ),
    );
  }
  return {
    type: 'modal',
    callback_id: 'statuspage_compose',
    private_metadata: JSON.stringify({ incidentId: inc.id }),
    title: plain('Status page update'),
    submit: plain('Preview'),
    close: plain('Cancel'),
    blocks,
  };
}

/** Step 2: the rendered text, editable, and Publish. */
function previewModal(inc: Incident, text: string, meta: Record<string, unknown>) {
  return {
    type: 'modal',
    callback_id: 'statuspage_publish',
    private_metadata: JSON.stringify(meta),
    title: plain('Preview update'),
    submit: plain('Publish'),
    close: plain('Back out'),
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
  };
}

export function registerStatuspage(deps: StatuspageSlackDeps) {
  const { app, service, logger } = deps;

  const mayPublish = async (inc: Incident, user: string) => {
    try {
      assertCanPublish(inc, user, (await deps.isAdmin?.(user)) ?? false);
    } catch (err) {
      await service.record(inc.id, 'denied', user, 'status-page publish denied (commander or comms only)', {
        action: 'statuspage',
      });
      throw err;
    }
  };

  const open = async (inc: Incident, user: string, triggerId: string): Promise<Reply | null> => {
    await mayPublish(inc, user);
    await app.client.views.open({ trigger_id: triggerId, view: (await composeModal(deps, inc, inc.status)) as never });
    return null;
  };

  deps.extensions.commands.statuspage = async (ctx) => {
    const inc = await ctx.incident();
    await open(inc, ctx.userId, ctx.triggerId);
    return { response_type: 'ephemeral', text: 'Opening the status-page form…' };
  };
  deps.extensions.commands.postmortem = async (ctx) => {
    const inc = await ctx.incident();
    await postPostmortem(deps, inc, ctx.channelId);
    return {
      response_type: 'ephemeral',
      text: `Postmortem draft for ${incidentRef(inc)} posted as a file${inc.status === 'resolved' ? '' : ' (the incident is still open: durations so far)'}.`,
    };
  };

  const clicked = (
    actionId: string,
    fn: (inc: Incident, user: string, trigger: string, channel: string) => Promise<Reply | null>,
  ) =>
    app.action(actionId, async ({ ack, body, action, respond }) => {
      await ack();
      try {
        const inc = await service.get(Number((action as { value?: string }).value));
        await service.record(inc.id, 'click', body.user.id, `clicked ${actionId.replace(/^incident_/, '')}`, {
          actionId,
        });
        const channel = (body as { channel?: { id: string } }).channel?.id ?? inc.channelId ?? '';
        const r = await fn(inc, body.user.id, (body as { trigger_id?: string }).trigger_id ?? '', channel);
        if (r) await respond({ ...r, response_type: 'ephemeral', replace_original: false });
      } catch (err) {
        await respond({ ...errorReply(err, logger), replace_original: false });
      }
    });
  clicked('incident_statuspage', (inc, user, trigger) => open(inc, user, trigger));
  clicked('incident_postmortem', async (inc, _user, _trigger, channel) => {
    await postPostmortem(deps, inc, channel);
    return null;
  });

  app.view('statuspage_compose', async ({ ack, view }) => {
    const values = view.state.values as Record<string, Record<string, unknown>>;
    const { incidentId } = JSON.parse(view.private_metadata) as { incidentId: number };
    const inc = await service.get(incidentId);
    const answers: Record<string, string> = {};
    for (const blockId of Object.keys(values)) {
      if (blockId.startsWith('f:')) answers[blockId.slice(2)] = viewValue(values, blockId) ?? '';
    }
    const status = Status.parse(viewValue(values, 'status') ?? inc.status);
    const selected = (
      (values.components?.value as { selected_options?: { value: string; text: { text: string } }[] })
        ?.selected_options ?? []
    ).map((o) => ({ id: o.value, name: o.text.text }));
    const compStatus = ComponentStatus.safeParse(viewValue(values, 'component_status'));
    const rendered = await render(deps, { ...inc, status }, answers);
    const meta = {
      incidentId,
      status,
      components: selected.map((c) => ({
        ...c,
        status: compStatus.success ? compStatus.data : 'degraded_performance',
      })),
    };
    await ack({ response_action: 'update', view: previewModal(inc, rendered.text, meta) as never });
  });

  app.view('statuspage_publish', async ({ ack, view, body }) => {
    const body_ = viewValue(view.state.values as Record<string, Record<string, unknown>>, 'body')?.trim() ?? '';
    if (!body_) {
      await ack({ response_action: 'errors', errors: { body: 'The update needs some text.' } });
      return;
    }
    const meta = JSON.parse(view.private_metadata) as {
      incidentId: number;
      status: Status;
      components: { id: string; name: string; status: ComponentStatus }[];
    };
    const user = body.user.id;
    try {
      const inc = await service.get(meta.incidentId);
      const admin = (await deps.isAdmin?.(user)) ?? false;
      await deps.db.tx((q) =>
        enqueueStatusUpdate(
          q,
          inc,
          {
            incidentRef: incidentRef(inc),
            existingId: inc.statuspageIncidentId,
            title: inc.title,
            status: meta.status,
            body: body_,
            components: meta.components,
            impact: IMPACT_BY_SEVERITY[inc.severity],
          },
          user,
          new Date(),
          admin,
        ),
      );
      deps.kick();
      await ack();
    } catch (err) {
      await ack({
        response_action: 'errors',
        errors: { body: errorReply(err, logger).text.replace(/^:warning: /, '') },
      });
    }
  });

  /** Outbox: publish, then tell the channel and #incidents; 4xx are reported, 5xx retried. */
  const publish: OutboxHandler = async (row) => {
    const incidentId = row.incidentId!;
    try {
      const done = await deps.db.tx((q) =>
        deliverStatusUpdate(q, deps.provider, incidentId, row.payload as never, new Date()),
      );
      const link = done.result.url ? ` <${done.result.url}|View>` : '';
      const text = `:satellite_antenna: *Status page ${done.update.existingId ? 'updated' : 'incident created'}* (${done.update.status})${link}\n${codeBlock(done.update.body, 2500)}`;
      await deps.db.tx((q) =>
        enqueue(q, [
          { op: 'slack.post', orderingKey: `inc:${incidentId}`, incidentId, payload: { text } },
          {
            op: 'slack.postIncidents',
            orderingKey: `chan:${deps.incidentsChannel}`,
            incidentId,
            payload: { text: `*${incidentRef(done.incident)}* ${text}` },
          },
        ]),
      );
      deps.kick();
      return done.result;
    } catch (err) {
      if (err instanceof StatuspageError && err.retryable) {
        const after = (err as { retryAfterMs?: number | null }).retryAfterMs;
        throw new RetryableError(err.message, after ? Math.ceil(after / 1000) : null);
      }
      const message = err instanceof Error ? err.message : String(err);
      await deps.db.tx((q) =>
        enqueue(q, {
          op: 'slack.post',
          orderingKey: `inc:${incidentId}`,
          incidentId,
          payload: { text: `:x: Status page update failed: ${esc(message)}` },
        }),
      );
      deps.kick();
      throw new PermanentError(message);
    }
  };

  /** After a status change or resolve on an incident that is public, offer the matching update. */
  const hook: IncidentHooks = {
    async changed(q, before, after, events) {
      if (!after.statuspageIncidentId || before.status === after.status) return;
      if (!events.some((e) => e.kind === 'status' || e.kind === 'resolved' || e.kind === 'reopened')) return;
      await enqueue(q, {
        op: 'slack.post',
        orderingKey: `inc:${after.id}`,
        incidentId: after.id,
        payload: {
          text: `The status page still says the previous status. Update it to *${after.status}*?`,
          blocks: [
            {
              type: 'section',
              text: {
                type: 'mrkdwn',
                text: `:satellite_antenna: The status page still shows the previous status. Publish *${after.status}*?`,
              },
            },
            {
              type: 'actions',
              elements: [
                {
                  type: 'button',
                  text: plain('Update status page'),
                  action_id: 'incident_statuspage',
                  value: String(after.id),
                  style: 'primary',
                },
              ],
            },
          ],
        },
      });
    },
  };

  return { handlers: { [STATUSPAGE_PUBLISH_OP]: publish }, hook };
}

/** Renders the postmortem draft and posts it as a Markdown file in the channel. */
async function postPostmortem(deps: StatuspageSlackDeps, inc: Incident, channel: string) {
  const md = await exportFromStore(deps.db, inc.id, { runbooks: deps.runbooks });
  await deps.app.client.filesUploadV2({
    channel_id: inc.channelId ?? channel,
    content: md,
    filename: `${incidentRef(inc).toLowerCase()}-postmortem.md`,
    title: `${incidentRef(inc)} postmortem draft`,
    initial_comment: `:memo: Postmortem draft for ${incidentRef(inc)}: fill in the _TODO_ parts.`,
  });
  await deps.service.record(inc.id, 'postmortem', null, 'Postmortem draft posted');
}
