import { checkRedis, REDIS_KNOWN } from '../../diagnostics/guards/redis.js';
import { type Finding, f } from './finding.js';

/** A bare upper-case Redis command such as `CONFIG GET maxmemory` or `SLOWLOG GET 10`. */
export function isRedisCommand(text: string): boolean {
  const first = /^([A-Z]+)(\s|$)/.exec(text.trim())?.[1];
  return !!first && REDIS_KNOWN.has(first) && first !== 'SET' && !/\n/.test(text.trim());
}

/**
 * redis-cli's flags that take a value (redis-cli --help): connection (`-h`, `-p`, `-u URL`, `-a`, `--user`,
 * `--pass`, `-n DB`, TLS files, `--sni`), repetition (`-r`, `-i`) and scan options (`--pattern`, `--count`).
 */
export const REDIS_CLI_VALUED: ReadonlySet<string> = new Set(
  '-h -p -s -a -n -u -r -i -d --user --pass --sni --cacert --cacertdir --cert --key --tls-cert --tls-key --tls-ciphers --pattern --count --rdb --functions-rdb'.split(
    ' ',
  ),
);

/** redis-cli modes that replace the command (`--bigkeys`, `--scan`, `--pipe`, …). */
const MODE = /^--(bigkeys|memkeys|hotkeys|scan|latency|latency-history|latency-dist|stat|rdb|functions-rdb|pipe)$/;

/** A redis-cli line read with redis-cli's grammar: flags before the command, then the command's words. */
export interface RedisCliLine {
  /** Flags before the command, with their value when they take one (`-h` → `cache`; a bare flag has none). */
  flags: { flag: string; value?: string }[];
  /** A mode flag (`--scan`) or null. */
  mode: string | null;
  /** The Redis command and its arguments; empty for an interactive session or a mode. */
  words: string[];
}

/** Splits redis-cli args (after `redis-cli`) into flags, mode and command words. The one reader of such lines. */
export function readRedisCli(args: readonly string[]): RedisCliLine {
  const out: RedisCliLine = { flags: [], mode: null, words: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (out.words.length || !a.startsWith('-')) out.words.push(a);
    else if (MODE.test(a)) {
      out.mode ??= a;
      if (REDIS_CLI_VALUED.has(a)) i++;
    } else if (REDIS_CLI_VALUED.has(a)) out.flags.push({ flag: a, value: args[++i] });
    else out.flags.push({ flag: a });
  }
  return out;
}

export function redisCliFinding(args: string[]): Finding {
  const line = readRedisCli(args);
  const pos = line.words;
  if (!pos.length) {
    const mode = line.mode;
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
