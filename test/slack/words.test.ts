import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { declare, type Incident, type Notice } from '../../src/incidents/model.js';
import { loadRunbooks } from '../../src/runbooks/load.js';
import { renderPing } from '../../src/slack/render/escalation.js';
import { renderHeader } from '../../src/slack/render/header.js';
import {
  renderAlertChange,
  renderAllResolved,
  renderAnnouncement,
  renderFollowups,
  renderHelp,
  renderHome,
  renderList,
  renderTimeline,
} from '../../src/slack/render/messages.js';
import { renderNotice } from '../../src/slack/render/notices.js';
import { renderNoRunbook, renderRunbook } from '../../src/slack/render/runbook.js';
import { previewModal, renderStatuspageOffer, renderStatuspageOutcome } from '../../src/slack/render/statuspage.js';

/**
 * Every kind of message the bot writes, rendered, and read the way a person reads it: Slack shows plain_text
 * literally (so `<@U…>` and `&lt;` there are glitches), and mrkdwn with unbalanced `*`, `_` or backticks shows
 * stray characters. Numbers must agree with their nouns.
 */

const t0 = new Date('2026-11-23T03:00:00Z');
const now = new Date('2026-11-23T03:10:00Z');
const inc = (over: Partial<Incident> = {}): Incident => ({
  ...declare({ title: 'Checkout <api> & payments down', severity: 'P1', source: 'alert', commander: 'U0ALICE' }, t0)
    .incident,
  id: 3,
  channelId: 'C0INC3',
  ...over,
});

type Obj = { type?: string; text?: unknown; [k: string]: unknown };

/** Walks Block Kit and returns [kind, text] for every text object. */
function texts(node: unknown, out: [string, string][] = []): [string, string][] {
  if (Array.isArray(node)) for (const n of node) texts(n, out);
  else if (node && typeof node === 'object') {
    const o = node as Obj;
    if ((o.type === 'plain_text' || o.type === 'mrkdwn') && typeof o.text === 'string') out.push([o.type, o.text]);
    for (const v of Object.values(o)) if (v && typeof v === 'object') texts(v, out);
  }
  return out;
}

/** mrkdwn outside code: what is left after removing code blocks, inline code, links and mentions. */
const prose = (s: string) =>
  s
    .replace(/```[\s\S]*?```/g, '')
    .replace(/`[^`\n]*`/g, '')
    .replace(/<[^>\n]+>/g, '')
    .replace(/&(lt|gt|amp);/g, '');

function problems(kind: string, text: string): string[] {
  const out: string[] = [];
  if (kind === 'plain_text') {
    if (/<@[UW]/.test(text)) out.push('raw <@U in plain text');
    if (/&(lt|gt|amp);/.test(text)) out.push('HTML entity in plain text');
  } else {
    const p = prose(text);
    if ((text.match(/```/g) ?? []).length % 2 !== 0) out.push('unbalanced ```');
    // Slack reads any <…> as a link or mention, code spans included: placeholders must be &lt;…&gt;.
    for (const m of text.matchAll(/<(?![@#!]|https?:|mailto:)[^>\n]*>?/g)) out.push(`unescaped ${m[0]}`);
    if ((p.match(/`/g) ?? []).length % 2) out.push('unbalanced `');
    for (const line of p.split('\n')) {
      if ((line.match(/\*/g) ?? []).length % 2) out.push(`unbalanced * in "${line}"`);
      if ((line.match(/(^|[\s(])_|_($|[\s).,:;!?])/g) ?? []).length % 2) out.push(`unbalanced _ in "${line}"`);
    }
  }
  if (/\(s\)/.test(text)) out.push(`"(s)" plural in "${text.slice(0, 80)}"`);
  if (/(^|[^\d.])1 (minutes|hours|days|incidents|alerts|follow-ups|events|parts|steps|more parts)\b/.test(text))
    out.push(`"1 <plural>" in "${text.slice(0, 80)}"`);
  return out;
}

async function everyMessage() {
  const lib = await loadRunbooks(path.resolve(import.meta.dirname, '../../runbooks'));
  const triage = lib.bySeverity('P1')!;
  const notices: Notice[] = [
    { kind: 'acknowledged', actor: 'U0ALICE' },
    { kind: 'status', actor: 'U0ALICE', status: 'identified', summary: null },
    { kind: 'status', actor: null, status: 'resolved', summary: 'Rolled back <v42> & *fixed*' },
    { kind: 'severity', actor: 'U0BOB', severity: 'P2' },
    { kind: 'severity', actor: 'U0BOB', severity: 'P3', previous: 'P1' },
    { kind: 'role', actor: 'U0ALICE', user: 'U0BOB', role: 'comms' },
    { kind: 'update', actor: 'U0BOB', text: 'Restarted `checkout-7d9f` with <@U0CAROL>' },
    { kind: 'followup', actor: 'U0ALICE', owner: 'U0BOB', text: 'Alert on the 5xx ratio' },
  ];
  const events = [
    { kind: 'declared', actor: 'U0ALICE', at: t0, text: 'Declared P1: Checkout', data: {} },
    { kind: 'role', actor: 'U0ALICE', at: t0, text: '', data: { user: 'U0BOB', role: 'comms' } },
    { kind: 'diagnostic', actor: 'U0BOB', at: t0, text: '', data: { command: 'kubectl get pods -n <ns>', ok: false } },
    { kind: 'followup', actor: 'U0BOB', at: t0, text: '', data: { owner: 'U0BOB', text: 'Write the plan' } },
  ];
  const one = inc();
  const msgs: [string, unknown][] = [
    ...notices.map((n) => [`notice ${n.kind}`, renderNotice(one, n)] as [string, unknown]),
    ['header', renderHeader(one, { now, alerts: [], runbookTitle: 'P1: General triage', nextTimer: null })],
    [
      'header resolved',
      renderHeader(inc({ status: 'resolved', resolvedAt: now }), {
        now,
        alerts: [],
        runbookTitle: null,
        nextTimer: null,
      }),
    ],
    ['announcement', renderAnnouncement(one)],
    ['list of one', renderList([one], now)],
    ['list of two', renderList([one, inc({ id: 4 })], now)],
    [
      'home',
      renderHome(
        {
          mine: { rows: [one], total: 3 },
          open: { rows: [one], total: 1 },
          resolved: { rows: [], total: 0 },
          followups: { rows: [], total: 0 },
          oncall: {
            rows: [
              { handle: 'sre-oncall', teams: [], isDefault: true, members: ['U0ALICE'] },
              { handle: 'pay_oncall', teams: ['payments'], isDefault: false, members: [] },
              { handle: 'ghost', teams: ['shop'], isDefault: false, members: null },
            ],
            total: 4,
          },
        },
        now,
      ),
    ],
    [
      'escalation ping',
      renderPing(
        {
          timerId: 1,
          kind: 'escalate',
          incidentLabel: 'INC-3',
          words: 'Root cause not identified within 15 minutes (p99 > 2 s)',
          mentions: [
            { kind: 'usergroup', id: 'S0SRESENIORS', handle: 'sre-seniors' },
            { kind: 'user', id: 'U0CAROL' },
            { kind: 'usergroup', handle: 'db_oncall' },
          ],
          unknownTargets: ['GCP Support'],
          dueAt: t0.toISOString(),
          late: true,
          snoozed: false,
          actions: [{ actionId: 'escalation_ack', text: 'Acknowledge' }],
          snoozeMinutes: 10,
        },
        false,
      ),
    ],
    ['help', renderHelp()],
    ['alert fired', renderAlertChange('fired', 'KubePodCrashLooping', { namespace: 'shop', pod: 'checkout-7d9f' })],
    ['all resolved', renderAllResolved(one, 1)],
    ['followups one', renderFollowups(one, [{ owner: 'U0BOB', text: 'a', at: t0, actor: 'U0BOB' }])],
    ['followups none', renderFollowups(one, [])],
    ['timeline', renderTimeline(one, events as never)],
    ['runbook', renderRunbook(triage.section, triage.document, one, { timers: triage.section.timers })],
    ['no runbook', renderNoRunbook('KubePodCrashLooping')],
    ['statuspage offer', renderStatuspageOffer(one, 'monitoring')],
    [
      'statuspage outcome',
      renderStatuspageOutcome(one, {
        to: 'channel',
        ok: true,
        updated: false,
        status: 'investigating',
        url: null,
        body: 'We are on it.',
      }),
    ],
    [
      'statuspage preview',
      previewModal(one, 'Affected: Checkout', {
        incidentId: 3,
        status: 'investigating',
        title: 'Checkout: service disruption',
        components: [],
      }),
    ],
  ];
  return msgs;
}

describe('words people read', () => {
  it('renders every message kind without glitches', async () => {
    const found: string[] = [];
    for (const [name, msg] of await everyMessage())
      for (const [kind, text] of texts(msg)) for (const p of problems(kind, text)) found.push(`${name}: ${p}`);
    expect(found).toEqual([]);
  });

  it('shows a lowered severity as falling, with what it was', () => {
    const one = inc();
    expect(renderNotice(one, { kind: 'severity', actor: 'U0BOB', severity: 'P3', previous: 'P1' }).text).toBe(
      ':chart_with_downwards_trend: <@U0BOB> lowered severity to *P3* (was P1).',
    );
    expect(renderNotice(one, { kind: 'severity', actor: 'U0BOB', severity: 'P1', previous: 'P3' }).text).toBe(
      ':chart_with_upwards_trend: <@U0BOB> set severity to *P1* (was P3).',
    );
  });

  it('catches the glitches it looks for', () => {
    expect(problems('plain_text', 'ping <@U0ALICE>')).toHaveLength(1);
    expect(problems('plain_text', 'kubectl logs &lt;pod&gt;')).toHaveLength(1);
    expect(problems('mrkdwn', '*bold')).toHaveLength(1);
    expect(problems('mrkdwn', 'a `code')).toHaveLength(1);
    expect(problems('mrkdwn', 'after 1 minutes')).toHaveLength(1);
    expect(problems('mrkdwn', '3 open incident(s)')).toHaveLength(1);
    expect(problems('mrkdwn', '*INC-1* `a*b` snake_case_name <@U1>')).toEqual([]);
    expect(problems('mrkdwn', 'type `/incident update <text>`')).toHaveLength(1);
    expect(problems('mrkdwn', '<https://x|docs> <#C1> <!here> `update &lt;text&gt;`')).toEqual([]);
  });
});
