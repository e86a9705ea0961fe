import type { Risk } from '../schema.js';
import { type Finding, f, positionals } from './finding.js';

/** Grammar of redis-cli and bare Redis commands. */
const REDIS_READ = new Set([
  'INFO',
  'PING',
  'DBSIZE',
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
  'ROLE',
  'TIME',
  'LASTSAVE',
  'STRLEN',
]);
/** Commands with sub-commands, and the sub-commands that only read. */
const REDIS_READ_SUBCOMMANDS: Record<string, RegExp> = {
  MEMORY: /^(USAGE|STATS|DOCTOR|MALLOC-STATS|HELP)$/,
  OBJECT: /^(ENCODING|FREQ|IDLETIME|REFCOUNT|HELP)$/,
  LATENCY: /^(LATEST|HISTORY|DOCTOR|GRAPH|HISTOGRAM|HELP)$/,
  XINFO: /^(STREAM|GROUPS|CONSUMERS|HELP)$/,
  COMMAND: /^(COUNT|INFO|DOCS|LIST|GETKEYS|HELP|)$/,
  ACL: /^(WHOAMI|CAT|HELP)$/,
  MODULE: /^(LIST|HELP)$/,
  FUNCTION: /^(LIST|STATS|DUMP|HELP)$/,
  SCRIPT: /^(EXISTS|HELP)$/,
};

const REDIS_DESTRUCTIVE = new Set(['FLUSHDB', 'FLUSHALL', 'DEL', 'UNLINK']);
const REDIS_EXEC = new Set(['EVAL', 'EVALSHA', 'EVAL_RO', 'EVALSHA_RO', 'FCALL', 'FCALL_RO', 'DEBUG']);
const REDIS_STREAMING = new Set(['MONITOR', 'SUBSCRIBE', 'PSUBSCRIBE', 'SSUBSCRIBE']);
const REDIS_ALL = new Set([
  ...REDIS_READ,
  ...REDIS_DESTRUCTIVE,
  ...REDIS_EXEC,
  ...REDIS_STREAMING,
  ...Object.keys(REDIS_READ_SUBCOMMANDS),
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

/** A bare upper-case Redis command such as `CONFIG GET maxmemory` or `SLOWLOG GET 10`. */
export function isRedisCommand(text: string): boolean {
  const first = /^([A-Z]+)(\s|$)/.exec(text.trim())?.[1];
  return !!first && REDIS_ALL.has(first) && first !== 'SET' && !/\n/.test(text.trim());
}

export function redisCliFinding(args: string[]): Finding {
  const pos = positionals(
    args,
    /^(-h|-p|-a|-n|-u|--user|--pass|--tls-cert|--tls-key|--cacert|-r|-i|--pattern|--count)$/,
  );
  if (!pos.length) {
    const mode = args.find((w) => /^--(bigkeys|memkeys|hotkeys|scan|latency|latency-history|stat|rdb|pipe)$/.test(w));
    if (mode === '--pipe') return f('redis', 'write', 'pipes raw commands into Redis (redis-cli --pipe)');
    if (mode)
      return f(
        'redis',
        'read',
        `samples the keyspace (redis-cli ${mode})`,
        `${mode} is a redis-cli feature, not a Redis command`,
      );
    return f('redis', 'exec', 'opens an interactive redis-cli session');
  }
  return redisFinding(pos);
}

export function redisFinding(words: string[]): Finding {
  const cmd = (words[0] ?? '').toUpperCase();
  const sub = (words[1] ?? '').toUpperCase();
  const query = words.join(' ');
  const r = (risk: Risk, what: string, blocker: string | null = null) =>
    f('redis', risk, `${what} (${[cmd, sub].filter(Boolean).join(' ').slice(0, 40)})`, blocker, query);
  if (REDIS_DESTRUCTIVE.has(cmd))
    return r('destructive', cmd.startsWith('FLUSH') ? 'deletes every key' : 'deletes keys');
  if (REDIS_EXEC.has(cmd)) return r('exec', 'runs server-side code');
  if (REDIS_STREAMING.has(cmd)) return r('read', 'streams server activity', 'it streams until you stop it');
  if (cmd === 'CONFIG')
    return /^(GET)$/.test(sub) ? r('read', 'reads configuration') : r('write', 'changes configuration');
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
  // Commands whose sub-command decides: only the listed sub-commands read.
  const readSubs = REDIS_READ_SUBCOMMANDS[cmd];
  if (readSubs) {
    return readSubs.test(sub)
      ? r('read', 'reads server state')
      : r('write', `changes server state or is not a known read`);
  }
  if (REDIS_READ.has(cmd))
    return r('read', cmd === 'KEYS' ? 'lists keys (blocks the server on big keyspaces)' : 'reads data or stats');
  // Not on the known-read list: never read (fail safe).
  return r('write', 'changes data');
}
