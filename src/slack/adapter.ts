import type { Logger } from 'pino';
import type { Storms } from '../alerts/storms.js';
import type { Role } from '../auth/policy.js';
import { createRoleResolver, loadRolesFile, parseRoles } from '../auth/roles.js';
import type { Config } from '../config.js';
import type { Diagnostics } from '../diagnostics/run.js';
import { onCallRotations, whoIsOnCall } from '../escalation/oncall.js';
import type { Escalation } from '../escalation/setup.js';
import type { IncidentService } from '../incidents/service.js';
import type { OutboxHandler } from '../outbox/sender.js';
import type { RunbookSource } from '../runbooks/lookup.js';
import type { Statuspage } from '../statuspage/setup.js';
import type { Db } from '../store/db.js';
import { createAlertSlackOps, registerAlertActions } from './alerts.js';
import { registerDiagnostics } from './diagnostics.js';
import { registerEscalation } from './escalation.js';
import { registerIncidentCommands, type SlackExtensions } from './incident.js';
import { createIncidentOutbox } from './incident-outbox.js';
import { registerStatuspage } from './statuspage.js';
import { registerStorms } from './storm.js';
import type { SlackTransport } from './transport.js';
import type { UserGroups } from './usergroups.js';

export interface SlackAdapterDeps {
  transport: SlackTransport;
  db: Db;
  config: Config;
  logger: Logger;
  service: IncidentService;
  runbooks: RunbookSource;
  escalation: Escalation;
  statuspage: Statuspage;
  diagnostics: Diagnostics;
  /** The roles file as a resolver (createRoles), shared with the incident service's permission checks. */
  roleOf?: (userId: string) => Promise<Role>;
  /** Wakes the outbox sender. */
  kick: () => void;
  now?: () => Date;
  /** Storms and merges: summary, Split out, `/incident merge INC-12`. */
  storms?: Storms;
}

/**
 * Slack in front of the domains: `/incident` and its buttons and modals, escalation pings, status-page
 * dialogs, diagnostics buttons; returns the outbox handlers that talk to Slack.
 */
export async function registerSlackAdapter(
  deps: SlackAdapterDeps,
): Promise<{ handlers: Record<string, OutboxHandler> }> {
  const { transport, db, config, logger, service, kick } = deps;
  const { app, caller, usergroups } = transport;
  const extensions: SlackExtensions = { commands: {} };
  registerIncidentCommands({
    app,
    service,
    config,
    logger,
    extensions,
    onCall: (limit) => whoIsOnCall(onCallRotations(config), (h) => usergroups.members(h), limit),
  });
  const escalation = registerEscalation({
    app,
    db,
    config,
    logger,
    service,
    escalation: deps.escalation,
    caller,
    usergroups,
    extensions,
    kick,
    now: deps.now,
  });
  const incidentOutbox = createIncidentOutbox({
    db,
    config,
    logger,
    slack: caller,
    incidents: service,
    stormOf: deps.storms ? (inc) => deps.storms!.announcementScope(inc.id) : undefined,
    groupMembers: async (handle) => {
      const users = await usergroups.members(handle);
      if (!users)
        logger.warn(
          { handle },
          `user group @${handle.replace(/^@/, '')} does not exist: nobody from it is invited. Fix ONCALL_GROUPS / DEFAULT_ONCALL_GROUP or create the group.`,
        );
      return users ?? [];
    },
    nextTimer: escalation.nextTimer,
    runbookTimers: deps.escalation.runbookTimers,
  });
  const statuspage = registerStatuspage({
    app,
    db,
    service,
    runbooks: deps.runbooks,
    statuspage: deps.statuspage,
    logger,
    extensions,
    incidentsChannel: config.INCIDENTS_CHANNEL,
    kick,
    post: incidentOutbox.post,
    channelByName: incidentOutbox.channelByName,
  });
  const diagnostics = registerDiagnostics({
    app,
    db,
    service,
    runbooks: deps.runbooks,
    diagnostics: deps.diagnostics,
    roleOf: deps.roleOf ?? (await createRoles(config, logger, usergroups)),
    logger,
    kick,
  });
  registerAlertActions(app);
  const storms = deps.storms
    ? registerStorms({
        app,
        db,
        logger,
        slack: caller,
        service,
        storms: deps.storms,
        extensions,
        post: incidentOutbox.post,
        kick,
      })
    : { handlers: {} };
  const alertOps = createAlertSlackOps({
    db,
    config,
    post: incidentOutbox.post,
    channelByName: incidentOutbox.channelByName,
    now: deps.now,
  });
  return {
    handlers: {
      ...incidentOutbox.handlers,
      ...alertOps.handlers,
      ...storms.handlers,
      ...statuspage.handlers,
      ...escalation.handlers,
      'slack.file': diagnostics.fileHandler(app),
    },
  };
}

/**
 * Who may run diagnostics: the roles file, or without one everyone a responder (reads allowed, no
 * writes), which is what a first run needs and what the warning tells operators to change.
 */
export async function createRoles(config: Config, logger: Logger, usergroups: UserGroups) {
  const roles = config.ROLES_FILE
    ? await loadRolesFile(config.ROLES_FILE)
    : parseRoles('default: responder', 'built-in default');
  if (!config.ROLES_FILE)
    logger.warn('ROLES_FILE is unset: everyone may run read-only diagnostics and nobody may run write actions');
  return createRoleResolver(roles, usergroups.of, (err) =>
    logger.warn({ err }, 'user group lookup failed; using user roles only'),
  );
}
