import type { Risk } from '../../runbooks/schema.js';

/**
 * Configuration parameters `CONFIG GET` may read: tuning and limits an on-call engineer compares against
 * INFO. Anything not named here (requirepass, masterauth, masteruser, tls-*-pass, aclfile, ...) is refused,
 * and so is every glob pattern, since `CONFIG GET *` returns the passwords too (rt-04).
 * Names from redis.conf (Redis 7).
 */
export const REDIS_CONFIG_READABLE: ReadonlySet<string> = new Set([
  'maxmemory',
  'maxmemory-policy',
  'maxmemory-samples',
  'maxmemory-clients',
  'maxclients',
  'timeout',
  'tcp-keepalive',
  'tcp-backlog',
  'databases',
  'save',
  'appendonly',
  'appendfsync',
  'auto-aof-rewrite-percentage',
  'auto-aof-rewrite-min-size',
  'hz',
  'dynamic-hz',
  'slowlog-log-slower-than',
  'slowlog-max-len',
  'latency-monitor-threshold',
  'latency-tracking',
  'lazyfree-lazy-eviction',
  'lazyfree-lazy-expire',
  'lazyfree-lazy-server-del',
  'lazyfree-lazy-user-del',
  'io-threads',
  'cluster-enabled',
  'cluster-node-timeout',
  'replica-read-only',
  'replica-serve-stale-data',
  'repl-backlog-size',
  'repl-timeout',
  'repl-diskless-sync',
  'min-replicas-to-write',
  'min-replicas-max-lag',
  'client-output-buffer-limit',
  'client-query-buffer-limit',
  'proto-max-bulk-len',
  'notify-keyspace-events',
  'lua-time-limit',
  'busy-reply-threshold',
  'activedefrag',
  'active-defrag-threshold-lower',
  'active-defrag-threshold-upper',
  'active-defrag-cycle-min',
  'active-defrag-cycle-max',
  'stop-writes-on-bgsave-error',
  'rdbcompression',
  'loglevel',
  'port',
  'protected-mode',
]);

const INFO_SECTIONS =
  /^(server|clients|memory|persistence|stats|replication|cpu|commandstats|latencystats|errorstats|cluster|modules|keyspace|all|default|everything)$/i;

const ALLOWED_TEXT =
  'INFO [section], SLOWLOG GET [n], SLOWLOG LEN, CLIENT LIST, DBSIZE, MEMORY STATS, LATENCY LATEST, PING, ROLE, TIME, LASTSAVE, CLUSTER INFO, CONFIG GET parameter (named, non-secret)';

/** The verdict on one Redis command. */
export interface RedisVerdict {
  /** True when the executor may run it. */
  allowed: boolean;
  /** What the command does at most (for the runbook classifier). */
  risk: Risk;
  /** What it does, as a clause: "reads configuration (CONFIG GET)". */
  what: string;
  /** Why it is refused; empty when allowed. */
  reasons: string[];
  /** The normalised command to send when allowed (command and subcommand upper-case). */
  command: string[];
}

const READS_DATA = new Set([
  'GET',
  'MGET',
  'HGET',
  'HGETALL',
  'HLEN',
  'HKEYS',
  'LRANGE',
  'LLEN',
  'SCARD',
  'SMEMBERS',
  'ZRANGE',
  'ZCARD',
  'TTL',
  'PTTL',
  'TYPE',
  'EXISTS',
  'KEYS',
  'SCAN',
  'XLEN',
  'XINFO',
  'OBJECT',
  'STRLEN',
]);
const STATE_READS = new Set(['INFO', 'PING', 'DBSIZE', 'LATENCY', 'ROLE', 'TIME', 'LASTSAVE', 'MEMORY']);
const DESTRUCTIVE = new Set(['FLUSHDB', 'FLUSHALL', 'DEL', 'UNLINK']);
const EXEC = new Set([
  'EVAL',
  'EVALSHA',
  'EVAL_RO',
  'EVALSHA_RO',
  'FCALL',
  'FCALL_RO',
  'SCRIPT',
  'FUNCTION',
  'MODULE',
  'DEBUG',
]);
const STREAMING = new Set(['MONITOR', 'SUBSCRIBE', 'PSUBSCRIBE', 'SSUBSCRIBE']);

/** Every command name the classifier recognises as Redis (for bare upper-case lines in runbooks). */
export const REDIS_KNOWN: ReadonlySet<string> = new Set([
  ...READS_DATA,
  ...STATE_READS,
  ...DESTRUCTIVE,
  ...EXEC,
  ...STREAMING,
  'CONFIG',
  'CLIENT',
  'SLOWLOG',
  'CLUSTER',
  'BGSAVE',
  'SAVE',
  'BGREWRITEAOF',
  'SHUTDOWN',
  'EXPIRE',
  'PERSIST',
  'HSET',
  'HDEL',
  'LPUSH',
  'RPUSH',
  'SADD',
  'ZADD',
]);

/** Risk and description of any Redis command, allowed or not. */
function classify(cmd: string, sub: string): { risk: Risk; what: string } {
  const label = [cmd, sub].filter(Boolean).join(' ').slice(0, 40);
  const r = (risk: Risk, what: string) => ({ risk, what: `${what} (${label})` });
  if (DESTRUCTIVE.has(cmd)) return r('destructive', cmd.startsWith('FLUSH') ? 'deletes every key' : 'deletes keys');
  if (EXEC.has(cmd)) return r('exec', 'runs server-side code');
  if (STREAMING.has(cmd)) return r('read', 'streams server activity');
  if (cmd === 'CONFIG') return sub === 'GET' ? r('read', 'reads configuration') : r('write', 'changes configuration');
  if (cmd === 'CLIENT')
    return /^(LIST|INFO|GETNAME|ID)$/.test(sub)
      ? r('read', 'lists clients')
      : r('write', 'changes or kills client connections');
  if (cmd === 'SLOWLOG') return sub === 'RESET' ? r('write', 'clears the slow log') : r('read', 'reads the slow log');
  if (cmd === 'CLUSTER')
    return /^(INFO|NODES|SLOTS|SHARDS|MYID)$/.test(sub)
      ? r('read', 'reads cluster state')
      : r('write', 'changes the cluster');
  if (cmd === 'SHUTDOWN') return r(sub === 'NOSAVE' ? 'destructive' : 'write', 'stops the Redis server');
  if (cmd === 'LATENCY' && sub === 'RESET') return r('write', 'clears latency samples');
  if (cmd === 'MEMORY' && sub === 'PURGE') return r('write', 'releases memory');
  if (READS_DATA.has(cmd) || STATE_READS.has(cmd))
    return r('read', cmd === 'KEYS' ? 'lists keys (blocks the server on big keyspaces)' : 'reads data or stats');
  return r('write', 'changes data');
}

/**
 * The allow-list for Redis diagnostics, arguments included: only commands that read server state, never keys'
 * contents, never anything that writes, blocks or changes config; `CONFIG GET` only for parameters named in
 * {@link REDIS_CONFIG_READABLE} (no patterns, no secrets). Pure; never throws.
 */
export function checkRedis(words: readonly string[]): RedisVerdict {
  const [rawCmd = '', ...args] = words;
  const cmd = rawCmd.toUpperCase();
  const sub = (args[0] ?? '').toUpperCase();
  const { risk, what } = classify(cmd, sub);
  const verdict = (command: string[] | null, why?: string): RedisVerdict =>
    command
      ? { allowed: true, risk, what, reasons: [], command }
      : {
          allowed: false,
          risk,
          what,
          reasons: [
            `Redis ${[cmd, sub].filter(Boolean).join(' ') || '(nothing)'} ${why ?? 'is not on the read-only allow-list'}; allowed: ${ALLOWED_TEXT}.`,
          ],
          command: [],
        };
  if (!cmd)
    return {
      allowed: false,
      risk: 'read',
      what: 'does nothing',
      reasons: ['There is no Redis command to run.'],
      command: [],
    };
  switch (cmd) {
    case 'PING':
    case 'DBSIZE':
    case 'ROLE':
    case 'TIME':
    case 'LASTSAVE':
      return args.length ? verdict(null, 'takes no arguments here') : verdict([cmd]);
    case 'INFO':
      if (args.length > 1 || (args[0] !== undefined && !INFO_SECTIONS.test(args[0])))
        return verdict(null, 'takes one known section');
      return verdict(args[0] ? [cmd, args[0].toLowerCase()] : [cmd]);
    case 'SLOWLOG':
      if (sub === 'GET') {
        if (args.length > 2 || (args[1] !== undefined && !/^\d{1,3}$/.test(args[1])))
          return verdict(null, 'takes a count up to 999');
        return verdict(['SLOWLOG', 'GET', ...(args[1] ? [args[1]] : [])]);
      }
      return sub === 'LEN' && args.length === 1 ? verdict(['SLOWLOG', 'LEN']) : verdict(null);
    case 'CLIENT':
      return sub === 'LIST' && args.length === 1 ? verdict(['CLIENT', 'LIST']) : verdict(null);
    case 'MEMORY':
      return sub === 'STATS' && args.length === 1 ? verdict(['MEMORY', 'STATS']) : verdict(null);
    case 'LATENCY':
      return sub === 'LATEST' && args.length === 1 ? verdict(['LATENCY', 'LATEST']) : verdict(null);
    case 'CLUSTER':
      return sub === 'INFO' && args.length === 1 ? verdict(['CLUSTER', 'INFO']) : verdict(null);
    case 'CONFIG': {
      if (sub !== 'GET') return verdict(null);
      const params = args.slice(1);
      if (params.length === 0 || params.length > 8) return verdict(null, 'takes 1 to 8 parameter names');
      for (const p of params) {
        if (/[*?[\]\\]/.test(p))
          return verdict(null, `takes parameter names, not patterns ("${p}" would also return secrets)`);
        if (!REDIS_CONFIG_READABLE.has(p.toLowerCase()))
          return verdict(
            null,
            `cannot read "${p}" (only named, non-secret parameters: ${[...REDIS_CONFIG_READABLE].slice(0, 6).join(', ')}, …)`,
          );
      }
      return verdict(['CONFIG', 'GET', ...params.map((p) => p.toLowerCase())]);
    }
    default:
      return verdict(null);
  }
}
