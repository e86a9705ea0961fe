import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { AlertIngest } from './alerts/ingest.js';
import { Storms } from './alerts/storms.js';
import { loadRolesFile } from './auth/roles.js';
import { type Config, webhookAuthMode } from './config.js';
import { createDiagnostics } from './diagnostics/run.js';
import { createEmulator, type Emulator, type EmulatorOptions } from './emulator/index.js';
import { UserFacingError } from './errors.js';
import { auditTargets, type KnownGroup, runbookTargetUses } from './escalation/audit.js';
import { createEscalation } from './escalation/setup.js';
import { alertmanagerHandler, parseNotification } from './http/alertmanager.js';
import { sendJson } from './http/body.js';
import { createRejectLog } from './http/reject-log.js';
import { createHttpServer, type Handler, type HttpServer } from './http/server.js';
import { type IncidentHooks, IncidentService } from './incidents/service.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createOutboxSender, type OutboxSender } from './outbox/sender.js';
import { createRunbookLookup, type RunbookSource } from './runbooks/lookup.js';
import type { RunbookDocument } from './runbooks/schema.js';
import { createRoles, registerSlackAdapter } from './slack/adapter.js';
import { createSlackTransport } from './slack/transport.js';
import { createStatuspage } from './statuspage/setup.js';
import { type Db, describeStore, openDb } from './store/db.js';
import { countOpenBySeverity } from './store/incidents.js';
import { migrate } from './store/migrate.js';
import { releaseInflight } from './store/outbox.js';
import { createRetentionWorker } from './store/retention.js';
import { dbSeenStore } from './store/seen.js';
import { Severity } from './vocabulary.js';

/** The local workspace's file under INCIDENT_BOT_DATA. */
export const LOCAL_WORKSPACE_FILE = 'local-workspace.json';

/** Everything a running bot holds; tests start one in-process and drive it over HTTP. */
export interface Bot {
  url: string;
  port: number;
  config: Config;
  db: Db;
  metrics: Metrics;
  logger: Logger;
  service: IncidentService;
  /** Alert intake (stores notifications; resumes unfinished ones). */
  ingest: AlertIngest;
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
  /** Local mode: forget the workspace kept under INCIDENT_BOT_DATA and start it fresh (`serve --reset-workspace`). */
  resetWorkspace?: boolean;
}

/** Something that runs in the background and can be asked to finish. */
export interface Worker {
  start(): void;
  stop(): Promise<void>;
}

/**
 * Wires every part and starts serving. Order: store, runbooks, HTTP (so the port is known), Slack transport
 * (or the local workspace), the domains, the Slack adapter in front of them, then the workers.
 */
export async function startBot(config: Config, opts: StartOptions): Promise<Bot> {
  const { logger } = opts;
  const rejectLog = createRejectLog(logger.child({ component: 'http' }));
  // Before anything is opened: a real workspace with an open alert webhook is refused (rt-07).
  const webhookAuth = webhookAuthMode(config);
  const metrics = createMetrics();
  const db = opts.db ?? (await openStore(config, logger));
  await prepareStore(db, config, logger);
  const runbooks = await createRunbookLookup(config.RUNBOOKS_DIR, logger);

  // HTTP first: routes are bound once the Slack side exists (after listen, when the port is known).
  const routes: { slack: Handler | null; alerts: Handler | null; emulator: Emulator | null } = {
    slack: null,
    alerts: null,
    emulator: null,
  };
  const http: HttpServer = createHttpServer({
    logger,
    metrics,
    handlers: [
      (req, res, url) => {
        if (url.pathname !== '/slack/events') return false;
        if (!routes.slack) sendJson(res, 503, { ok: false, error: 'starting' });
        else return routes.slack(req, res, url);
        return true;
      },
      (req, res, url) => (routes.alerts ? routes.alerts(req, res, url) : false),
      (req, res) => (routes.emulator ? routes.emulator.handle(req, res) : false),
    ],
    ready: async () => routes.slack !== null && (await db.query('SELECT 1').then(() => true)),
  });
  const localMode = !config.SLACK_BOT_TOKEN;
  // Local mode serves an unauthenticated-by-design workspace page: loopback only unless HOST says otherwise.
  const host = config.HOST ?? (localMode ? '127.0.0.1' : '0.0.0.0');
  const { url, port } = await http.listen(opts.port ?? config.PORT, host);
  db.lock?.update({ port });
  const base = config.PUBLIC_URL ?? url;

  // Slack: a real workspace, or the local one mounted on our own port. In local mode the signing secret is made
  // up per process unless EMULATOR_SIGNING_SECRET is set, and the bot token is settable (EMULATOR_BOT_TOKEN) and
  // printed, so other tools or a second replica can use the workspace.
  const signingSecret =
    config.SLACK_SIGNING_SECRET ?? config.EMULATOR_SIGNING_SECRET ?? randomBytes(16).toString('hex');
  const botToken =
    config.SLACK_BOT_TOKEN ?? config.EMULATOR_BOT_TOKEN ?? `xoxb-local-${randomBytes(8).toString('hex')}`;
  const emulator = localMode
    ? createEmulator({
        signingSecret,
        botToken,
        baseUrl: url,
        eventsUrl: `http://127.0.0.1:${port}/slack/events`,
        workspace: config.EMULATOR_WORKSPACE,
        rateLimits: { enabled: config.EMULATOR_RATE_LIMITS },
        controlToken: config.EMULATOR_TOKEN,
        ...(config.PUBLIC_URL ? { allowedHosts: [config.PUBLIC_URL] } : {}),
        // The workspace lasts as long as the store beside it: incidents point at its channels. (Tests that pass
        // their own database get a workspace in memory.)
        ...(!opts.db && !config.INCIDENT_BOT_DATA.startsWith('memory://')
          ? { persistPath: join(config.INCIDENT_BOT_DATA, LOCAL_WORKSPACE_FILE), resetWorkspace: opts.resetWorkspace }
          : {}),
        // SLACK_APP_TOKEN in local mode: the workspace speaks Socket Mode to us, as Slack would.
        ...(config.SLACK_APP_TOKEN ? { appToken: config.SLACK_APP_TOKEN, delivery: 'socket' as const } : {}),
        logger: logger.child({ component: 'emulator' }),
        ...opts.emulator,
      })
    : null;
  routes.emulator = emulator;
  if (emulator) {
    http.server.on('upgrade', (req, socket, head) => {
      if (!emulator.handleUpgrade(req, socket, head)) socket.destroy();
    });
  }
  const apiUrl = config.SLACK_API_URL ?? emulator?.apiUrl;
  const transport = createSlackTransport({
    config,
    logger,
    metrics,
    botToken,
    signingSecret,
    apiUrl,
    seen: dbSeenStore(db),
    onReject: rejectLog,
    // The local workspace's limits (off, scaled, overridden) are what the budget must keep under there.
    budgetLimits: emulator
      ? {
          limitFor: (m) => (emulator.rateLimits.settings.enabled ? emulator.rateLimits.limitFor(m) : null),
          clockScale: () => emulator.rateLimits.settings.clockScale,
        }
      : undefined,
  });

  // The domains; each builds its own runtime. Hooks run inside the incident service's transactions.
  let sender: OutboxSender | null = null;
  const kick = () => sender?.kick();
  const hooks: IncidentHooks[] = [];
  const roleOf = await createRoles(config, logger, transport.usergroups);
  void warnUnreachableTargets(config, logger, runbooks.documents(), () => transport.usergroups.groups());
  const service = new IncidentService({
    db,
    config,
    logger,
    metrics,
    runbooks: () => runbooks,
    hooks,
    kick,
    now: opts.now,
    access: { roleOf, groupsOf: (user) => transport.usergroups.of(user).catch(() => []) },
  });
  const escalation = createEscalation({
    db,
    config,
    logger,
    metrics,
    service,
    groupIds: transport.usergroups.ids,
    now: opts.now,
    kick,
  });
  const statuspage = await createStatuspage({ db, config, logger, service, kick });
  hooks.push(escalation.hook, statuspage.hook);
  const diagnostics = createDiagnostics({
    kubeconfig: config.KUBECONFIG,
    // Local mode reaches a cluster only when KUBECONFIG is set explicitly (never ~/.kube/config by itself).
    implicitKubeconfig: !localMode,
    prometheusUrl: config.PROMETHEUS_URL,
    postgresTargets: config.DIAG_POSTGRES_URLS,
    allowSuperuser: config.DIAG_POSTGRES_ALLOW_SUPERUSER,
    redisTargets: config.DIAG_REDIS_URLS,
    timeoutMs: config.DIAG_TIMEOUT_MS,
    maxConcurrent: config.DIAG_MAX_CONCURRENT,
    maxPerIncident: config.DIAG_MAX_PER_INCIDENT,
    logger: logger.child({ component: 'diagnostics' }),
    metrics,
  });

  const storms = new Storms({ db, config, service, runbooks: () => runbooks, kick, now: opts.now });
  // Slack in front of the domains, and the outbox that carries their work out.
  const slack = await registerSlackAdapter({
    storms,
    transport,
    db,
    config,
    logger,
    service,
    runbooks,
    escalation,
    statuspage,
    diagnostics,
    roleOf,
    kick,
    now: opts.now,
  });
  sender = createOutboxSender({
    db,
    handlers: { ...slack.handlers, ...statuspage.handlers, ...escalation.handlers },
    logger: logger.child({ component: 'outbox' }),
    metrics,
    pollMs: config.OUTBOX_POLL_MS,
    leaseMs: config.OUTBOX_LEASE_MS,
    now: opts.now,
  });

  const ingest = new AlertIngest({
    storms,
    db,
    config,
    service,
    runbooks: () => runbooks,
    logger: logger.child({ component: 'alerts' }),
    metrics,
    kick,
    now: opts.now,
  });
  routes.alerts = alertmanagerHandler({
    ingest,
    maxBodyBytes: config.ALERT_MAX_BODY_BYTES,
    budgetMs: config.ALERT_SYNC_BUDGET_MS,
    now: opts.now,
    token: config.ALERT_WEBHOOK_TOKEN,
    logger,
    metrics,
    onReject: rejectLog,
  });
  if (webhookAuth === 'none' && !localMode)
    logger.warn(
      'ALERT_WEBHOOK_AUTH=none: /alerts/* accepts alerts from anyone who can reach this port; set ALERT_WEBHOOK_TOKEN',
    );
  routes.slack = await transport.listen();
  const gauges = startGauges(db, metrics);
  const retention = createRetentionWorker({
    db,
    days: config.RETENTION_DAYS,
    logger: logger.child({ component: 'retention' }),
    metrics,
    now: opts.now,
  });
  // Notifications a previous process answered but did not finish storing (killed mid-storm).
  const intake: Worker = {
    start: () => {
      // The embedded store has one owner: anything unfinished is ours now (PostgreSQL: give replicas a minute).
      void ingest
        .resume((s, json) => parseNotification(s, json, new Date()), db.kind === 'pglite' ? 0 : 60_000)
        .catch((err) => logger.error({ err }, 'resuming stored notifications failed'));
    },
    stop: () => ingest.idle(),
  };
  const workers: Worker[] = [sender, escalation.worker, retention, intake];
  for (const w of workers) w.start();
  if (localMode) {
    logger.warn(
      { emulatorToken: emulator?.controlToken },
      `SLACK_BOT_TOKEN is unset: running against the local Slack workspace — open ${base}/ in a browser` +
        ` (scripts calling ${base}/_emulator/* send the header X-Emulator-Token: ${emulator?.controlToken};` +
        ` other Slack clients use SLACK_API_URL=${apiUrl} with the bot token ${botToken})`,
    );
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
    ingest,
    sender,
    runbooks,
    emulator,
    stop() {
      stopping ??= (async () => {
        logger.info('shutting down: no new work, finishing in-flight');
        clearInterval(gauges);
        // Socket Mode first: Slack stops handing us requests (and in local mode the link is a connection
        // of our own HTTP server, which would otherwise hold its close open).
        await transport.stop();
        await http.close(config.SHUTDOWN_TIMEOUT_MS);
        await Promise.all(workers.map((w) => w.stop()));
        await diagnostics.close();
        transport.close();
        await emulator?.close();
        if (!opts.db) await db.close();
        logger.info('stopped');
      })();
      return stopping;
    },
  };
}

/** Migrations; on the embedded database, whatever a previous process left in flight is resent now. */
async function prepareStore(db: Db, config: Config, logger: Logger): Promise<void> {
  const migrations = await migrate(db);
  if (migrations.applied.length) logger.info({ applied: migrations.applied }, 'database migrated');
  logger.info({ store: db.kind }, describeStore(db, config.INCIDENT_BOT_DATA));
  // The embedded database has one owner: whatever a previous process left in flight is ours to resend now,
  // instead of after the lease (on PostgreSQL another replica may still be sending it).
  if (db.kind === 'pglite') {
    const released = await releaseInflight(db);
    if (released) logger.warn({ released }, 'resending Slack work a previous process left unfinished');
  }
}

/** Open incidents per severity, refreshed every 15 s; returns the interval to clear on stop. */
function startGauges(db: Db, metrics: Metrics): NodeJS.Timeout {
  metrics.incidentsOpen.reset();
  const refresh = async () => {
    const counts = await countOpenBySeverity(db).catch(() => ({}) as Record<string, number>);
    for (const s of Severity.options) metrics.incidentsOpen.set({ severity: s }, counts[s] ?? 0);
  };
  const timer = setInterval(() => void refresh(), 15_000);
  timer.unref();
  void refresh();
  return timer;
}

async function openStore(config: Config, logger: Logger): Promise<Db> {
  return openDb({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.INCIDENT_BOT_DATA,
    command: 'serve',
    // A bot without its store can take nothing in: exit, so the supervisor restarts it on the same data.
    onLost: (err) => {
      logger.fatal({ err }, 'the embedded database stopped unexpectedly; exiting so the bot restarts on its data');
      process.exit(1);
    },
  }).catch((err) => {
    if (err instanceof UserFacingError) throw err;
    throw new Error(
      config.DATABASE_URL
        ? `cannot connect to DATABASE_URL: ${(err as Error).message}`
        : `cannot open the embedded database in ${config.INCIDENT_BOT_DATA}: ${(err as Error).message}`,
      { cause: err },
    );
  });
}

/**
 * At start-up, warn about every escalation target, on-call group and roles-file group that reaches nobody
 * (unmapped, no such user group, no members): issue #18. Never blocks or fails the start.
 */
async function warnUnreachableTargets(
  config: Config,
  logger: Logger,
  documents: RunbookDocument[],
  groups: () => Promise<KnownGroup[]>,
): Promise<void> {
  try {
    const roles = config.ROLES_FILE ? await loadRolesFile(config.ROLES_FILE) : null;
    const problems = auditTargets({
      escalationTargets: config.ESCALATION_TARGETS,
      oncallGroups: config.ONCALL_GROUPS,
      defaultOncallGroup: config.DEFAULT_ONCALL_GROUP,
      rolesGroups: Object.keys(roles?.groups ?? {}),
      runbookTargets: runbookTargetUses(documents),
      groups: await groups().catch(() => null),
    });
    for (const p of problems) logger.warn({ problem: p.problem, target: p.name, source: p.source }, p.message);
  } catch (err) {
    logger.warn({ err }, 'could not check escalation targets and groups');
  }
}
