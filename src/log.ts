import pino, { type DestinationStream, type Logger } from 'pino';
import { ConfigSchema, isSecret } from './config.js';

/** Configuration variables that hold a secret (tokens, keys, URLs with passwords), from the schema itself. */
const SECRET_CONFIG_KEYS = Object.keys(ConfigSchema.shape).filter(isSecret);

/**
 * Paths whose values never reach a log line: generic secret names, and every secret configuration
 * variable whether the config is logged whole (`logger.info(config)`) or under a key (`{ config }`).
 */
export const REDACT = [
  'token',
  'secret',
  'password',
  'authorization',
  'headers.authorization',
  '*.token',
  '*.secret',
  '*.password',
  '*.authorization',
  ...SECRET_CONFIG_KEYS,
  ...SECRET_CONFIG_KEYS.map((k) => `*.${k}`),
];

/**
 * The process logger, secrets redacted: pretty lines for people when `pretty` (serve passes LOG_FORMAT, else
 * whether stdout is a terminal), JSON lines otherwise; `destination` is for tests.
 */
export function createLogger(
  level = process.env.LOG_LEVEL ?? 'info',
  pretty = process.stdout.isTTY,
  destination?: DestinationStream,
): Logger {
  const base = { level, redact: { paths: REDACT, censor: '[redacted]' } };
  if (destination) return pino(base, destination);
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
