import type { App } from '@slack/bolt';
import type { Logger } from 'pino';
import { type Incident, incidentRef, Status } from '../incidents/model.js';
import type { IncidentService } from '../incidents/service.js';
import { RetryableError } from '../outbox/errors.js';
import type { OutboxHandler } from '../outbox/sender.js';
import { exportFromStore } from '../postmortem/export.js';
import type { RunbookLookup } from '../runbooks/lookup.js';
import {
  assertCanPublish,
  ComponentStatus,
  enqueueStatusUpdate,
  IMPACT_BY_SEVERITY,
  renderCommunication,
  resolveComponents,
} from '../statuspage/index.js';
import {
  STATUSPAGE_OFFER_OP,
  STATUSPAGE_OUTCOME_OP,
  type Statuspage,
  type StatuspageOffer,
  type StatuspageOutcome,
} from '../statuspage/setup.js';
import { listAlerts } from '../store/alerts.js';
import type { Db } from '../store/db.js';
import { errorReply, type Reply, type SlackExtensions } from './incident.js';
import { viewValue } from './render/modals.js';
import { composeModal, previewModal, renderStatuspageOffer, renderStatuspageOutcome } from './render/statuspage.js';
import type { SlackMessage } from './render/text.js';
import { createUserNames } from './user-names.js';

export interface StatuspageSlackDeps {
  app: App;
  db: Db;
  service: IncidentService;
  runbooks: RunbookLookup;
  statuspage: Statuspage;
  logger: Logger;
  extensions: SlackExtensions;
  incidentsChannel: string;
  kick: () => void;
  /** Posts a message (incident-outbox.ts: text-only fallback when Slack rejects the blocks). */
  post: (channel: string, msg: SlackMessage) => Promise<{ ts: string }>;
  /** A channel id by name, joined (#incidents). */
  channelByName: (name: string) => Promise<string>;
  /** Admins from the roles file may publish too. */
  isAdmin?: (userId: string) => Promise<boolean>;
  /** People's names for the postmortem, cached (default: users.info through `app.client`). */
  userNames?: ReturnType<typeof createUserNames>;
}

/** The public draft: the template filled with public values only (statuspage/public.ts). */
async function render(deps: StatuspageSlackDeps, inc: Incident, values: Record<string, string> = {}) {
  const alerts = await listAlerts(deps.db, inc.id);
  return renderCommunication(deps.statuspage.templateFor(inc), {
    incident: inc,
    alerts,
    now: new Date(),
    values,
    components: deps.statuspage.publicComponents(inc, alerts),
  });
}

/** Step 1 of the dialog: what the template still needs, and the provider's components with the mapped ones chosen. */
async function openCompose(deps: StatuspageSlackDeps, inc: Incident, status: Status) {
  const alerts = await listAlerts(deps.db, inc.id);
  const rendered = await render(deps, inc);
  const provider = deps.statuspage.provider;
  const components = (await provider.components?.().catch(() => [])) ?? [];
  const mapped = resolveComponents(deps.statuspage.publicComponents(inc, alerts), components);
  return composeModal(inc, status, {
    providerName: provider.name,
    components,
    selected: mapped.found.map((c) => c.id),
    unknownComponents: mapped.unknown,
    missing: rendered.missing,
    prompts: rendered.prompts,
  });
}

export function registerStatuspage(deps_: StatuspageSlackDeps) {
  const deps = { ...deps_, userNames: deps_.userNames ?? createUserNames(deps_.app.client as never, deps_.logger) };
  const { app, service, logger } = deps;

  /**
   * An error as a modal field shows it: plain text, so no emoji code and people by name (`@alice`), never
   * `<@U…>` markup that a plain-text error would show literally.
   */
  const modalError = async (err: unknown, log: Logger): Promise<string> => {
    const text = errorReply(err, log).text.replace(/^:(warning|no_entry|x): /, '');
    const name = await deps.userNames!.forIdsIn(text);
    return text.replace(/<@([UW][A-Z0-9]{2,})>/g, (_, id: string) => `@${name(id) ?? id}`);
  };

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
    await app.client.views.open({ trigger_id: triggerId, view: (await openCompose(deps, inc, inc.status)) as never });
    return null;
  };

  deps.extensions.commands.statuspage = async (ctx) => {
    const inc = await ctx.incident();
    await open(inc, ctx.userId, ctx.triggerId);
    return null; // the form is the answer
  };
  deps.extensions.commands.postmortem = async (ctx) => {
    const inc = await ctx.incident();
    await postPostmortem(deps, inc, ctx.channelId);
    return null; // the file in the channel is the answer
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
        const incidentId = Number((action as { value?: string }).value);
        const log = logger.child({ incidentId, user: body.user.id, actionId });
        await respond({ ...errorReply(err, log), replace_original: false });
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
      title: rendered.title,
      components: selected.map((c) => ({
        ...c,
        status: compStatus.success ? compStatus.data : ('degraded_performance' as const),
      })),
    };
    await ack({ response_action: 'update', view: previewModal(inc, rendered.text, meta) as never });
  });

  app.view('statuspage_publish', async ({ ack, view, body }) => {
    const state = view.state.values as Record<string, Record<string, unknown>>;
    const body_ = viewValue(state, 'body')?.trim() ?? '';
    if (!body_) {
      await ack({ response_action: 'errors', errors: { body: 'The update needs some text.' } });
      return;
    }
    const meta = JSON.parse(view.private_metadata) as {
      incidentId: number;
      status: Status;
      title?: string;
      components: { id: string; name: string; status: ComponentStatus }[];
    };
    const title = viewValue(state, 'title')?.trim() || meta.title;
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
            title: title || inc.title,
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
        errors: { body: await modalError(err, logger.child({ incidentId: meta.incidentId, user })) },
      });
    }
  });

  /** Outbox: the offer after a status change, and how a publish went. */
  const handlers: Record<string, OutboxHandler> = {
    async [STATUSPAGE_OFFER_OP](row) {
      const inc = await service.get(row.incidentId!);
      if (!inc.channelId) throw new RetryableError(`${incidentRef(inc)} has no channel yet`);
      const p = row.payload as unknown as StatuspageOffer;
      return { ts: (await deps.post(inc.channelId, renderStatuspageOffer(inc, p.status))).ts };
    },
    async [STATUSPAGE_OUTCOME_OP](row) {
      const inc = await service.get(row.incidentId!);
      const o = row.payload as unknown as StatuspageOutcome;
      const channel = o.to === 'incidents' ? await deps.channelByName(deps.incidentsChannel) : inc.channelId;
      if (!channel) throw new RetryableError(`${incidentRef(inc)} has no channel yet`);
      return { ts: (await deps.post(channel, renderStatuspageOutcome(inc, o))).ts };
    },
  };

  return { handlers };
}

/** Renders the postmortem draft, with people's names, and posts it as a Markdown file in the channel. */
async function postPostmortem(deps: StatuspageSlackDeps, inc: Incident, channel: string) {
  const userName = await deps.userNames!.forIdsIn(inc, await deps.service.timeline(inc.id));
  const md = await exportFromStore(deps.db, inc.id, { runbooks: deps.runbooks, userName });
  await deps.app.client.filesUploadV2({
    channel_id: inc.channelId ?? channel,
    content: md,
    filename: `${incidentRef(inc).toLowerCase()}-postmortem.md`,
    title: `${incidentRef(inc)} postmortem draft`,
    initial_comment: `:memo: Postmortem draft for ${incidentRef(inc)}: fill in the _TODO_ parts.${
      inc.status === 'resolved' ? '' : ' The incident is still open: durations are so far.'
    }`,
  });
  await deps.service.record(inc.id, 'postmortem', null, 'Postmortem draft posted');
}
