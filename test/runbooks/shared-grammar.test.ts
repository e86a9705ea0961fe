import { describe, expect, it } from 'vitest';
import { parseKubectlRead } from '../../src/diagnostics/kubectl-read.js';
import { extractRedis } from '../../src/diagnostics/redis.js';
import { classifyCommand } from '../../src/runbooks/classify.js';
import { readRedisCli } from '../../src/runbooks/commands/redis.js';

/** The classifier and the executors read a tool's command line with one grammar, so they never disagree on it. */
describe('one kubectl grammar', () => {
  it('a command choosing other cluster credentials is shown as not runnable, and the executor refuses it', () => {
    for (const text of [
      'kubectl get pods -n shop --context prod-eu',
      'kubectl --kubeconfig=/tmp/admin.yaml logs deploy/api',
    ]) {
      const c = classifyCommand(text, { lang: 'bash' });
      expect([c.risk, c.runnable], text).toEqual(['read', false]);
      expect(c.reason).toMatch(
        /it picks other cluster credentials \(--(context|kubeconfig)\); the bot only uses its own/,
      );
      expect(() => parseKubectlRead(text.split(' '))).toThrow(/is not allowed: diagnostics always use the bot's own/);
    }
  });

  it('streaming flags: not runnable as written, and the executor shows the state once', () => {
    const c = classifyCommand('kubectl get pods -n shop --watch-only', { lang: 'bash' });
    expect([c.runnable, c.reason]).toEqual([false, expect.stringContaining('it streams until you stop it')]);
    expect(parseKubectlRead(['kubectl', 'get', 'pods', '-n', 'shop', '--watch-only']).notes).toEqual([
      '(--watch-only ignored: showing the current state once)',
    ]);
  });
});

describe('one redis-cli grammar', () => {
  it('reads flags, their values and the command the same way for both sides', () => {
    expect(readRedisCli(['-h', 'cache', '-p', '6380', '--raw', 'INFO', 'memory'])).toEqual({
      flags: [{ flag: '-h', value: 'cache' }, { flag: '-p', value: '6380' }, { flag: '--raw' }],
      mode: null,
      words: ['INFO', 'memory'],
    });
    expect(extractRedis(['redis-cli', '-h', 'cache', '-p', '6380', '--raw', 'INFO', 'memory'], null)).toEqual({
      words: ['INFO', 'memory'],
      host: 'cache',
    });
    const c = classifyCommand('redis-cli -h cache -p 6380 --raw INFO memory', { lang: 'bash' });
    expect([c.executor, c.risk, c.runnable, c.query]).toEqual(['redis', 'read', true, 'INFO memory']);
  });

  it('a repeat count is a flag with a value, never the command; the executor refuses to repeat', () => {
    expect(readRedisCli(['-r', '100', '-i', '1', 'INFO']).words).toEqual(['INFO']);
    expect(classifyCommand('redis-cli -r 100 -i 1 INFO', { lang: 'bash' }).query).toBe('INFO');
    expect(() => extractRedis(['redis-cli', '-r', '100', '-i', '1', 'INFO'], null)).toThrow(
      /redis-cli -r is not supported/,
    );
    expect(() => extractRedis(['redis-cli', '--bigkeys'], null)).toThrow(/redis-cli --bigkeys is not supported/);
  });
});
