import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { declare, type Incident, type Notice } from '../../src/incidents/model.js';
import { parseIncidentCommand } from '../../src/slack/command-parse.js';
import { renderNobody, renderPing, renderPingTaken, renderTimers } from '../../src/slack/render/escalation.js';
import { renderHeader } from '../../src/slack/render/header.js';
import {
  HELP_TEXT,
  renderAllResolved,
  renderAnnouncement,
  renderHelp,
  renderList,
} from '../../src/slack/render/messages.js';
import { renderNotice } from '../../src/slack/render/notices.js';
import { renderNoRunbook } from '../../src/slack/render/runbook.js';

/**
 * Issue #18 "Every command the bot suggests exists": every `/incident …` the bot shows (in any rendered
 * message kind, and anywhere in the source) parses to a real command, not help or an error.
 */

const T0 = new Date('2026-11-23T10:00:00Z');
const inc: Incident = { ...declare({ title: 'API is down', severity: 'P1', source: 'slash' }, T0).incident, id: 7 };

/** A suggestion as written for people -> something a person could type ("<title>" -> a title). */
function concrete(suggestion: string): string {
  return suggestion
    .replace(/\$\{[^}]*\}/g, '7')
    .replace(/\[([^\]]*minute[^\]]*)\]/gi, '10')
    .replace(/\[([^\]|]*)(\|[^\]]*)?\]/g, (_m, first: string) => (/^[a-z]+$/.test(first) ? first : 'x'))
    .replace(/<[^>]+>|&lt;.*?&gt;/g, 'x')
    .replace(/\|[^\s\]]+/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Every `/incident …` inside backticks (escaped or not), without the prefix. */
function suggestions(text: string): string[] {
  return [...text.matchAll(/\\?`\/incident(?: ([^`\\]*))?\\?`/g)].map((m) => m[1] ?? '');
}

function expectParses(suggestion: string, where: string) {
  const cmd = parseIncidentCommand(concrete(suggestion));
  const bad = cmd.kind === 'error' || (cmd.kind === 'help' && 'unknown' in cmd && cmd.unknown);
  expect(bad ? `${where}: "/incident ${suggestion}" -> ${JSON.stringify(cmd)}` : 'ok').toBe('ok');
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return f === 'emulator' ? [] : sourceFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

describe('every command the bot suggests exists', () => {
  it('parses every `/incident …` in the rendered message kinds', () => {
    const notices: Notice[] = [
      { kind: 'acknowledged', actor: 'U1' },
      { kind: 'status', actor: 'U1', status: 'resolved', summary: 'ok' },
      { kind: 'severity', actor: 'U1', severity: 'P1' },
      { kind: 'role', actor: 'U1', user: 'U2', role: 'commander', previous: 'U3' },
      { kind: 'update', actor: 'U1', text: 'x' },
      { kind: 'snoozed', actor: 'U1', until: T0.toISOString(), timers: [] },
      { kind: 'snoozed', actor: 'U1', until: T0.toISOString(), timers: [{ kind: 'escalate', text: 'x', target: 'y' }] },
      { kind: 'snoozeEnded', actor: null, reason: 'severity', severity: 'P1', timers: [] },
      { kind: 'snoozeEnded', actor: 'U1', reason: 'cancelled', timers: [] },
    ];
    const ping = {
      timerId: 1,
      kind: 'escalate',
      text: 'INC-7 Escalation',
      mentions: [],
      unknownTargets: [],
      late: false,
      actions: [],
      snoozeMinutes: 10,
    };
    const messages = [
      renderHelp(),
      renderHelp(":grey_question: I don't know `x`."),
      ...notices.map((n) => renderNotice(inc, n)),
      renderHeader(inc, {
        now: T0,
        alerts: [],
        runbookTitle: 'Runbook',
        nextTimer: { kind: 'escalate', dueAt: T0, target: null, targetMention: null, snoozedUntil: new Date(+T0 + 1) },
      }),
      renderHeader(
        { ...inc, status: 'resolved', resolvedAt: T0 },
        { now: T0, alerts: [], runbookTitle: null, nextTimer: null },
      ),
      renderTimers(inc, [], T0, (t) => t),
      renderPing(ping, false),
      renderPingTaken({
        channel: 'C1',
        ts: '1',
        text: 'x',
        user: 'U1',
        via: 'on_it',
        acknowledged: false,
        at: T0.toISOString(),
      }),
      { text: renderNobody(inc, ping, ['@ghost (no such user group)']) },
      renderAnnouncement(inc),
      renderList([inc], T0),
      renderAllResolved(inc, 10),
      renderNoRunbook('X'),
    ];
    let seen = 0;
    for (const m of messages) {
      for (const s of suggestions(JSON.stringify(m))) {
        seen++;
        expectParses(s, m.text.slice(0, 40));
      }
    }
    expect(seen).toBeGreaterThan(3);
  });

  it('parses every command the help lists', () => {
    const verbs = [...HELP_TEXT.matchAll(/^• `([^`]+)`/gm)].map((m) => m[1]!);
    expect(verbs.length).toBeGreaterThan(10);
    for (const v of verbs) for (const alt of v.split(' / ')) expectParses(alt.replace(/`/g, ''), 'help');
  });

  it('parses every `/incident …` written anywhere in the bot', () => {
    const root = resolve(import.meta.dirname, '../../src');
    let seen = 0;
    for (const f of sourceFiles(root)) {
      for (const s of suggestions(readFileSync(f, 'utf8'))) {
        // Skip the bare `/incident`, "`/incident <text>`" (any text) and "`/incident <kind>` is not available".
        if (!s || s === '<text>' || s.startsWith('$')) continue;
        seen++;
        expectParses(s, f.slice(root.length + 1));
      }
    }
    expect(seen).toBeGreaterThan(10);
  });
});
