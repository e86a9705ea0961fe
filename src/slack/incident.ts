import type { App } from '@slack/bolt';
import type { Logger } from 'pino';
import { parseSeverity } from '../alerts/severity.js';
import type { Config } from '../config.js';
import { NotFoundError, PermissionError, UserFacingError, ValidationError } from '../errors.js';
import type { OnCallNow } from '../escalation/oncall.js';
import { followupsFromEvents, parseFollowUp } from '../incidents/followups.js';
import { type Incident, incidentRef, type Severity, Status } from '../incidents/model.js';
import type { IncidentService } from '../incidents/service.js';
import { type IncidentCommand, parseIncidentCommand } from './command-parse.js';
import {
  type Bounded,
  renderFollowups,
  renderHelp,
  renderHome,
  renderList,
  renderTimeline,
} from './render/messages.js';
import { declareModal, resolveModal, updateModal, viewValue } from './render/modals.js';
import { esc } from './render/text.js';

export interface Reply {
  text: string;
  blocks?: unknown[];
  response_type?: 'ephemeral' | 'in_channel';
}

/** Extra `/incident` verbs and buttons other domains add (timers, status page, postmortem, diagnostics). */
export interface SlackExtensions {
  /** A command's private reply, or null when it succeeded and its public line says so (quiet channels). */
  commands: Partial<Record<IncidentCommand['kind'], (ctx: CommandContext) => Promise<Reply | null>>>;
}

export interface CommandContext {
  cmd: IncidentCommand;
  userId: string;
  channelId: string;
  triggerId: string;
  /** The incident the command is about (channel or explicit number); throws a helpful error when none. */
  incident(): Promise<Incident>;
  client: App['client'];
}

export interface HandlerDeps {
  app: App;
  service: IncidentService;
  config: Config;
  logger: Logger;
  extensions?: SlackExtensions;
  /** Who is on call now, for App Home: at most `limit` rotations, with the total. */
  onCall?: (limit: number) => Promise<Bounded<OnCallNow>>;
}

const ephemeral = (text: string, blocks?: unknown[]): Reply => ({
  response_type: 'ephemeral',
  text,
  ...(blocks ? { blocks } : {}),
});

/** Domain messages name people as `@U012AB`; in Slack they become mentions. */
export const mentionUsers = (text: string) => text.replace(/(^|[\s(])@([UW][A-Z0-9]{2,})\b/g, '$1<@$2>');

/** Turns an error into what the person sees; only our own user-facing messages are shown verbatim. */
export function errorReply(err: unknown, logger: Logger): Reply {
  if (err instanceof PermissionError) return ephemeral(`:no_entry: ${mentionUsers(err.message)}`);
  if (err instanceof UserFacingError) return ephemeral(`:warning: ${mentionUsers(err.message)}`);
  logger.error({ err }, 'slack handler failed');
  return ephemeral(
    ':x: Something went wrong on our side; it is logged. Try again, or use the buttons in the incident channel.',
  );
}

/**
 * Acks within Slack's 3 seconds: with the answer when it is quick, else "working on it" and the answer later.
 * A null answer is a success whose public line says it all: the ack is empty and nobody gets a private echo
 * (issue #19, quiet channels); private replies are for errors, refusals, help and lists asked for.
 */
async function answer(
  ack: (r?: Reply) => Promise<void>,
  respond: (r: Reply) => Promise<unknown>,
  work: Promise<Reply | null>,
  logger: Logger,
): Promise<void> {
  const settled = work.catch((err) => errorReply(err, logger));
  const slow = Symbol('slow');
  const quick = await Promise.race([settled, new Promise<typeof slow>((r) => setTimeout(() => r(slow), 2000).unref())]);
  if (quick !== slow) {
    await (quick ? ack(quick) : ack());
    return;
  }
  await ack(ephemeral(':hourglass_flowing_sand: Working on it…'));
  const late = await settled;
  if (late) await respond(late);
}

/** Rows per App Home list (the rest is "N more"); 4 lists stay under the 100-block view limit. */
const HOME_LIST_LIMIT = 15;

/** Events `/incident timeline` shows: the latest ones that fit one message. */
const TIMELINE_LATEST = 40;

export function registerIncidentCommands(deps: HandlerDeps): void {
  const { app, service, config, logger } = deps;
  const userIds = new Map<string, string>();

  async function resolveUser(ref: string): Promise<string> {
    if (!ref.startsWith('@')) return ref;
    const name = ref.slice(1).toLowerCase();
    if (!userIds.size) {
      let cursor: string | undefined;
      do {
        const page = await app.client.users.list({ limit: 500, cursor });
        for (const m of page.members ?? []) {
          if (!m.id) continue;
          for (const n of [m.name, m.profile?.display_name, m.real_name]) if (n) userIds.set(n.toLowerCase(), m.id);
        }
        cursor = page.response_metadata?.next_cursor || undefined;
      } while (cursor);
    }
    const id = userIds.get(name);
    if (!id) throw new ValidationError(`No user called @${name} in this workspace.`, 'user');
    return id;
  }

  async function incidentFor(channelId: string, ref: number | null): Promise<Incident> {
    if (ref != null) return service.get(ref);
    const inc = await service.byChannel(channelId);
    if (inc) return inc;
    throw new NotFoundError(
      'This channel is not an incident channel. Run the command in the incident channel, or name the incident: `/incident ack 12`.',
    );
  }

  async function run(
    cmd: IncidentCommand,
    user: string,
    channel: string,
    triggerId: string,
    log?: Logger,
    channelName?: string,
  ): Promise<Reply | null> {
    const ref = 'ref' in cmd ? cmd.ref : null;
    // The incident a command works on, once known (often from the channel), joins the command's log lines.
    const incident = async () => {
      const inc = await incidentFor(channel, ref);
      log?.setBindings({ incidentId: inc.id });
      return inc;
    };
    const ext = deps.extensions?.commands[cmd.kind];
    if (ext) return ext({ cmd, userId: user, channelId: channel, triggerId, incident, client: app.client });
    switch (cmd.kind) {
      case 'help':
        return ephemeral(
          renderHelp(cmd.unknown ? `:grey_question: I don't know \`${esc(cmd.unknown)}\`.` : undefined).text,
        );
      case 'error':
        return ephemeral(`:warning: ${cmd.message}\nTry \`/incident help\`.`);
      case 'declare': {
        if (!cmd.title || !cmd.severity) {
          await app.client.views.open({
            trigger_id: triggerId,
            view: declareModal({ title: cmd.title, severity: cmd.severity, channelId: channel }) as never,
          });
          return null; // the form is the answer
        }
        const inc = await service.declare({ title: cmd.title, severity: cmd.severity, actor: user, source: 'slash' });
        // Typed in the announcements channel, the announcement is the answer; elsewhere the person would see
        // nothing where they typed, so they are told privately where it went.
        if (channelName && channelName === config.INCIDENTS_CHANNEL.replace(/^#/, '')) return null;
        return ephemeral(
          `:rotating_light: Declared *${incidentRef(inc)}* (${inc.severity}): ${esc(inc.title)}. Opening its channel…`,
        );
      }
      case 'status': {
        const inc = await incident();
        if (!cmd.status) {
          return ephemeral(
            `*${incidentRef(inc)}* ${esc(inc.title)}: ${inc.severity}, ${inc.status}, commander ${inc.commander ? `<@${inc.commander}>` : 'unassigned'}.`,
          );
        }
        await service.setStatus(inc.id, cmd.status, user);
        return null;
      }
      case 'update': {
        const inc = await incident();
        await service.update(inc.id, cmd.text, user);
        return null;
      }
      case 'severity': {
        const inc = await incident();
        await service.setSeverity(inc.id, cmd.severity, user);
        return null;
      }
      case 'assign': {
        const inc = await incident();
        const target = await resolveUser(cmd.user);
        await service.assign(inc.id, cmd.role, target, user);
        return null;
      }
      case 'ack': {
        const inc = await incident();
        await service.ack(inc.id, user);
        return null;
      }
      case 'resolve': {
        const inc = await incident();
        await service.resolve(inc.id, user, cmd.summary || undefined);
        return null;
      }
      case 'timeline': {
        const inc = await incident();
        // The latest events fit one ephemeral reply; the rest are counted, not loaded.
        const { events, total } = await service.latestEvents(inc.id, TIMELINE_LATEST);
        const [first] = renderTimeline(inc, events, total - events.length);
        return ephemeral(first!.text, first!.blocks);
      }
      case 'runbook': {
        const inc = await incident();
        const match = await service.repostRunbook(inc.id, user, cmd.alertname ?? undefined);
        if (cmd.alertname && !match) return ephemeral(`:grey_question: No runbook matches \`${esc(cmd.alertname)}\`.`);
        return null; // the runbook message is posted in the channel
      }
      case 'list': {
        const m = renderList(await service.listOpen(), new Date());
        return ephemeral(m.text, m.blocks);
      }
      case 'followup': {
        const inc = await incident();
        const f = parseFollowUp(cmd.text, user);
        const owner = f.ownerName ? await resolveUser(`@${f.ownerName}`) : f.owner;
        if (!f.text)
          return ephemeral(':warning: Say what should be done, e.g. `/incident followup @bob add an alert`.');
        await service.addFollowup(inc.id, f.text, owner, user);
        return null;
      }
      case 'followups': {
        const inc = await incident();
        const m = renderFollowups(inc, followupsFromEvents(await service.timeline(inc.id)));
        return ephemeral(m.text, m.blocks);
      }
      case 'timers':
      case 'snooze':
      case 'statuspage':
      case 'postmortem':
      case 'merge':
        return ephemeral(`\`/incident ${cmd.kind}\` is not available in this build.`);
    }
  }

  app.command('/incident', async ({ command, ack, respond }) => {
    const cmd = parseIncidentCommand(command.text ?? '');
    const ref = 'ref' in cmd ? cmd.ref : null;
    const log = logger.child({ user: command.user_id, command: cmd.kind, ...(ref != null ? { incidentId: ref } : {}) });
    await answer(
      ack as never,
      respond as never,
      run(cmd, command.user_id, command.channel_id, command.trigger_id, log, command.channel_name),
      log,
    );
    log.debug('/incident answered');
  });

  // Header and resolve-offer buttons.
  const incidentAction = (
    actionId: string,
    fn: (inc: Incident, user: string, triggerId: string) => Promise<Reply | null>,
  ) =>
    app.action(actionId, async ({ ack, body, action, respond }) => {
      await ack();
      const user = body.user.id;
      const id = Number((action as { value?: string }).value);
      const log = logger.child({ user, actionId, incidentId: id });
      try {
        if (!Number.isInteger(id)) throw new ValidationError('This button does not name an incident.', 'value');
        const inc = await service.get(id);
        await service.record(inc.id, 'click', user, `clicked ${actionId.replace(/^incident_/, '')}`, { actionId });
        const reply = await fn(inc, user, (body as { trigger_id?: string }).trigger_id ?? '');
        if (reply) await respond({ ...reply, response_type: 'ephemeral', replace_original: false });
      } catch (err) {
        await respond({ ...errorReply(err, log), replace_original: false });
      }
    });

  incidentAction('incident_ack', async (inc, user) => {
    await service.ack(inc.id, user);
    return null;
  });
  incidentAction('incident_update', async (inc, _user, trigger) => {
    await app.client.views.open({ trigger_id: trigger, view: updateModal(inc) as never });
    return null;
  });
  incidentAction('incident_resolve', async (inc, _user, trigger) => {
    if (inc.status === 'resolved') return ephemeral(`${incidentRef(inc)} is already resolved.`);
    await app.client.views.open({ trigger_id: trigger, view: resolveModal(inc) as never });
    return null;
  });
  // A link button still sends an action; acknowledging it is all there is to do.
  app.action('runbook_url_open', async ({ ack }) => {
    await ack();
  });
  incidentAction('incident_pick_runbook', async (inc) =>
    ephemeral(
      `To show another runbook for ${incidentRef(inc)}, type \`/incident runbook &lt;alertname&gt;\` with the alert or section it is written for (\`incident-bot runbooks match &lt;alertname&gt;\` shows what would match).`,
    ),
  );
  incidentAction('incident_reopen', async (inc, user) => {
    await service.setStatus(inc.id, 'investigating', user);
    return null;
  });
  app.action('home_declare', async ({ ack, body }) => {
    await ack();
    await app.client.views.open({
      trigger_id: (body as { trigger_id: string }).trigger_id,
      view: declareModal() as never,
    });
  });

  app.view('declare_modal', async ({ ack, view, body }) => {
    const values = view.state.values as Record<string, Record<string, unknown>>;
    const title = viewValue(values, 'title')?.trim() ?? '';
    const severity = parseSeverity(viewValue(values, 'severity') ?? '', config.SEVERITY_MAP) as Severity | null;
    const errors: Record<string, string> = {};
    if (!title) errors.title = 'Give the incident a short title.';
    if (!severity) errors.severity = 'Pick a severity.';
    if (Object.keys(errors).length) {
      await ack({ response_action: 'errors', errors });
      return;
    }
    await ack();
    try {
      await service.declare({
        title,
        severity: severity!,
        actor: body.user.id,
        source: 'modal',
        description: viewValue(values, 'description'),
        commander: viewValue(values, 'commander'),
      });
    } catch (err) {
      logger.error({ err, user: body.user.id }, 'declare from modal failed');
    }
  });

  app.view('update_modal', async ({ ack, view, body }) => {
    const values = view.state.values as Record<string, Record<string, unknown>>;
    const text = viewValue(values, 'text')?.trim() ?? '';
    if (!text) {
      await ack({ response_action: 'errors', errors: { text: 'Write what changed.' } });
      return;
    }
    await ack();
    const { incidentId } = JSON.parse(view.private_metadata || '{}') as { incidentId: number };
    const status = Status.safeParse(viewValue(values, 'status'));
    try {
      // One change, one public line: the update and the status it moves to.
      await service.update(incidentId, text, body.user.id, status.success ? status.data : undefined);
    } catch (err) {
      logger.error({ err, incidentId, user: body.user.id }, 'update from modal failed');
    }
  });

  app.view('resolve_modal', async ({ ack, view, body }) => {
    await ack();
    const { incidentId } = JSON.parse(view.private_metadata || '{}') as { incidentId: number };
    const summary = viewValue(view.state.values as Record<string, Record<string, unknown>>, 'summary') ?? undefined;
    try {
      await service.resolve(incidentId, body.user.id, summary);
    } catch (err) {
      logger.error({ err, incidentId, user: body.user.id }, 'resolve from modal failed');
    }
  });

  app.event('app_home_opened', async ({ event, client, context }) => {
    if ((event as { tab?: string }).tab && (event as { tab?: string }).tab !== 'home') return;
    // Slack redelivers (X-Slack-Retry-Num) an event whose ack it missed; Bolt acked the first on arrival, so that
    // one is already being handled: publishing again would be a second action.
    if (context.retryNum) return;
    const oncall = await deps.onCall?.(HOME_LIST_LIMIT).catch((err) => {
      logger.warn({ err, user: event.user }, 'on-call groups unavailable for App Home');
      return undefined;
    });
    const view = renderHome({ ...(await service.home(event.user, HOME_LIST_LIMIT)), oncall }, new Date());
    await client.views.publish({ user_id: event.user, view: view as never });
  });

  app.error(async (err) => {
    logger.error({ err }, 'bolt error');
  });
}
