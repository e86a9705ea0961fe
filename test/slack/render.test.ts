import { describe, expect, it } from 'vitest';
import { declare } from '../../src/incidents/model.js';
import type { Command, RunbookSection } from '../../src/runbooks/schema.js';
import { renderHeader } from '../../src/slack/render/header.js';
import { renderTimeline } from '../../src/slack/render/messages.js';
import { renderRunbook } from '../../src/slack/render/runbook.js';
import { LIMITS } from '../../src/slack/render/text.js';

const now = new Date('2026-11-23T03:10:00Z');
const inc = {
  ...declare({ title: 'API down', severity: 'P1', source: 'alert' }, new Date('2026-11-23T03:00:00Z')).incident,
  id: 4,
};

const cmd = (i: number, risk: Command['risk'], runnable: boolean): Command => ({
  id: `s:${i}`,
  text: `kubectl get pods -n shop -l app=api-${i}`,
  line: i,
  executor: 'kubernetes',
  risk,
  runnable,
  placeholders: [],
  reason: risk === 'destructive' ? 'Deletes data; never from Slack.' : 'Read-only.',
  query: null,
  origin: 'block',
});

function bigSection(steps: number): RunbookSection {
  return {
    id: 'big',
    title: 'Big runbook',
    alerts: ['BigAlert'],
    severity: 'P1',
    line: 1,
    timers: [],
    commands: [],
    steps: Array.from({ length: steps }, (_, i) => ({
      title: `Step ${i}`,
      line: i + 2,
      text: 'y'.repeat(5000),
      commands: [cmd(i * 3, 'read', true), cmd(i * 3 + 1, 'write', true), cmd(i * 3 + 2, 'destructive', false)],
      group: null,
    })),
    summary: 's'.repeat(4000),
    source: 'big.md',
    kind: 'alert',
    severityText: 'critical',
  };
}

/** Every Block Kit limit we rely on, checked on rendered output. */
function assertWithinLimits(blocks: Record<string, unknown>[]) {
  expect(blocks.length).toBeLessThanOrEqual(LIMITS.blocksPerMessage);
  const ids = blocks.map((b) => b.block_id).filter(Boolean);
  expect(new Set(ids).size).toBe(ids.length);
  for (const b of blocks) {
    const text = (b.text as { text?: string } | undefined)?.text;
    if (text) expect(text.length).toBeLessThanOrEqual(b.type === 'header' ? LIMITS.headerText : LIMITS.sectionText);
    for (const f of (b.fields as { text: string }[] | undefined) ?? [])
      expect(f.text.length).toBeLessThanOrEqual(LIMITS.fieldText);
  }
}

describe('Block Kit rendering', () => {
  it('splits a long runbook into threaded parts that each respect the limits, losing no step', () => {
    const msgs = renderRunbook(bigSection(40), { source: 'big.md', title: 'Big' }, inc, { timers: [] });
    expect(msgs.length).toBeGreaterThan(1);
    for (const m of msgs) assertWithinLimits(m.blocks);
    const all = JSON.stringify(msgs);
    for (let i = 0; i < 40; i++) expect(all).toContain(`*${i + 1}. Step ${i}*`);
    expect(JSON.stringify(msgs[0]!.blocks.at(-1))).toContain('Continued in the thread');
  });

  it('puts Run on read commands, an operator button on writes, and only a warning on destructive ones', () => {
    const [m] = renderRunbook(bigSection(1), { source: 'big.md', title: 'Big' }, inc, { timers: [] });
    const text = JSON.stringify(m!.blocks);
    expect(text).toContain('"action_id":"diag_run"');
    expect(text).toContain('"action_id":"diag_write"');
    expect(text).toContain('not runnable from Slack: Deletes data; never from Slack.');
    expect((text.match(/"action_id":"diag_run"/g) ?? []).length).toBe(1);
  });

  it('renders the header with a countdown and no acknowledge button once acknowledged', () => {
    const h = renderHeader(inc, {
      now,
      alerts: [{ alertname: 'A', status: 'firing', generatorUrl: 'http://prom/graph' }],
      runbookTitle: 'Runbook',
      nextTimer: {
        kind: 'escalate',
        dueAt: new Date('2026-11-23T03:17:00Z'),
        target: 'Senior Engineer',
        targetMention: '<!subteam^S1>',
      },
    });
    assertWithinLimits(h.blocks);
    expect(JSON.stringify(h.blocks)).toContain('Escalates to <!subteam^S1> in 7 min');
    expect(JSON.stringify(h.blocks)).toContain('incident_ack');
    const acked = renderHeader(
      { ...inc, ackedAt: now, ackedBy: 'U1' },
      { now, alerts: [], runbookTitle: null, nextTimer: null },
    );
    expect(JSON.stringify(acked.blocks)).not.toContain('incident_ack');
  });

  it('splits a long timeline over several messages', () => {
    const events = Array.from({ length: 400 }, (_, i) => ({
      id: i,
      incidentId: 4,
      at: now,
      actor: 'U1',
      kind: 'update',
      text: `update number ${i} ${'z'.repeat(100)}`,
      data: {},
    }));
    const msgs = renderTimeline(inc, events);
    for (const m of msgs) assertWithinLimits(m.blocks);
    expect(JSON.stringify(msgs)).toContain('update number 399');
  });
});
