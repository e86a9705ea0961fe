/**
 * Every Block Kit builder fed its longest realistic inputs, checked against the local workspace's Slack limits
 * (src/emulator/block-limits.ts): a builder that stops cutting text to fit fails here, not in production.
 */
import { describe, expect, it } from 'vitest';
import { blockErrors, viewFieldErrors } from '../../src/emulator/block-limits.js';
import type { Incident } from '../../src/incidents/model.js';
import type { Command, RunbookSection } from '../../src/runbooks/schema.js';
import { renderHeader } from '../../src/slack/render/header.js';
import {
  renderAlertChange,
  renderAllResolved,
  renderAnnouncement,
  renderHelp,
  renderHome,
  renderList,
  renderTimeline,
} from '../../src/slack/render/messages.js';
import { declareModal, resolveModal, updateModal } from '../../src/slack/render/modals.js';
import { renderNoRunbook, renderRunbook } from '../../src/slack/render/runbook.js';
import { button, plainText } from '../../src/slack/render/text.js';

/** Text that grows when escaped for mrkdwn and counts double in UTF-16: the worst case for every cut. */
const nasty = (n: number) => '<&>😀漢'.repeat(Math.ceil(n / 5)).slice(0, n);
const now = new Date('2026-11-29T12:00:00Z');

const incident = (over: Partial<Incident> = {}): Incident => ({
  id: 99_999,
  title: nasty(200),
  description: nasty(4096),
  severity: 'P1',
  status: 'investigating',
  source: 'alert',
  groupKey: nasty(500),
  commander: 'U0ALICE',
  commsLead: 'U0BOB',
  scribe: null,
  declaredBy: 'U0CAROL',
  channelId: 'C0123456789',
  channelName: 'inc-20261129-x',
  headerTs: '1.000001',
  runbookSource: nasty(300),
  runbookId: nasty(300),
  startedAt: new Date(now.getTime() - 3 * 86_400_000),
  ackedAt: null,
  ackedBy: null,
  mitigatedAt: null,
  resolvedAt: null,
  lastUpdateAt: null,
  alertsResolvedAt: null,
  summary: nasty(4096),
  statuspageIncidentId: null,
  statuspageUpdatedAt: null,
  labels: { alertname: nasty(300) },
  ...over,
});

const command = (i: number, risk: Command['risk'], runnable: boolean): Command => ({
  id: `${nasty(250)}:${i}`,
  text: nasty(4000),
  line: i + 1,
  executor: 'kubernetes',
  risk,
  runnable,
  placeholders: [],
  reason: nasty(1000),
  query: null,
  origin: 'block',
});

/** A 60-step runbook, every step long, with runnable reads, writes and refused commands. */
const runbook: RunbookSection = {
  id: nasty(300),
  title: nasty(500),
  alerts: Array.from({ length: 200 }, (_, i) => `${nasty(100)}${i}`),
  severity: 'P1',
  line: 1,
  timers: [],
  commands: [],
  steps: Array.from({ length: 60 }, (_, i) => ({
    title: `${i + 1}. ${nasty(1000)}`,
    line: i + 2,
    text: nasty(4000),
    commands: [command(i * 3, 'read', true), command(i * 3 + 1, 'write', true), command(i * 3 + 2, 'exec', false)],
    group: null,
  })),
  summary: nasty(4000),
  source: nasty(300),
  kind: 'alert',
  severityText: 'critical',
};

function expectValid(blocks: unknown[], max = 50): void {
  expect(blockErrors(blocks, max)).toEqual([]);
}

describe('Block Kit builders stay within Slack limits with their longest realistic inputs', () => {
  it('incident header, open and resolved, with 200 alerts and long text everywhere', () => {
    const alerts = Array.from({ length: 200 }, (_, i) => ({
      alertname: nasty(300),
      status: (i % 2 ? 'firing' : 'resolved') as 'firing' | 'resolved',
      generatorUrl: `https://prometheus.example/graph?g0.expr=${'x'.repeat(3000)}`,
    }));
    const ctx = {
      now,
      alerts,
      runbookTitle: nasty(1000),
      nextTimer: { kind: 'escalate', dueAt: now, target: nasty(300), targetMention: '<!subteam^S0X|@x>' },
    };
    expectValid(renderHeader(incident(), ctx).blocks);
    expectValid(renderHeader(incident({ status: 'resolved', resolvedAt: now, ackedAt: now }), ctx).blocks);
  });

  it('a 60-step runbook split over messages', () => {
    const messages = renderRunbook(runbook, { source: nasty(300), title: nasty(500) }, incident(), {
      timers: Array.from({ length: 20 }, (_, i) => ({
        afterMinutes: i,
        kind: ['acknowledge', 'escalate', 'resolve', 'update', 'other'][i % 5]!,
        target: nasty(300),
        condition: nasty(500),
        text: nasty(500),
      })),
    });
    expect(messages.length).toBeGreaterThan(1);
    for (const m of messages) expectValid(m.blocks);
    expectValid(renderNoRunbook(nasty(300)).blocks);
  });

  it('timeline, announcement, list, home, help and alert notices', () => {
    const events = Array.from({ length: 2000 }, (_, i) => ({
      id: i,
      incidentId: 1,
      kind: 'update',
      actor: i % 2 ? 'U0ALICE' : nasty(100),
      at: now,
      text: nasty(4096),
      data: {},
    }));
    for (const m of renderTimeline(incident(), events)) expectValid(m.blocks);
    expectValid(renderAnnouncement(incident()).blocks);
    const many = Array.from({ length: 300 }, (_, i) => incident({ id: i }));
    expectValid(renderList(many, now).blocks);
    const all = { rows: many, total: many.length };
    expectValid(renderHome({ mine: all, open: all, resolved: all }, now).blocks, 100);
    const rotation = {
      handle: nasty(300),
      teams: [nasty(300), nasty(300)],
      isDefault: true,
      members: Array.from({ length: 400 }, (_, i) => `U${i}`),
    };
    const oncall = { rows: Array.from({ length: 15 }, () => rotation), total: 40 };
    const bounded = (n: number) => ({ rows: many.slice(0, n), total: many.length });
    const home = renderHome({ mine: bounded(15), open: bounded(15), resolved: bounded(5), oncall }, now).blocks;
    expectValid(home, 100);
    expect(JSON.stringify(home.at(-1))).toContain('25 more.');
    expectValid(renderHelp(nasty(2000)).blocks);
    const labels = { namespace: nasty(4096), service: nasty(4096), pod: nasty(4096), instance: nasty(4096) };
    expectValid(renderAlertChange('fired', nasty(4096), labels).blocks);
    expectValid(renderAllResolved(incident(), 30).blocks);
  });

  it('modals: declare pre-filled from a long slash text, update and resolve', () => {
    for (const view of [
      declareModal({ title: nasty(3000), severity: 'P1', channelId: 'C0123456789' }),
      updateModal(incident()),
      resolveModal(incident()),
    ]) {
      expect(viewFieldErrors(view)).toEqual([]);
      expectValid(view.blocks, 100);
    }
  });

  it('buttons and option text are cut at 75, not 150', () => {
    expectValid([{ type: 'actions', elements: [button(nasty(500), 'a', nasty(5000), 'danger')] }]);
    expect([...plainText(nasty(500)).text].length).toBeLessThanOrEqual(75);
  });
});
