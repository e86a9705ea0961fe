import { checkRedis, REDIS_KNOWN } from '../../diagnostics/guards/redis.js';
import { type Finding, f, positionals } from './finding.js';

/** A bare upper-case Redis command such as `CONFIG GET maxmemory` or `SLOWLOG GET 10`. */
export function isRedisCommand(text: string): boolean {
  const first = /^([A-Z]+)(\s|$)/.exec(text.trim())?.[1];
  return !!first && REDIS_KNOWN.has(first) && first !== 'SET' && !/\n/.test(text.trim());
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

/**
 * Risk of one Redis command, decided by the diagnostics Redis policy (diagnostics/guards/redis.ts) so the runbook
 * and the executor never disagree; a command the executor refuses carries the refusal as its blocker.
 */
export function redisFinding(words: string[]): Finding {
  const v = checkRedis(words);
  return f('redis', v.risk, v.what, v.allowed ? null : (v.reasons[0] ?? null), words.join(' '));
}
