import { existsSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { type Bot, startBot } from './app.js';
import { registerAlertCommand } from './cli/alert.js';
import { localBanner } from './cli/banner.js';
import { registerDiagnosticsCommand } from './cli/diagnostics.js';
import { registerEmulatorCommand } from './cli/emulator.js';
import { registerIncidentsCommand } from './cli/incidents.js';
import { registerRunbooksCommand } from './cli/runbooks.js';
import { explainStartupError } from './cli/startup-errors.js';
import { loadConfig } from './config.js';
import { UserFacingError } from './errors.js';
import { createLogger } from './log.js';
import { installProcessGuards } from './process-guard.js';
import { openDb } from './store/db.js';
import { migrate } from './store/migrate.js';

const program = new Command();
program
  .name('incident-bot')
  .description('Slack incident bot that reads the runbooks your team already has.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)');

program
  .command('serve')
  .description(
    'Run the bot: Slack endpoints, Alertmanager webhook, health and metrics on one port.\n' +
      'Without SLACK_BOT_TOKEN it runs against a built-in local Slack workspace at http://localhost:PORT/.',
  )
  .option('-p, --port <port>', 'port to listen on (default: PORT or 3000)', (v) => parsePort(v))
  .option(
    '--reset-workspace',
    'local mode: forget the local Slack workspace kept under INCIDENT_BOT_DATA (channels, messages) and start fresh',
  )
  .action(async (opts: { port?: number; resetWorkspace?: boolean }) => {
    const config = loadConfig();
    const pretty = config.LOG_FORMAT ? config.LOG_FORMAT === 'pretty' : Boolean(process.stdout.isTTY);
    const logger = createLogger(config.LOG_LEVEL, pretty);
    // An unexpected throw in a socket handler or a forgotten promise is logged, not a crash of every incident.
    installProcessGuards(logger);
    const port = opts.port ?? config.PORT;
    const firstStart = !config.DATABASE_URL && !existsSync(config.INCIDENT_BOT_DATA);
    if (firstStart)
      process.stderr.write(
        `incident-bot: preparing the embedded database in ${config.INCIDENT_BOT_DATA} (first start only; about 15 s)…\n`,
      );
    let bot: Bot;
    try {
      bot = await startBot(config, { logger, port: opts.port, resetWorkspace: opts.resetWorkspace });
    } catch (err) {
      throw explainStartupError(err, { port, databaseUrl: config.DATABASE_URL }) ?? err;
    }
    if (bot.emulator) {
      const users = [...bot.emulator.state.users.values()].filter((u) => !u.deleted && !u.is_bot);
      const lines = localBanner({
        url: bot.url,
        users: users.map((u) => ({ name: u.name, title: u.profile?.title })),
        dataDir: config.DATABASE_URL ? null : config.INCIDENT_BOT_DATA,
        extra: [
          `Scripts calling ${bot.url}/_emulator/* send the header X-Emulator-Token: ${bot.emulator.controlToken}`,
          `Other Slack clients: SLACK_API_URL=${bot.emulator.apiUrl} (bot token in the log line above)`,
        ],
      });
      // On stderr, so JSON logs on stdout stay one object a line.
      process.stderr.write(`${lines.join('\n')}\n`);
    }
    let signals = 0;
    const shutdown = (sig: string) => {
      if (++signals > 1) {
        logger.warn({ sig }, 'second signal: exiting now');
        process.exit(1);
      }
      logger.info({ sig }, 'signal received');
      bot.stop().then(
        () => process.exit(0),
        (err) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
  });

program
  .command('migrate')
  .description('Apply database migrations (the bot also does this at start-up).')
  .action(async () => {
    const config = loadConfig();
    const db = await openDb({
      databaseUrl: config.DATABASE_URL,
      dataDir: config.INCIDENT_BOT_DATA,
      command: 'migrate',
    });
    try {
      const r = await migrate(db);
      console.log(JSON.stringify({ store: db.kind, ...r }));
    } finally {
      await db.close();
    }
  });

registerAlertCommand(program);
registerEmulatorCommand(program);
registerIncidentsCommand(program);
registerRunbooksCommand(program);
registerDiagnosticsCommand(program);

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new CommanderError(2, 'bad_port', `--port must be 0-65535, got "${v}"`);
  return n;
}

/** User errors print one clear line; anything else is a bug and keeps its stack. */
function fail(err: unknown): never {
  if (err instanceof UserFacingError) console.error(`incident-bot: ${err.message}`);
  else console.error(err);
  process.exit(err instanceof UserFacingError ? 2 : 1);
}

// Output piped into `head` or `less` that stops reading is not an error: stop quietly, as Unix tools do.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

process.on('unhandledRejection', (err) => {
  console.error('incident-bot: unhandled rejection', err);
});

program.parseAsync(process.argv).catch(fail);
