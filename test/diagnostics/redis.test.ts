import { describe, expect, it } from 'vitest';
import { checkRedisCommand, extractRedis, renderReply } from '../../src/diagnostics/redis.js';
import { createDiagnostics } from '../../src/diagnostics/run.js';
import { silentLogger } from '../../src/log.js';
import { cmd } from './helpers.js';

const URL = process.env.REDIS_URL;
if (!URL) console.log('REDIS_URL unset: Redis executor tests against a live server are skipped');

describe('redis allow-list', () => {
  it.each([
    ['INFO'],
    ['INFO', 'memory'],
    ['SLOWLOG', 'GET', '10'],
    ['CLIENT', 'LIST'],
    ['DBSIZE'],
    ['MEMORY', 'STATS'],
    ['LATENCY', 'LATEST'],
    ['PING'],
    ['CONFIG', 'GET', 'maxmemory-policy'],
    ['config', 'get', 'save'],
  ])('allows %j', (...words) => {
    expect(checkRedisCommand(words).length).toBe(words.length);
  });

  it.each([
    [['FLUSHALL']],
    [['FLUSHDB']],
    [['CONFIG', 'SET', 'maxmemory', '0']],
    [['KEYS', '*']],
    [['GET', 'session:1']],
    [['DEBUG', 'SLEEP', '10']],
    [['CLIENT', 'KILL', 'ID', '1']],
    [['SHUTDOWN']],
    [['INFO', 'memory;', 'FLUSHALL']],
    [['SLOWLOG', 'RESET']],
    [['EVAL', 'return 1', '0']],
  ])('refuses %j', (words) => {
    expect(() => checkRedisCommand(words)).toThrow(/not on the read-only allow-list|takes/);
  });

  it('takes the command after redis-cli connection flags, and the host', () => {
    expect(
      extractRedis(['redis-cli', '-h', 'cache', '-p', '6380', '--no-auth-warning', 'INFO', 'memory'], null),
    ).toEqual({
      words: ['INFO', 'memory'],
      host: 'cache',
    });
    expect(extractRedis(['kubectl', 'exec', 'x', '--', 'redis-cli', 'info', 'clients'], null).words).toEqual([
      'info',
      'clients',
    ]);
    expect(() => extractRedis(['redis-cli', '--bigkeys'], null)).toThrow(/--bigkeys is not supported/);
    expect(() => extractRedis(['redis-cli'], null)).toThrow(/interactive/);
  });

  it('renders replies like redis-cli', () => {
    expect(renderReply([['a', 1], 'b'])).toBe('1) 1) a\n   2) (integer) 1\n2) b');
    expect(renderReply(null)).toBe('(nil)');
  });
});

describe.skipIf(!URL)('redis executor against the local Redis', () => {
  const diag = () =>
    createDiagnostics({
      postgresTargets: {},
      redisTargets: { cache: URL as string },
      timeoutMs: 2000,
      maxConcurrent: 2,
      maxPerIncident: 2,
      logger: silentLogger,
    });
  const run = (text: string) => diag().run({ command: cmd(text, 'redis'), values: {}, incidentId: 1 });

  it('runs INFO memory from a redis-cli line', async () => {
    const r = await run('redis-cli -h cache INFO memory');
    expect(r.error).toBeNull();
    expect(r.output).toMatch(/# Memory\nused_memory:\d+/);
  });

  it.each([
    'PING',
    'DBSIZE',
    'SLOWLOG GET 5',
    'CLIENT LIST',
    'CONFIG GET maxmemory-policy',
    'LATENCY LATEST',
    'MEMORY STATS',
  ])('runs %s', async (text) => {
    const r = await run(`redis-cli ${text}`);
    expect(r.error).toBeNull();
  });

  it('refuses FLUSHALL before connecting', async () => {
    const r = await run('redis-cli FLUSHALL');
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/FLUSHALL is not on the read-only allow-list/);
  });
});

describe('redis executor errors', () => {
  it('reports an unreachable target by name, never the URL', async () => {
    const d = createDiagnostics({
      postgresTargets: {},
      redisTargets: { cache: 'redis://:secret@127.0.0.1:1' },
      timeoutMs: 1000,
      maxConcurrent: 1,
      maxPerIncident: 1,
      logger: silentLogger,
    });
    const r = await d.run({ command: cmd('redis-cli PING', 'redis'), values: {}, incidentId: 1 });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/Redis target "cache"/);
    expect(r.error).not.toMatch(/secret/);
  });
});
