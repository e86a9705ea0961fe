import { Redis } from 'ioredis';
import { readRedisCli } from '../runbooks/commands/redis.js';
import { checkRedis } from './guards/redis.js';
import { RefusedError } from './types.js';

/** Bytes of rendered Redis output kept (CLIENT LIST on a busy server runs to megabytes). */
export const REDIS_OUTPUT_MAX = 256 * 1024;

/**
 * The allow-list (diagnostics/guards/redis.ts): returns the normalised command, or throws RefusedError naming why.
 */
export function checkRedisCommand(words: string[]): string[] {
  const v = checkRedis(words);
  if (!v.allowed) throw new RefusedError(v.reasons.join(' '));
  return v.command;
}

/** redis-cli flags the executor accepts: where to connect (it picks the target itself) and output style. */
const ACCEPTED_FLAGS = new Set([
  '-h',
  '-p',
  '-a',
  '-n',
  '-u',
  '--user',
  '--pass',
  '--askpass',
  '--sni',
  '--cacert',
  '--cert',
  '--key',
  '--tls',
  '--no-auth-warning',
  '--raw',
  '--no-raw',
  '-c',
  '--insecure',
]);

/**
 * The Redis command of a runbook line and the host it names: `redis-cli -h cache INFO memory`, or bare
 * `INFO memory`. The line is read with redis-cli's grammar (runbooks/commands/redis.ts, shared with the
 * classifier); flags other than connection and output ones (`-r 100`, `--scan`) are refused.
 */
export function extractRedis(argv: string[], query: string | null): { words: string[]; host?: string } {
  const at = argv.findIndex((a) => a === 'redis-cli' || a.endsWith('/redis-cli'));
  let host: string | undefined;
  let words = argv;
  if (at >= 0) {
    const line = readRedisCli(argv.slice(at + 1));
    const refused = line.mode ?? line.flags.find((f) => !ACCEPTED_FLAGS.has(f.flag))?.flag;
    if (refused) throw new RefusedError(`redis-cli ${refused} is not supported; run a single allow-listed command.`);
    for (const f of line.flags) {
      if (f.flag === '-h') host = f.value;
      if (f.flag === '-u' && f.value) host = hostOfUrl(f.value) ?? host;
    }
    words = line.words;
    if (!words.length)
      throw new RefusedError('This redis-cli line opens an interactive session; there is no command to run.');
  }
  if (query) words = query.trim().split(/\s+/);
  return { words, host };
}

function hostOfUrl(u: string): string | undefined {
  try {
    return new URL(u).hostname;
  } catch {
    return undefined;
  }
}

/** Runs one allow-listed command on a fresh connection that never retries or queues. */
export async function runRedis(opts: { url: string; words: string[]; timeoutMs: number }): Promise<{ output: string }> {
  const words = checkRedisCommand(opts.words);
  const client = new Redis(opts.url, {
    lazyConnect: true,
    connectTimeout: opts.timeoutMs,
    commandTimeout: opts.timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectionName: 'incident-bot-diagnostics',
  });
  // Errors surface through the rejected call; keep the socket's own error for a better message.
  let socketError: Error | undefined;
  client.on('error', (e: Error) => {
    socketError ??= e;
  });
  try {
    await client.connect().catch((e) => {
      throw socketError ?? e;
    });
    const reply = await client.call(words[0]!, ...words.slice(1));
    const output = renderReply(reply);
    return {
      output:
        output.length > REDIS_OUTPUT_MAX
          ? `${output.slice(0, REDIS_OUTPUT_MAX)}\n… output cut at ${REDIS_OUTPUT_MAX / 1024} KiB`
          : output,
    };
  } finally {
    client.disconnect();
  }
}

/** redis-cli's rendering: bulk strings as text, arrays numbered, nested arrays indented. */
export function renderReply(reply: unknown, indent = ''): string {
  if (reply === null || reply === undefined) return '(nil)';
  if (Buffer.isBuffer(reply)) return reply.toString('utf8');
  if (typeof reply === 'number') return `(integer) ${reply}`;
  if (Array.isArray(reply)) {
    if (!reply.length) return '(empty array)';
    const w = String(reply.length).length;
    return reply
      .map((r, i) => {
        const label = `${String(i + 1).padStart(w)}) `;
        const body = renderReply(r, `${indent}${' '.repeat(label.length)}`);
        return `${i === 0 ? '' : indent}${label}${body}`;
      })
      .join('\n');
  }
  return String(reply).replace(/\r\n/g, '\n').trimEnd();
}
