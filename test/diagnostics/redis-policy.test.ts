import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkRedis, REDIS_CONFIG_READABLE } from '../../src/diagnostics/guards/redis.js';
import { createDiagnostics } from '../../src/diagnostics/run.js';
import { silentLogger } from '../../src/log.js';
import { classifyCommand } from '../../src/runbooks/classify.js';
import { cmd } from './helpers.js';

const URL = process.env.REDIS_URL;
if (!URL) console.log('REDIS_URL unset: rt-04 against a live Redis is skipped');

describe('rt-04: CONFIG GET never returns secrets', () => {
  it.each([
    ['CONFIG', 'GET', '*'],
    ['CONFIG', 'GET', 'requirepass'],
    ['CONFIG', 'GET', 'masterauth'],
    ['CONFIG', 'GET', 'masteruser'],
    ['CONFIG', 'GET', 'tls-key-file-pass'],
    ['CONFIG', 'GET', 'tls-client-key-file-pass'],
    ['CONFIG', 'GET', '*pass*'],
    ['CONFIG', 'GET', 'require?ass'],
    ['CONFIG', 'GET', '[r]equirepass'],
    ['CONFIG', 'GET', 'maxmemory', 'requirepass'],
    ['config', 'get', 'REQUIREPASS'],
    ['CONFIG', 'GET'],
  ])('refuses %j', (...words) => {
    const v = checkRedis(words);
    expect(v.allowed).toBe(false);
    expect(v.reasons[0]).toMatch(/CONFIG GET/);
  });

  it('allows named, non-secret parameters', () => {
    expect(checkRedis(['CONFIG', 'GET', 'maxmemory']).command).toEqual(['CONFIG', 'GET', 'maxmemory']);
    expect(checkRedis(['config', 'get', 'maxmemory-policy', 'maxclients']).allowed).toBe(true);
    for (const p of REDIS_CONFIG_READABLE) expect(p).not.toMatch(/pass|auth|masteruser|key-file|acl|secret/);
  });

  it('the runbook classifier sees the same verdict the executor applies', () => {
    const c = classifyCommand('redis-cli -h cache CONFIG GET *', { lang: 'bash' });
    expect(c.executor).toBe('redis');
    expect(c.risk).toBe('read');
  });

  it.runIf(URL)(
    'through the executor: CONFIG GET * is refused before Redis is asked, maxmemory is answered',
    async () => {
      const d = createDiagnostics({
        postgresTargets: {},
        redisTargets: { cache: URL as string },
        timeoutMs: 2000,
        maxConcurrent: 2,
        maxPerIncident: 2,
        logger: silentLogger,
      });
      const bad = await d.run({ command: cmd('redis-cli -h cache CONFIG GET *', 'redis'), values: {}, incidentId: 1 });
      expect(bad.ok).toBe(false);
      expect(bad.output).not.toMatch(/requirepass/);
      expect(bad.error).toMatch(/patterns/);
      const ok = await d.run({
        command: cmd('redis-cli -h cache CONFIG GET maxmemory', 'redis'),
        values: {},
        incidentId: 1,
      });
      expect(ok.error).toBeNull();
      expect(ok.output).toMatch(/maxmemory/);
      expect(ok.output).not.toMatch(/requirepass/);
    },
  );
});

describe('property: a Redis command outside the allow-list is refused whatever its arguments', () => {
  const ALLOWED = new Set([
    'PING',
    'DBSIZE',
    'ROLE',
    'TIME',
    'LASTSAVE',
    'INFO',
    'SLOWLOG',
    'CLIENT',
    'MEMORY',
    'LATENCY',
    'CLUSTER',
    'CONFIG',
  ]);
  const word = fc.stringMatching(/^[A-Za-z0-9*?:_.-]{1,12}$/);
  const caseOf = (s: string) => fc.constantFrom(s, s.toLowerCase(), s[0] + s.slice(1).toLowerCase());

  it('unknown or writing commands', () => {
    const command = fc.oneof(
      fc.constantFrom(
        'FLUSHALL',
        'SET',
        'DEL',
        'EVAL',
        'DEBUG',
        'SHUTDOWN',
        'KEYS',
        'GET',
        'MONITOR',
        'SCRIPT',
        'MODULE',
        'ACL',
        'AUTH',
        'MIGRATE',
        'SAVE',
        'BGSAVE',
        'REPLICAOF',
        'FAILOVER',
        'SWAPDB',
      ),
      fc.stringMatching(/^[A-Za-z]{2,12}$/).filter((c) => !ALLOWED.has(c.toUpperCase())),
    );
    fc.assert(
      fc.property(
        command.chain(caseOf),
        fc.array(word, { maxLength: 4 }),
        (c, args) => !checkRedis([c, ...args]).allowed,
      ),
      { numRuns: 500 },
    );
  });

  it('allowed commands with a subcommand or argument outside the list', () => {
    const badSub = fc.stringMatching(/^[A-Za-z]{2,10}$/);
    const gen = fc.oneof(
      badSub.filter((s) => !/^(LIST)$/i.test(s)).map((s) => ['CLIENT', s]),
      badSub.filter((s) => !/^(GET|LEN)$/i.test(s)).map((s) => ['SLOWLOG', s]),
      badSub.filter((s) => !/^(GET)$/i.test(s)).map((s) => ['CONFIG', s, 'maxmemory']),
      word.filter((p) => !REDIS_CONFIG_READABLE.has(p.toLowerCase())).map((p) => ['CONFIG', 'GET', p]),
      fc.tuple(word, word).map(([a, b]) => ['PING', a, b]),
      fc.array(word, { minLength: 1, maxLength: 3 }).map((a) => ['CLIENT', 'LIST', ...a]),
    );
    fc.assert(
      fc.property(gen, (words) => !checkRedis(words).allowed),
      { numRuns: 500 },
    );
  });
});
