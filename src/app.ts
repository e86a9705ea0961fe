import { randomBytes } from 'node:crypto';
import bolt from '@slack/bolt';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { createHttpServer, type Handler, type HttpServer } from './http/server.js';
import { createMetrics, type Metrics } from './metrics.js';
import { type Db, openDb } from './store/db.js';
import { migrate } from './store/migrate.js';

const { App, HTTPReceiver } = bolt;

/** Everything a running bot holds; tests start one in-process and drive it over HTTP. */
export interface Bot {
  url: string;
  port: number;
  config: Config;
  db: Db;
  metrics: Metrics;
  logger: Logger;
  slack: InstanceType<typeof App>;
  /** Stops taking work, finishes in-flight requests and work, closes pools. */
  stop(): Promise<void>;
  /** Extra components by name (emulator, workers) for tests and the CLI. */
  parts: Record<string, unknown>;
}

export interface StartOptions {
  logger: Logger;
  /** Overrides PORT (0 picks a free port). */
  port?: number;
  /** Use an already-open database (tests). */
  db?: Db;
}

/** Something that runs in the background and can be asked to finish. */
export interface Worker {
  start(): void;
  stop(): Promise<void>;
}

export async function startBot(config: Config, opts: StartOptions): Promise<Bot> {
  const { logger } = opts;
  const metrics = createMetrics();
  const db =
    opts.db ??
    (await openDb({ databaseUrl: config.DATABASE_URL, dataDir: config.INCIDENT_BOT_DATA }).catch((err) => {
      throw new Error(
        config.DATABASE_URL
          ? `cannot connect to DATABASE_URL: ${(err as Error).message}`
          : `cannot open the embedded database in ${config.INCIDENT_BOT_DATA}: ${(err as Error).message}`,
      );
    }));
  const migrations = await migrate(db);
  if (migrations.applied.length) logger.info({ applied: migrations.applied }, 'database migrated');
  logger.info(
    { store: db.kind },
    db.kind === 'pglite' ? `embedded database in ${config.INCIDENT_BOT_DATA}` : 'PostgreSQL store',
  );

  const localMode = !config.SLACK_BOT_TOKEN;
  // In local mode the emulator signs with a secret made up per process; nothing outside can forge it.
  const signingSecret = config.SLACK_SIGNING_SECRET ?? randomBytes(16).toString('hex');
  const botToken = config.SLACK_BOT_TOKEN ?? `xoxb-local-${randomBytes(8).toString('hex')}`;
  const port = opts.port ?? config.PORT;

  const receiver = new HTTPReceiver({
    signingSecret,
    endpoints: '/slack/events',
    processBeforeResponse: false,
    logger: boltLogger(logger),
  });
  const slack = new App({
    receiver,
    token: botToken,
    logger: boltLogger(logger),
    clientOptions: { slackApiUrl: config.SLACK_API_URL ?? undefined },
    // Without a real token or an API URL there is nobody to verify the token with.
    tokenVerificationEnabled: !localMode || Boolean(config.SLACK_API_URL),
  });

  const handlers: Handler[] = [
    (req, res, url) => {
      if (url.pathname !== '/slack/events') return false;
      receiver.requestListener(req, res);
      return true;
    },
  ];
  const workers: Worker[] = [];
  const http: HttpServer = createHttpServer({
    logger,
    metrics,
    handlers,
    ready: () => db.query('SELECT 1').then(() => true),
  });
  const { url, port: boundPort } = await http.listen(port, config.HOST);
  if (localMode)
    logger.warn('SLACK_BOT_TOKEN is unset: running without Slack (the local workspace is not built in yet)');
  for (const w of workers) w.start();
  logger.info({ url, port: boundPort }, 'listening');

  let stopping: Promise<void> | null = null;
  const bot: Bot = {
    url,
    port: boundPort,
    config,
    db,
    metrics,
    logger,
    slack,
    parts: { http, workers },
    stop() {
      stopping ??= (async () => {
        logger.info('shutting down: no new work, finishing in-flight');
        await http.close(config.SHUTDOWN_TIMEOUT_MS);
        await Promise.all(workers.map((w) => w.stop()));
        if (!opts.db) await db.close();
        logger.info('stopped');
      })();
      return stopping;
    },
  };
  return bot;
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
