import { describe, expect, it } from 'vitest';
import type { StormGroupLine } from '../../src/alerts/storm.js';
import { blockErrors } from '../../src/emulator/block-limits.js';
import { declare, type Incident } from '../../src/incidents/model.js';
import { renderGroupDetail, renderMergedAway, renderStormSummary } from '../../src/slack/render/storm.js';

const now = new Date('2026-11-29T10:00:00Z');
const inc: Incident = {
  ...declare({ title: 'Alert storm in prod-a / payments', severity: 'P2', source: 'alert' }, now).incident,
  id: 4,
  channelId: 'C0STORM',
};
const groups = (n: number): StormGroupLine[] =>
  Array.from({ length: n }, (_, i) => ({
    groupId: i + 1,
    groupKey: `g${i}`,
    alertname: `${'KubePodCrashLooping'.repeat(20)}${i}`,
    scope: `namespace-${'x'.repeat(300)}`,
    severity: i % 7 === 0 ? 'P1' : 'P3',
    firing: i % 5 === 0 ? 0 : 20,
    total: 20,
    firstSeen: now,
    lastSeen: now,
  }));

describe('storm summary message', () => {
  it('stays within Slack limits with 500 groups and says how many are not listed', () => {
    const m = renderStormSummary(inc, groups(500), now);
    expect(blockErrors(m.blocks, 50)).toEqual([]);
    expect(m.text).toContain('500 alert groups, 400 firing, 8000 alerts firing; 480 more not listed');
    expect(JSON.stringify(m.blocks)).toContain('480 more alert groups not listed');
    // The most severe firing groups come first, each with its Split out button.
    expect(JSON.stringify(m.blocks[1])).toContain(':red_circle:');
    expect(JSON.stringify(m.blocks[1])).toContain('storm_group_');
    expect(JSON.stringify(m.blocks[1])).toContain('split:4:');
  });

  it('shows resolved groups as resolved and offers no Split out for a single group', () => {
    const [g] = groups(1);
    const m = renderStormSummary(inc, [{ ...g!, firing: 0 }], now);
    expect(JSON.stringify(m.blocks)).toContain('resolved (20 alerts)');
    expect(JSON.stringify(m.blocks)).toContain('detail:4:1');
    expect(JSON.stringify(m.blocks)).not.toContain('split:4:');
  });

  it("lists a group's alerts in its thread within Slack limits, the rest counted", () => {
    const [g] = groups(1);
    const alert = (i: number) => ({
      id: i,
      incidentId: 4,
      groupKey: 'g0',
      fingerprint: `fp${i}`,
      alertname: 'KubePodCrashLooping',
      nameDerived: false,
      status: 'firing' as const,
      severity: 'P3',
      labels: { alertname: 'KubePodCrashLooping', namespace: 'payments', pod: `pod-${i}-${'p'.repeat(200)}` },
      annotations: {},
      startsAt: now,
      endsAt: null,
      generatorUrl: null,
      links: {},
      firstSeenAt: now,
      lastSeenAt: now,
      notifications: 1,
    });
    const m = renderGroupDetail(
      g!,
      Array.from({ length: 30 }, (_, i) => alert(i)),
      45,
    );
    expect(blockErrors(m.blocks, 50)).toEqual([]);
    expect(JSON.stringify(m.blocks)).toContain('15 more alerts not listed');
    expect(JSON.stringify(m.blocks)).not.toContain('namespace=');
  });

  it('points a folded incident at the incident it went into', () => {
    const m = renderMergedAway({ ...inc, id: 2 }, inc, 'storm');
    expect(m.text).toContain('INC-2 was merged into INC-4 as part of an alert storm. <#C0STORM>');
  });
});
