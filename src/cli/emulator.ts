import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../config.js';
import { createEmulator } from '../emulator/index.js';
import { UserFacingError } from '../errors.js';
import { createLogger } from '../log.js';

/** The standalone workspace's file under INCIDENT_BOT_DATA (a bot in local mode keeps its own beside it). */
export const STANDALONE_WORKSPACE_FILE = 'emulator-workspace.json';

interface EmulatorCliOptions {
  port: number;
  botUrl?: string;
  resetWorkspace?: boolean;
  memory?: boolean;
}

/**
 * `incident-bot emulator`: the local Slack workspace alone, so a bot configured for real Slack (its own
 * SLACK_BOT_TOKEN, SLACK_APP_TOKEN or SLACK_SIGNING_SECRET, and SLACK_API_URL) can be tried against it before
 * it meets a real workspace. Socket Mode unless --bot-url is given (then the workspace signs and posts to it).
 */
export function registerEmulatorCommand(program: Command): void {
  program
    .command('emulator')
    .description(
      'Serve the local Slack workspace on its own, for a bot configured as for real Slack.\n' +
        'Socket Mode by default (the bot sets SLACK_APP_TOKEN); with --bot-url the workspace signs and POSTs\n' +
        "to the bot's /slack/events instead (the bot sets SLACK_SIGNING_SECRET). Tokens and the signing secret\n" +
        'come from EMULATOR_BOT_TOKEN, EMULATOR_APP_TOKEN and EMULATOR_SIGNING_SECRET, random otherwise; all are printed.',
    )
    .option('-p, --port <port>', 'port to listen on', (v) => parsePort(v), 3001)
    .option('--bot-url <url>', "HTTP mode: the bot's Slack URL, e.g. http://localhost:3000/slack/events")
    .option('--reset-workspace', `forget the workspace kept in INCIDENT_BOT_DATA/${STANDALONE_WORKSPACE_FILE}`)
    .option('--memory', 'keep the workspace in memory only (nothing written to INCIDENT_BOT_DATA)')
    .addHelpText(
      'after',
      '\nExample (Socket Mode):\n' +
        '  EMULATOR_BOT_TOKEN=xoxb-try EMULATOR_APP_TOKEN=xapp-try incident-bot emulator --port 3001\n' +
        '  SLACK_API_URL=http://127.0.0.1:3001/api/ SLACK_BOT_TOKEN=xoxb-try SLACK_APP_TOKEN=xapp-try incident-bot serve\n' +
        'Example (HTTP):\n' +
        '  EMULATOR_SIGNING_SECRET=s3cret incident-bot emulator --bot-url http://127.0.0.1:3000/slack/events\n' +
        '  SLACK_API_URL=http://127.0.0.1:3001/api/ SLACK_BOT_TOKEN=<printed> SLACK_SIGNING_SECRET=s3cret incident-bot serve',
    )
    .action(async (opts: EmulatorCliOptions) => {
      const config = loadConfig();
      const logger = createLogger(config.LOG_LEVEL);
      if (opts.botUrl && !/^https?:\/\//.test(opts.botUrl))
        throw new UserFacingError(
          `--bot-url must be an http(s) URL like http://127.0.0.1:3000/slack/events, got "${opts.botUrl}"`,
        );
      const random = (prefix: string) => `${prefix}${randomBytes(12).toString('hex')}`;
      const botToken = config.EMULATOR_BOT_TOKEN ?? random('xoxb-local-');
      const appToken = config.EMULATOR_APP_TOKEN ?? random('xapp-1-A0LOCAL-local-');
      const signingSecret = config.EMULATOR_SIGNING_SECRET ?? randomBytes(16).toString('hex');
      const emulator = createEmulator({
        botToken,
        appToken,
        signingSecret,
        delivery: opts.botUrl ? 'http' : 'socket',
        eventsUrl: opts.botUrl,
        workspace: config.EMULATOR_WORKSPACE,
        rateLimits: { enabled: config.EMULATOR_RATE_LIMITS },
        controlToken: config.EMULATOR_TOKEN,
        ...(config.PUBLIC_URL ? { allowedHosts: [config.PUBLIC_URL] } : {}),
        ...(opts.memory ? {} : { persistPath: join(config.INCIDENT_BOT_DATA, STANDALONE_WORKSPACE_FILE) }),
        resetWorkspace: opts.resetWorkspace,
        logger: logger.child({ component: 'emulator' }),
      });
      const { url } = await emulator.listen(opts.port, config.HOST ?? '127.0.0.1');
      const lines = [
        `Local Slack workspace: ${url}/  (open it in a browser)`,
        '',
        'Start the bot as for real Slack, with:',
        `  SLACK_API_URL=${emulator.apiUrl}`,
        `  SLACK_BOT_TOKEN=${botToken}`,
        opts.botUrl
          ? `  SLACK_SIGNING_SECRET=${signingSecret}    (HTTP: the workspace posts to ${opts.botUrl})`
          : `  SLACK_APP_TOKEN=${appToken}    (Socket Mode)`,
        '',
        `Scripts calling ${url}/_emulator/* send the header X-Emulator-Token: ${emulator.controlToken}`,
      ];
      console.log(lines.join('\n'));
      let stopping = false;
      const stop = () => {
        if (stopping) process.exit(1);
        stopping = true;
        emulator.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number 0-65535.');
  return n;
}
