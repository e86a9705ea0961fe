import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { loadRolesFile } from './auth/roles.js';
import type { Config } from './config.js';
import { createDiagnostics } from './diagnostics/run.js';
import { createEmulator, type Emulator, type EmulatorOptions } from './emulator/index.js';
import { auditTargets, type KnownGroup, runbookTargetUses } from './escalation/audit.js';
import { createEscalation } from './escalation/setup.js';
import { alertmanagerHandler } from './http/alertmanager.js';
import { sendJson } from './http/body.js';
import { createHttpServer, type Handler, type HttpServer } from './http/server.js';
import { type IncidentHooks, IncidentService } from './incidents/service.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createOutboxSender, type OutboxSender } from './outbox/sender.js';
import { createRunbookLookup, type RunbookSource } from './runbooks/lookup.js';
import type { RunbookDocument } from './runbooks/schema.js';
import { createRoles, registerSlackAdapter } from './slack/adapter.js';
import { createSlackTransport } from './slack/transport.js';
import { createStatuspage } from './statuspage/setup.js';
import { type Db, openDb } from './store/db.js';
import { countOpenBySeverity } from './store/incidents.js';
import { migrate } from './store/migrate.js';
import { releaseInflight } from './store/outbox.js';
import { Severity } from './vocabulary.js';

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

/**
 * Wires every part and starts serving. Order: store, runbooks, HTTP (so the port is known), Slack transport
 * (or the local workspace), the domains, the Slack adapter in front of them, then the workers.
 */
export async function startBot(config: Config, opts: StartOptions): Promise<Bot> {
  const { logger } = opts;
  const metrics = createMetrics();
  const db = opts.db ?? (await openStore(config));
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
  const { url, port } = await http.listen(opts.port ?? config.PORT, config.HOST);
  const base = config.PUBLIC_URL ?? url;

  // Slack: a real workspace, or the local one mounted on our own port (signing secret made up per process).
  const localMode = !config.SLACK_BOT_TOKEN;
  const signingSecret = config.SLACK_SIGNING_SECRET ?? randomBytes(16).toString('hex');
  const botToken = config.SLACK_BOT_TOKEN ?? `xoxb-local-${randomBytes(8).toString('hex')}`;
  const emulator = localMode
    ? createEmulator({
        signingSecret,
        botToken,
        baseUrl: url,
        eventsUrl: `http://127.0.0.1:${port}/slack/events`,
        workspace: config.EMULATOR_WORKSPACE,
        rateLimits: { enabled: config.EMULATOR_RATE_LIMITS },
        logger: logger.child({ component: 'emulator' }),
        ...opts.emulator,
      })
    : null;
  routes.emulator = emulator;
  const apiUrl = config.SLACK_API_URL ?? emulator?.apiUrl;
  const transport = createSlackTransport({ config, logger, metrics, botToken, signingSecret, apiUrl, localMode });

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
  });
  const statuspage = await createStatuspage({ db, config, logger, service, kick });
  hooks.push(escalation.hook, statuspage.hook);
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

  // Slack in front of the domains, and the outbox that carries their work out.
  const slack = await registerSlackAdapter({
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

  routes.alerts = alertmanagerHandler({ service, token: config.ALERT_WEBHOOK_TOKEN, logger, metrics });
  routes.slack = await transport.listen();
  const gauges = startGauges(db, metrics);
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
        clearInterval(gauges);
        await http.close(config.SHUTDOWN_TIMEOUT_MS);
        await transport.stop();
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

async function openStore(config: Config): Promise<Db> {
  return openDb({ databaseUrl: config.DATABASE_URL, dataDir: config.INCIDENT_BOT_DATA }).catch((err) => {
    throw new Error(
      config.DATABASE_URL
        ? `cannot connect to DATABASE_URL: ${(err as Error).message}`
        : `cannot open the embedded database in ${config.INCIDENT_BOT_DATA}: ${(err as Error).message}`,
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
