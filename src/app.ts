import { randomBytes } from 'node:crypto';
import { App, HTTPReceiver, SocketModeReceiver } from '@slack/bolt';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createRoleResolver, loadRolesFile, parseRoles } from './auth/roles.js';
import type { Config } from './config.js';
import { createDiagnostics } from './diagnostics/run.js';
import { createEmulator, type Emulator, type EmulatorOptions } from './emulator/index.js';
import { createEscalation } from './escalation/setup.js';
import { alertmanagerHandler } from './http/alertmanager.js';
import { sendJson } from './http/body.js';
import { createHttpServer, type Handler, type HttpServer } from './http/server.js';
import { type IncidentHooks, IncidentService, type RunbookLookup } from './incidents/service.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createOutboxSender, type OutboxSender } from './outbox/sender.js';
import { createRunbookLookup, type RunbookSource } from './runbooks/lookup.js';
import { createSlackCaller } from './slack/client.js';
import { registerDiagnostics } from './slack/diagnostics.js';
import { registerEscalation } from './slack/escalation.js';
import { registerIncidentCommands, type SlackExtensions } from './slack/incident.js';
import { createIncidentOutbox } from './slack/incident-outbox.js';
import { redisGate } from './slack/rate-gate.js';
import { registerStatuspage } from './slack/statuspage.js';
import { createUserGroups, type UserGroups } from './slack/usergroups.js';
import { createStatuspage } from './statuspage/setup.js';
import { type Db, openDb } from './store/db.js';
import { countOpenBySeverity } from './store/incidents.js';
import { migrate } from './store/migrate.js';
import { releaseInflight } from './store/outbox.js';

/** Everything a running bot holds; tests start one in-process and drive it over HTTP. */
export interface Bot {
  url: string;
  port: number;
  config: Config;
  db: Db;
  metrics: Metrics;
  logger: Logger;
  service: IncidentService;
  sender: OutboxSender;
  runbooks: RunbookSource;
  /** The local Slack workspace (local mode only). */
  emulator: Emulator | null;
  /** Stops taking work, finishes in-flight requests and work, closes pools. */
  stop(): Promise<void>;
}

export interface StartOptions {
  logger: Logger;
  /** Overrides PORT (0 picks a free port). */
  port?: number;
  /** Use an already-open database (tests); it is left open on stop. */
  db?: Db;
  /** Local-workspace settings (tests and benches: rate limits, faults, seed). */
  emulator?: Partial<EmulatorOptions>;
  now?: () => Date;
}

/** Something that runs in the background and can be asked to finish. */
export interface Worker {
  start(): void;
  stop(): Promise<void>;
}

/** Wires every part and starts serving. Order: store, runbooks, HTTP, Slack (or the local workspace), workers. */
export async function startBot(config: Config, opts: StartOptions): Promise<Bot> {
  const { logger } = opts;
  const metrics = createMetrics();
  const db = opts.db ?? (await openStore(config));
  const migrations = await migrate(db);
  if (migrations.applied.length) logger.info({ applied: migrations.applied }, 'database migrated');
  logger.info(
    { store: db.kind },
    db.kind === 'pglite' ? `embedded database in ${config.INCIDENT_BOT_DATA}` : 'PostgreSQL store',
  );

  // The embedded database has one owner: whatever a previous process left in flight is ours to resend now,
  // instead of after the lease (on PostgreSQL another replica may still be sending it).
  if (db.kind === 'pglite') {
    const released = await releaseInflight(db);
    if (released) logger.warn({ released }, 'resending Slack work a previous process left unfinished');
  }

  const runbooks = await createRunbookLookup(config.RUNBOOKS_DIR, logger);
  const localMode = !config.SLACK_BOT_TOKEN;
  // In local mode the workspace signs with a secret made up per process; nothing outside can forge it.
  const signingSecret = config.SLACK_SIGNING_SECRET ?? randomBytes(16).toString('hex');
  const botToken = config.SLACK_BOT_TOKEN ?? `xoxb-local-${randomBytes(8).toString('hex')}`;

  // Routes are bound once the Slack side exists (after listen, when the port is known).
  let slackListener: Handler | null = null;
  let emulator: Emulator | null = null;
  let alerts: Handler | null = null;
  const handlers: Handler[] = [
    (req, res, url) => {
      if (url.pathname !== '/slack/events') return false;
      if (!slackListener) sendJson(res, 503, { ok: false, error: 'starting' });
      else return slackListener(req, res, url);
      return true;
    },
    (req, res, url) => (alerts ? alerts(req, res, url) : false),
    (req, res) => (emulator ? emulator.handle(req, res) : false),
  ];
  const http: HttpServer = createHttpServer({
    logger,
    metrics,
    handlers,
    ready: async () => slackListener !== null && (await db.query('SELECT 1').then(() => true)),
  });
  const { url, port } = await http.listen(opts.port ?? config.PORT, config.HOST);
  const base = config.PUBLIC_URL ?? url;

  if (localMode) {
    emulator = createEmulator({
      signingSecret,
      botToken,
      baseUrl: url,
      eventsUrl: `http://127.0.0.1:${port}/slack/events`,
      workspace: config.EMULATOR_WORKSPACE,
      rateLimits: { enabled: config.EMULATOR_RATE_LIMITS },
      logger: logger.child({ component: 'emulator' }),
      ...opts.emulator,
    });
  }
  const apiUrl = config.SLACK_API_URL ?? emulator?.apiUrl;

  // Socket Mode (SLACK_APP_TOKEN): Slack delivers over a websocket we open, so no public URL is needed.
  const socketMode = !localMode && Boolean(config.SLACK_APP_TOKEN);
  const receiver = socketMode
    ? new SocketModeReceiver({ appToken: config.SLACK_APP_TOKEN!, logger: boltLogger(logger) })
    : new HTTPReceiver({
        signingSecret,
        endpoints: '/slack/events',
        processBeforeResponse: false,
        logger: boltLogger(logger),
      });
  const slack = new App({
    receiver,
    token: botToken,
    logger: boltLogger(logger),
    clientOptions: { slackApiUrl: apiUrl },
    tokenVerificationEnabled: false,
  });
  const redis = config.REDIS_URL
    ? new Redis(config.REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: false })
    : null;
  redis?.on('error', (err) =>
    logger.warn({ err: err.message }, 'Redis unavailable; Slack rate limits are remembered per replica'),
  );
  const caller = createSlackCaller({ token: botToken, apiUrl, metrics, gate: redis ? redisGate(redis) : undefined });

  const hooks: IncidentHooks[] = [];
  let sender: OutboxSender | null = null;
  const lookup: () => RunbookLookup = () => runbooks;
  const usergroups = createUserGroups(caller);
  const roleOf = await createRoles(config, logger, usergroups);
  const service = new IncidentService({
    db,
    config,
    logger,
    metrics,
    runbooks: lookup,
    hooks,
    kick: () => sender?.kick(),
    now: opts.now,
    access: { roleOf, groupsOf: (user) => usergroups.of(user).catch(() => []) },
  });

  const groupMembers = async (handle: string): Promise<string[]> => {
    const users = await usergroups.members(handle);
    if (!users) logger.warn({ handle }, 'user group not found; nobody from it is invited');
    return users ?? [];
  };

  const extensions: SlackExtensions = { commands: {} };
  registerIncidentCommands({ app: slack, service, config, logger, extensions });
  const escalation = createEscalation({
    db,
    config,
    logger,
    metrics,
    service,
    groupIds: usergroups.ids,
    now: opts.now,
  });
  hooks.push(escalation.hook);
  const escalationSlack = registerEscalation({
    app: slack,
    db,
    config,
    logger,
    service,
    escalation,
    caller,
    usergroups,
    extensions,
    kick: () => sender?.kick(),
    now: opts.now,
  });
  const ops = createIncidentOutbox({
    db,
    config,
    logger,
    slack: caller,
    incidents: service,
    groupMembers,
    nextTimer: escalationSlack.nextTimer,
    runbookTimers: escalation.runbookTimers,
  });

  const statuspage = await createStatuspage({ db, config, logger, service, kick: () => sender?.kick() });
  hooks.push(statuspage.hook);
  const statuspageSlack = registerStatuspage({
    app: slack,
    db,
    service,
    runbooks,
    statuspage,
    logger,
    extensions,
    incidentsChannel: config.INCIDENTS_CHANNEL,
    kick: () => sender?.kick(),
    post: ops.post,
    channelByName: ops.channelByName,
  });

  const diagnostics = createDiagnostics({
    kubeconfig: config.KUBECONFIG,
    prometheusUrl: config.PROMETHEUS_URL,
    postgresTargets: config.DIAG_POSTGRES_URLS,
    redisTargets: config.DIAG_REDIS_URLS,
    timeoutMs: config.DIAG_TIMEOUT_MS,
    maxConcurrent: config.DIAG_MAX_CONCURRENT,
    maxPerIncident: config.DIAG_MAX_PER_INCIDENT,
    logger: logger.child({ component: 'diagnostics' }),
    metrics,
  });
  const diag = registerDiagnostics({
    app: slack,
    db,
    service,
    runbooks,
    diagnostics,
    roleOf,
    logger,
    kick: () => sender?.kick(),
  });

  sender = createOutboxSender({
    db,
    handlers: {
      ...ops.handlers,
      ...statuspage.handlers,
      ...statuspageSlack.handlers,
      ...escalation.handlers,
      ...escalationSlack.handlers,
      'slack.file': diag.fileHandler(slack),
    },
    logger: logger.child({ component: 'outbox' }),
    metrics,
    pollMs: config.OUTBOX_POLL_MS,
    leaseMs: config.OUTBOX_LEASE_MS,
    now: opts.now,
  });

  alerts = alertmanagerHandler({ service, token: config.ALERT_WEBHOOK_TOKEN, logger, metrics });
  if (receiver instanceof HTTPReceiver) {
    slackListener = (req, res) => {
      receiver.requestListener(req, res);
      return true;
    };
  } else {
    await receiver.start();
    logger.info('connected to Slack in Socket Mode');
    slackListener = (_req, res) => {
      sendJson(res, 404, {
        ok: false,
        error: 'socket_mode',
        message: 'this bot receives Slack events over Socket Mode',
      });
      return true;
    };
  }

  metrics.incidentsOpen.reset();
  const refreshGauges = async () => {
    const counts = await countOpenBySeverity(db).catch(() => ({}) as Record<string, number>);
    for (const s of ['P1', 'P2', 'P3', 'P4']) metrics.incidentsOpen.set({ severity: s }, counts[s] ?? 0);
  };
  const gaugeTimer = setInterval(() => void refreshGauges(), 15_000);
  gaugeTimer.unref();
  void refreshGauges();

  const workers: Worker[] = [sender, escalation.worker];
  for (const w of workers) w.start();
  if (localMode) {
    logger.warn(`SLACK_BOT_TOKEN is unset: running against the local Slack workspace — open ${base}/ in a browser`);
  }
  logger.info({ url, port, slackApi: apiUrl ?? 'https://slack.com/api/' }, 'listening');

  let stopping: Promise<void> | null = null;
  return {
    url,
    port,
    config,
    db,
    metrics,
    logger,
    service,
    sender,
    runbooks,
    emulator,
    stop() {
      stopping ??= (async () => {
        logger.info('shutting down: no new work, finishing in-flight');
        clearInterval(gaugeTimer);
        await http.close(config.SHUTDOWN_TIMEOUT_MS);
        if (receiver instanceof SocketModeReceiver) await receiver.stop().catch(() => {});
        await Promise.all(workers.map((w) => w.stop()));
        await diagnostics.close();
        redis?.disconnect();
        await emulator?.close();
        if (!opts.db) await db.close();
        logger.info('stopped');
      })();
      return stopping;
    },
  };
}

/**
 * Who may run diagnostics: the roles file, or without one everyone a responder (reads allowed, no
 * writes), which is what a first run needs and what the warning tells operators to change.
 */
async function createRoles(config: Config, logger: Logger, usergroups: UserGroups) {
  const roles = config.ROLES_FILE
    ? await loadRolesFile(config.ROLES_FILE)
    : parseRoles('default: responder', 'built-in default');
  if (!config.ROLES_FILE)
    logger.warn('ROLES_FILE is unset: everyone may run read-only diagnostics and nobody may run write actions');
  return createRoleResolver(roles, usergroups.of, (err) =>
    logger.warn({ err }, 'user group lookup failed; using user roles only'),
  );
}

async function openStore(config: Config): Promise<Db> {
  return openDb({ databaseUrl: config.DATABASE_URL, dataDir: config.INCIDENT_BOT_DATA }).catch((err) => {
    throw new Error(
      config.DATABASE_URL
        ? `cannot connect to DATABASE_URL: ${(err as Error).message}`
        : `cannot open the embedded database in ${config.INCIDENT_BOT_DATA}: ${(err as Error).message}`,
    );
  });
}

/** Bolt logs through our pino instance, so its lines carry the same context and redaction. */
function boltLogger(logger: Logger) {
  const l = logger.child({ component: 'bolt' });
  return {
    debug: (...m: unknown[]) => l.debug(m.map(String).join(' ')),
    info: (...m: unknown[]) => l.info(m.map(String).join(' ')),
    warn: (...m: unknown[]) => l.warn(m.map(String).join(' ')),
    error: (...m: unknown[]) => l.error(m.map(String).join(' ')),
    setLevel: () => {},
    getLevel: () => 'info' as never,
    setName: () => {},
  };
}
