import { describe, expect, it } from 'vitest';
import {
  refreshSlot,
  type StormGroupLine,
  stormDecision,
  stormKey,
  stormLabels,
  stormTitle,
  summarizeGroups,
  topSeverity,
  windowStart,
} from '../../src/alerts/storm.js';

const id = { sender: 'alertmanager', externalUrl: 'http://am-a:9093', cluster: 'cluster=prod-a' };

describe('storm correlation key', () => {
  it('joins cluster and namespace by default, and falls back to cluster when namespace is absent', () => {
    const by = ['cluster', 'namespace'];
    expect(stormKey({ ...id, labels: { cluster: 'prod-a', namespace: 'payments', pod: 'x' } }, by)).toBe(
      'alertmanager|http://am-a:9093[cluster=prod-a]|cluster=prod-a,namespace=payments',
    );
    expect(stormKey({ ...id, labels: { cluster: 'prod-a' } }, by)).toBe(
      'alertmanager|http://am-a:9093[cluster=prod-a]|cluster=prod-a',
    );
    // Other labels never change the key; without any group-by label there is none.
    expect(stormKey({ ...id, labels: { cluster: 'prod-a', pod: 'y' } }, by)).toBe(
      stormKey({ ...id, labels: { cluster: 'prod-a' } }, by),
    );
    expect(stormKey({ ...id, labels: { pod: 'y' } }, by)).toBeNull();
  });

  it('never gives two Alertmanagers, or two senders, the same key', () => {
    const labels = { cluster: 'prod-a', namespace: 'payments' };
    const a = stormKey({ ...id, labels }, ['cluster', 'namespace']);
    expect(stormKey({ ...id, externalUrl: 'http://am-b:9093', labels }, ['cluster', 'namespace'])).not.toBe(a);
    expect(stormKey({ ...id, sender: 'grafana', labels }, ['cluster', 'namespace'])).not.toBe(a);
    expect(stormKey({ ...id, cluster: 'cluster=prod-b', labels }, ['cluster', 'namespace'])).not.toBe(a);
  });

  it('reads the labels back for the title', () => {
    const key = stormKey({ ...id, labels: { cluster: 'prod-a', namespace: 'payments' } }, ['cluster', 'namespace'])!;
    expect(stormLabels(key)).toEqual({ cluster: 'prod-a', namespace: 'payments' });
    expect(stormTitle(key)).toBe('Alert storm in prod-a / payments');
  });
});

describe('storm decision', () => {
  it('starts a storm only when MORE than the threshold open within the window', () => {
    const d = (recent: number, stormOpen = false, threshold = 3) =>
      stormDecision({ threshold, hasKey: true, stormOpen, recent });
    expect(d(0)).toBe('alone');
    expect(d(2)).toBe('alone'); // the third group: 3 is not more than 3
    expect(d(3)).toBe('start'); // the fourth
    expect(d(0, true)).toBe('join');
  });

  it('is off with threshold 0 or without a key', () => {
    expect(stormDecision({ threshold: 0, hasKey: true, stormOpen: true, recent: 50 })).toBe('alone');
    expect(stormDecision({ threshold: 3, hasKey: false, stormOpen: false, recent: 50 })).toBe('alone');
  });

  it('counts the window back from now', () => {
    expect(windowStart(new Date('2026-11-29T10:05:00Z'), 5).toISOString()).toBe('2026-11-29T10:00:00.000Z');
  });
});

describe('summary refresh', () => {
  it('puts every change of one slot in one refresh, due at the slot end', () => {
    const a = refreshSlot(new Date('2026-11-29T10:00:01.000Z'), 5);
    const b = refreshSlot(new Date('2026-11-29T10:00:04.999Z'), 5);
    const c = refreshSlot(new Date('2026-11-29T10:00:05.000Z'), 5);
    expect(a.slot).toBe(b.slot);
    expect(c.slot).toBe(a.slot + 1);
    expect(a.dueAt.toISOString()).toBe('2026-11-29T10:00:05.000Z');
  });
});

describe('storm summary', () => {
  const line = (i: number, over: Partial<StormGroupLine> = {}): StormGroupLine => ({
    groupId: i,
    groupKey: `g${i}`,
    alertname: `A${i}`,
    scope: 'payments',
    severity: 'P3',
    firing: 1,
    total: 1,
    firstSeen: new Date(1000 * i),
    lastSeen: new Date(1000 * i),
    ...over,
  });

  it('lists firing groups first, most severe first, and counts the rest', () => {
    const groups = [
      line(1, { firing: 0, total: 2 }),
      line(2),
      line(3, { severity: 'P1', firing: 4, total: 4 }),
      line(4),
    ];
    const s = summarizeGroups(groups, 3);
    expect(s.shown.map((g) => g.groupId)).toEqual([3, 4, 2]);
    expect(s.more).toBe(1);
    expect(s.firingGroups).toBe(3);
    expect(s.resolvedGroups).toBe(1);
    expect(s.firingAlerts).toBe(6);
  });

  it('takes the highest severity', () => {
    expect(topSeverity(['P3', null, 'P2', 'P4'])).toBe('P2');
    expect(topSeverity([])).toBeNull();
  });
});
