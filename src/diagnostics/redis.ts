import { Redis } from 'ioredis';
import { RefusedError } from './types.js';

const INFO_SECTIONS =
  /^(server|clients|memory|persistence|stats|replication|cpu|commandstats|latencystats|errorstats|cluster|modules|keyspace|all|default|everything)$/i;
const CONFIG_PARAM = /^[a-z0-9*?_.-]{1,64}$/i;

/**
 * The allow-list: returns the normalised command, or throws naming why. Only commands that read server
 * state; never keys' contents, never anything that writes, blocks, or changes config.
 */
export function checkRedisCommand(words: string[]): string[] {
  if (!words.length) throw new RefusedError('There is no Redis command to run.');
  const [cmd, ...args] = words;
  const name = cmd.toUpperCase();
  const sub = args[0]?.toUpperCase();
  const refuse = (why = 'is not on the read-only allow-list') =>
    new RefusedError(
      `Redis ${[name, sub].filter(Boolean).join(' ')} ${why}; allowed: INFO [section], SLOWLOG GET [n], SLOWLOG LEN, CLIENT LIST, DBSIZE, MEMORY STATS, LATENCY LATEST, PING, CONFIG GET parameter.`,
    );
  switch (name) {
    case 'PING':
    case 'DBSIZE':
      if (args.length) throw refuse('takes no arguments here');
      return [name];
    case 'INFO':
      if (args.length > 1 || (args[0] && !INFO_SECTIONS.test(args[0]))) throw refuse('takes one known section');
      return args[0] ? [name, args[0].toLowerCase()] : [name];
    case 'SLOWLOG':
      if (sub === 'GET') {
        if (args.length > 2 || (args[1] !== undefined && !/^\d{1,3}$/.test(args[1])))
          throw refuse('takes a count up to 999');
        return ['SLOWLOG', 'GET', ...(args[1] ? [args[1]] : [])];
      }
      if (sub === 'LEN' && args.length === 1) return ['SLOWLOG', 'LEN'];
      throw refuse();
    case 'CLIENT':
      if (sub === 'LIST' && args.length === 1) return ['CLIENT', 'LIST'];
      throw refuse();
    case 'MEMORY':
      if (sub === 'STATS' && args.length === 1) return ['MEMORY', 'STATS'];
      throw refuse();
    case 'LATENCY':
      if (sub === 'LATEST' && args.length === 1) return ['LATENCY', 'LATEST'];
      throw refuse();
    case 'CONFIG':
      if (sub === 'GET' && args.length === 2 && CONFIG_PARAM.test(args[1])) return ['CONFIG', 'GET', args[1]];
      throw refuse();
    default:
      throw refuse();
  }
}

const VALUE_FLAGS = new Set([
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
]);
const BARE_FLAGS = new Set(['--tls', '--no-auth-warning', '--raw', '--no-raw', '-c', '--insecure']);

/** The Redis command of a runbook line and the host it names: `redis-cli -h cache INFO memory`, or bare `INFO memory`. */
export function extractRedis(argv: string[], query: string | null): { words: string[]; host?: string } {
  const at = argv.findIndex((a) => a === 'redis-cli' || a.endsWith('/redis-cli'));
  let host: string | undefined;
  let words = argv;
  if (at >= 0) {
    words = [];
    const args = argv.slice(at + 1);
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (words.length) words.push(a);
      else if (VALUE_FLAGS.has(a)) {
        const v = args[++i];
        if (a === '-h') host = v;
        if (a === '-u' && v) host = hostOfUrl(v) ?? host;
      } else if (BARE_FLAGS.has(a)) continue;
      else if (a.startsWith('-'))
        throw new RefusedError(`redis-cli ${a} is not supported; run a single allow-listed command.`);
      else words.push(a);
    }
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
    const reply = await client.call(words[0], ...words.slice(1));
    return { output: renderReply(reply) };
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
