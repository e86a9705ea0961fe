import pino, { type Logger } from 'pino';

/** Keys whose values never reach a log line. */
const REDACT = [
  'token',
  'secret',
  'password',
  'authorization',
  'headers.authorization',
  '*.token',
  '*.secret',
  '*.password',
  '*.authorization',
  'config.slackBotToken',
  'config.slackSigningSecret',
  'config.slackAppToken',
  'config.statuspageApiKey',
  'config.pagerdutyRoutingKey',
  'config.alertWebhookToken',
  'config.databaseUrl',
];

export function createLogger(level = process.env.LOG_LEVEL ?? 'info', pretty = process.stdout.isTTY): Logger {
  const base = { level, redact: { paths: REDACT, censor: '[redacted]' } };
  if (pretty && process.env.NODE_ENV !== 'test' && !process.env.VITEST) {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss' } },
    });
  }
  return pino(base);
}

/** Silent logger for tests and pure helpers that want a logger argument. */
export const silentLogger: Logger = pino({ level: 'silent' });

export type { Logger };
