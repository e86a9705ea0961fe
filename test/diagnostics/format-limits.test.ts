import { describe, expect, it } from 'vitest';
import {
  cpuMillis,
  humanDuration,
  memoryMi,
  sha256,
  sparkline,
  table,
  truncate,
} from '../../src/diagnostics/format.js';
import { createLimiter } from '../../src/diagnostics/limits.js';

describe('format', () => {
  it('renders kubectl-like tables', () => {
    expect(
      table(
        ['name', 'ready'],
        [
          ['api-1', '1/1'],
          ['a', '0/1'],
        ],
      ),
    ).toBe('NAME    READY\napi-1   1/1\na       0/1');
  });

  it.each([
    [45_000, '45s'],
    [5 * 60_000 + 3000, '5m3s'],
    [42 * 60_000, '42m'],
    [(3 * 60 + 4) * 60_000, '3h4m'],
    [36 * 3600_000, '36h'],
    [(3 * 24 + 4) * 3600_000, '3d4h'],
    [120 * 86400_000, '120d'],
    [3 * 365 * 86400_000, '3y'],
  ])('formats %d ms as %s like kubectl', (ms, s) => {
    expect(humanDuration(ms)).toBe(s);
  });

  it('truncates at a line boundary and says so', () => {
    const text = Array.from({ length: 500 }, (_, i) => `line ${i}`).join('\n');
    const t = truncate(text, 2900);
    expect(t.truncated).toBe(true);
    expect(t.preview.length).toBeLessThanOrEqual(2900);
    expect(t.preview).toMatch(/truncated: \d+ more line/);
    expect(truncate('short', 2900)).toEqual({ preview: 'short', truncated: false });
  });

  it('hashes the full output', () => {
    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('reads Kubernetes quantities', () => {
    expect(cpuMillis('250123456n')).toBe(250);
    expect(cpuMillis('2')).toBe(2000);
    expect(memoryMi('301236Ki')).toBe(294);
    expect(memoryMi('1Gi')).toBe(1024);
  });

  it('draws sparklines', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7])).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([2, 2])).toBe('▄▄');
  });
});

describe('limits', () => {
  it('refuses a click storm on one incident beyond the per-incident limit', async () => {
    const l = createLimiter({ maxConcurrent: 10, maxPerIncident: 2, queueMs: 30 });
    const a = await l.acquire(1);
    await l.acquire(1);
    await expect(l.acquire(1)).rejects.toThrow(/This incident already has 2 diagnostics running/);
    // another incident is not affected
    const other = await l.acquire(2);
    other();
    a();
    await expect(l.acquire(1)).resolves.toBeTypeOf('function');
  });

  it('refuses beyond the global limit and hands a freed slot to the next waiter', async () => {
    const l = createLimiter({ maxConcurrent: 2, maxPerIncident: 5, queueMs: 200 });
    const r1 = await l.acquire(1);
    await l.acquire(2);
    const waiting = l.acquire(3);
    setTimeout(r1, 20);
    await expect(waiting).resolves.toBeTypeOf('function');
    expect(l.stats().running).toBe(2);
    const l2 = createLimiter({ maxConcurrent: 1, maxPerIncident: 1, queueMs: 20 });
    await l2.acquire(1);
    await expect(l2.acquire(2)).rejects.toThrow(/running 1 diagnostics already/);
  });

  it('releases only once per acquire', async () => {
    const l = createLimiter({ maxConcurrent: 1, maxPerIncident: 1, queueMs: 10 });
    const r = await l.acquire(1);
    r();
    r();
    expect(l.stats().running).toBe(0);
  });
});
