import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import {
  type CancelOn,
  cancelKinds,
  cancelOnFor,
  formatCountdown,
  isMoot,
  parseDefaultTimers,
  planTimers,
  type RunbookTimer,
  TimerDraft,
  updateReminderDue,
} from '../../src/escalation/schedule.js';
import type { Severity } from '../../src/incidents/model.js';

const START = new Date('2026-01-05T10:00:00Z');
const DEFAULTS = parseDefaultTimers('P1=ack:5,escalate:15;P2=ack:15,escalate:30;P3=ack:60;P4=');
const at = (min: number) => new Date(START.getTime() + min * 60_000);

const t = (over: Partial<RunbookTimer> & Pick<RunbookTimer, 'kind' | 'afterMinutes'>): RunbookTimer => ({
  target: null,
  severity: null,
  condition: null,
  text: `${over.kind} after ${over.afterMinutes} min`,
  line: 1,
  untilMinutes: null,
  ...over,
});

type Event = 'ack' | 'resolve' | { status: string };

/**
 * A fake clock over an in-memory timer table: walks minute by minute, applies the incident events
 * through cancelKinds and fires what is due, the way the worker and the service do against the store.
 */
function simulate(drafts: TimerDraft[], events: Record<number, Event>, untilMin: number) {
  const pending = drafts.map((d) => ({ ...d }));
  const fired: { kind: string; target: string | null; minute: number }[] = [];
  for (let m = 0; m <= untilMin; m++) {
    const ev = events[m];
    if (ev) {
      const kinds = new Set<CancelOn>(cancelKinds(ev));
      for (let i = pending.length - 1; i >= 0; i--) if (kinds.has(pending[i]!.cancelOn)) pending.splice(i, 1);
    }
    const now = at(m);
    for (let i = 0; i < pending.length; i++) {
      const p = pending[i]!;
      if (p.dueAt <= now) {
        fired.push({ kind: p.kind, target: p.target, minute: m });
        pending.splice(i--, 1);
      }
    }
  }
  return { fired, pending };
}

// Shapes modelled on the seed runbooks (paraphrased): a severity table, escalation criteria, phases.
const documentTimers: RunbookTimer[] = [
  t({ kind: 'acknowledge', afterMinutes: 5, severity: 'P1' }),
  t({ kind: 'resolve', afterMinutes: 60, severity: 'P1' }),
  t({ kind: 'acknowledge', afterMinutes: 30, severity: 'P3' }),
  t({ kind: 'resolve', afterMinutes: 240, severity: 'P3' }),
];
const sectionTimers: RunbookTimer[] = [
  t({
    kind: 'escalate',
    afterMinutes: 15,
    target: 'Senior Engineer',
    condition: 'Root cause not identified within 15 minutes',
  }),
  t({ kind: 'escalate', afterMinutes: 30, target: 'Engineering Lead', condition: 'service down for >30 minutes' }),
  t({ kind: 'declare', afterMinutes: 30, severity: 'P1', condition: 'P1 unresolved after 30 min' }),
];

describe('planTimers', () => {
  it('takes each kind from the section first, then the document, then the defaults', () => {
    const drafts = planTimers({ sectionTimers, documentTimers, severity: 'P1', startedAt: START, defaults: DEFAULTS });
    expect(drafts.map((d) => [d.kind, d.afterMinutes, d.source])).toEqual([
      ['acknowledge', 5, 'document'],
      ['escalate', 15, 'section'],
      ['escalate', 30, 'section'],
      ['declare', 30, 'section'],
      ['resolve', 60, 'document'],
    ]);
    expect(drafts[1]!.dueAt).toEqual(at(15));
    expect(drafts[1]!.cancelOn).toBe('status:identified');
    expect(drafts[2]!.cancelOn).toBe('resolve');
    for (const d of drafts) TimerDraft.parse(d);
  });

  it('drops timers of another severity and fills the gap from the defaults', () => {
    const drafts = planTimers({ sectionTimers, documentTimers, severity: 'P2', startedAt: START, defaults: DEFAULTS });
    expect(drafts.map((d) => [d.kind, d.afterMinutes, d.source])).toEqual([
      ['acknowledge', 15, 'default'],
      ['escalate', 15, 'section'],
      ['escalate', 30, 'section'],
    ]);
  });

  it('lets timers for the incident severity shadow generic ones of the same kind', () => {
    const doc = [
      t({ kind: 'acknowledge', afterMinutes: 5, severity: 'P1' }),
      t({ kind: 'acknowledge', afterMinutes: 15, severity: 'P2' }),
      t({ kind: 'acknowledge', afterMinutes: 5, target: 'Engineer On-Call' }),
      t({ kind: 'escalate', afterMinutes: 5, target: 'Manager + Lead Engineer', condition: 'No response or P1/P2' }),
      t({ kind: 'escalate', afterMinutes: 15, target: 'Director', condition: 'Still unresolved' }),
    ];
    const p2 = planTimers({
      sectionTimers: [],
      documentTimers: doc,
      severity: 'P2',
      startedAt: START,
      defaults: DEFAULTS,
    });
    expect(p2.map((d) => [d.kind, d.afterMinutes, d.target, d.cancelOn])).toEqual([
      ['escalate', 5, 'Manager + Lead Engineer', 'resolve'], // "or P1/P2": pages a P2 even when acked
      ['acknowledge', 15, null, 'ack'],
      ['escalate', 15, 'Director', 'resolve'],
    ]);
    const p3 = planTimers({
      sectionTimers: [],
      documentTimers: doc,
      severity: 'P3',
      startedAt: START,
      defaults: DEFAULTS,
    });
    // No P3 ack in the runbook: the generic one applies; the "no response" page stops on ack for a P3.
    expect(p3.map((d) => [d.kind, d.afterMinutes, d.target, d.cancelOn])).toEqual([
      ['acknowledge', 5, 'Engineer On-Call', 'ack'],
      ['escalate', 5, 'Manager + Lead Engineer', 'ack'],
      ['escalate', 15, 'Director', 'resolve'],
    ]);
  });

  it('falls back to the document timers that match the severity', () => {
    const p1 = planTimers({ sectionTimers: [], documentTimers, severity: 'P1', startedAt: START, defaults: DEFAULTS });
    expect(p1.map((d) => [d.kind, d.afterMinutes, d.source])).toEqual([
      ['acknowledge', 5, 'document'],
      ['escalate', 15, 'default'],
      ['resolve', 60, 'document'],
    ]);
    const p3 = planTimers({ sectionTimers: [], documentTimers, severity: 'P3', startedAt: START, defaults: DEFAULTS });
    expect(p3.map((d) => d.afterMinutes)).toEqual([30, 240]);
  });

  it('falls back to configured defaults per severity when the runbook has no clock', () => {
    const p2 = planTimers({
      sectionTimers: [],
      documentTimers: [],
      severity: 'P2',
      startedAt: START,
      defaults: DEFAULTS,
    });
    expect(p2.map((d) => [d.kind, d.afterMinutes, d.source, d.cancelOn])).toEqual([
      ['acknowledge', 15, 'default', 'ack'],
      ['escalate', 30, 'default', 'resolve'],
    ]);
    // P2 document timers do not exist (only P1/P3), so a P2 incident gets defaults even with a document clock.
    const p2doc = planTimers({
      sectionTimers: [],
      documentTimers,
      severity: 'P2',
      startedAt: START,
      defaults: DEFAULTS,
    });
    expect(p2doc.every((d) => d.source === 'default')).toBe(true);
    expect(
      planTimers({ sectionTimers: [], documentTimers: [], severity: 'P4', startedAt: START, defaults: DEFAULTS }),
    ).toEqual([]);
  });

  it('lets the stricter clock win per kind unless the runbook overrides, with one update cadence', () => {
    const runbook = [
      t({ kind: 'acknowledge', afterMinutes: 15 }),
      t({ kind: 'escalate', afterMinutes: 10, target: 'Senior Engineer' }),
      t({ kind: 'update', afterMinutes: 30 }),
    ];
    const input = {
      sectionTimers: [],
      documentTimers: runbook,
      severity: 'P1' as const,
      startedAt: START,
      defaults: DEFAULTS,
      updateReminderMinutes: { P1: 15 },
    };
    const strict = planTimers(input);
    expect(strict.map((d) => [d.kind, d.afterMinutes, d.source, d.data.clock])).toEqual([
      ['acknowledge', 5, 'default', 'default-stricter'],
      ['escalate', 10, 'document', 'runbook-stricter'],
      ['reminder', 15, 'reminder', 'default-stricter'],
    ]);
    expect(strict[0]!.data.runbookMinutes).toBe(15);
    const override = planTimers({ ...input, runbookOverrides: true });
    expect(override.map((d) => [d.kind, d.afterMinutes, d.data.clock])).toEqual([
      ['escalate', 10, 'runbook-stricter'],
      ['acknowledge', 15, 'runbook-override'],
      ['reminder', 30, 'runbook-override'],
    ]);
  });

  it('turns later phases into phase reminders at their start and skips the immediate phase', () => {
    const phases = [
      t({ kind: 'phase', afterMinutes: 0, untilMinutes: 5, text: 'Immediate Actions (0-5 minutes)' }),
      t({ kind: 'phase', afterMinutes: 5, untilMinutes: 15, text: 'Short-term Actions (5-15 minutes)' }),
      t({ kind: 'phase', afterMinutes: 15, untilMinutes: 60, text: 'Medium-term Actions (15-60 minutes)' }),
    ];
    const drafts = planTimers({
      sectionTimers: [],
      documentTimers: phases,
      severity: 'P1',
      startedAt: START,
      defaults: DEFAULTS,
    });
    // Phases do not count as a clock of their own: the defaults still apply for ack/escalate.
    expect(drafts.map((d) => [d.kind, d.afterMinutes, d.source])).toEqual([
      ['acknowledge', 5, 'default'],
      ['phase', 5, 'document'],
      ['escalate', 15, 'default'],
      ['phase', 15, 'document'],
    ]);
    expect(drafts.find((d) => d.kind === 'phase')?.target).toBeNull();
    expect(drafts.find((d) => d.kind === 'phase')?.data).toMatchObject({ untilMinutes: 15 });
  });

  it('collapses duplicate timers and drops impossible minutes', () => {
    const drafts = planTimers({
      sectionTimers: [
        t({ kind: 'acknowledge', afterMinutes: 5 }),
        t({ kind: 'acknowledge', afterMinutes: 5, text: 'again' }),
        t({ kind: 'escalate', afterMinutes: 10 }),
        t({ kind: 'escalate', afterMinutes: 10, target: 'Senior Engineer' }),
        t({ kind: 'escalate', afterMinutes: Number.NaN }),
        t({ kind: 'escalate', afterMinutes: 1e9 }),
      ],
      documentTimers: [],
      severity: 'P1',
      startedAt: START,
      defaults: DEFAULTS,
    });
    expect(drafts.map((d) => [d.kind, d.afterMinutes, d.target])).toEqual([
      ['acknowledge', 5, null],
      ['escalate', 10, 'Senior Engineer'],
    ]);
  });

  it('adds the no-update reminder when a cadence is configured for the severity', () => {
    const drafts = planTimers({
      sectionTimers: [],
      documentTimers: [],
      severity: 'P1',
      startedAt: START,
      defaults: DEFAULTS,
      updateReminderMinutes: { P1: 15, P2: 30 },
    });
    const r = drafts.find((d) => d.kind === 'reminder');
    expect(r).toMatchObject({ source: 'reminder', cancelOn: 'resolve', data: { reminder: 'update' } });
    expect(r?.dueAt).toEqual(at(15));
  });
});

describe('the incident clock on a fake clock', () => {
  const plan = (severity: Severity) =>
    planTimers({
      sectionTimers: [t({ kind: 'acknowledge', afterMinutes: 5 }), ...sectionTimers],
      documentTimers,
      severity,
      startedAt: START,
      defaults: DEFAULTS,
    });

  it('fires every timer at its minute when nobody reacts', () => {
    const { fired } = simulate(plan('P1'), {}, 120);
    expect(fired.map((f) => [f.kind, f.minute])).toEqual([
      ['acknowledge', 5],
      ['escalate', 15],
      ['escalate', 30],
      ['declare', 30],
      ['resolve', 60],
    ]);
  });

  it('an ack stops the ack timer only; escalations keep running', () => {
    const { fired } = simulate(plan('P1'), { 3: 'ack' }, 120);
    expect(fired.map((f) => [f.kind, f.target, f.minute])).toEqual([
      ['escalate', 'Senior Engineer', 15],
      ['escalate', 'Engineering Lead', 30],
      ['declare', null, 30],
      ['resolve', null, 60],
    ]);
  });

  it('reaching identified stops the root-cause escalation but not the outage clock', () => {
    const { fired } = simulate(plan('P1'), { 10: { status: 'identified' } }, 120);
    expect(fired.map((f) => [f.kind, f.target, f.minute])).toEqual([
      ['acknowledge', null, 5],
      ['escalate', 'Engineering Lead', 30],
      ['declare', null, 30],
      ['resolve', null, 60],
    ]);
  });

  it('resolving stops everything still pending', () => {
    const { fired, pending } = simulate(plan('P1'), { 2: 'ack', 20: 'resolve' }, 600);
    expect(fired.map((f) => [f.kind, f.minute])).toEqual([['escalate', 15]]);
    expect(pending).toEqual([]);
  });
});

describe('parseDefaultTimers', () => {
  it('parses the shipped default', () => {
    expect(DEFAULTS.P1).toEqual([
      { kind: 'acknowledge', afterMinutes: 5, target: null },
      { kind: 'escalate', afterMinutes: 15, target: null },
    ]);
    expect(DEFAULTS.P3).toEqual([{ kind: 'acknowledge', afterMinutes: 60, target: null }]);
    expect(DEFAULTS.P4).toEqual([]);
  });

  it('accepts a target after @', () => {
    expect(parseDefaultTimers('p1=escalate:15@Senior Engineer').P1).toEqual([
      { kind: 'escalate', afterMinutes: 15, target: 'Senior Engineer' },
    ]);
  });

  it.each([
    ['P5=ack:5', /unknown severity "P5"/],
    ['P1=ack', /"ack"/],
    ['P1=poke:5', /unknown timer kind "poke"/],
    ['P1=ack:0', /between 1 and/],
    ['P1ack:5', /expected SEV=kind:minutes/],
    ['P1=ack:5;P1=ack:6', /P1 listed twice/],
  ])('rejects %s naming the bad part', (spec, msg) => {
    expect(() => parseDefaultTimers(spec)).toThrow(ValidationError);
    expect(() => parseDefaultTimers(spec)).toThrow(msg);
  });
});

describe('cancellation rules', () => {
  it('maps events to the cancel_on values they stop', () => {
    expect(cancelKinds('ack')).toEqual(['ack']);
    expect(cancelKinds('resolve')).toEqual(['ack', 'resolve', 'status:identified', 'status:monitoring']);
    expect(cancelKinds({ status: 'identified' })).toEqual(['ack', 'status:identified']);
    expect(cancelKinds({ status: 'monitoring' })).toEqual(['ack', 'status:identified', 'status:monitoring']);
    expect(cancelKinds({ status: 'investigating' })).toEqual([]);
    expect(cancelKinds('resolve')).not.toContain('never');
  });

  it('reads the status a runbook condition waits for', () => {
    expect(cancelOnFor('escalate', 'Root cause unclear after 15 minutes of investigation')).toBe('status:identified');
    expect(cancelOnFor('escalate', 'Error rate >20% for >10 minutes')).toBe('resolve');
    expect(cancelOnFor('escalate', 'impact not mitigated after 20 minutes')).toBe('status:monitoring');
    expect(cancelOnFor('acknowledge', null)).toBe('ack');
    expect(cancelOnFor('phase', null)).toBe('resolve');
    expect(cancelOnFor('escalate', 'No response')).toBe('ack');
    expect(cancelOnFor('escalate', 'No response or P1/P2', '', 'P1')).toBe('resolve');
    expect(cancelOnFor('escalate', 'No response or P1/P2', '', 'P3')).toBe('ack');
  });

  it('treats a timer as moot when the incident already did what it waits for', () => {
    expect(isMoot({ cancelOn: 'ack' }, { status: 'investigating', ackedAt: START })).toBe(true);
    expect(isMoot({ cancelOn: 'ack' }, { status: 'investigating', ackedAt: null })).toBe(false);
    expect(isMoot({ cancelOn: 'resolve' }, { status: 'resolved', ackedAt: null })).toBe(true);
    expect(isMoot({ cancelOn: 'status:identified' }, { status: 'monitoring', ackedAt: null })).toBe(true);
    expect(isMoot({ cancelOn: 'never' }, { status: 'resolved', ackedAt: START })).toBe(false);
    expect(isMoot({ cancelOn: 'resolve' }, null)).toBe(false);
  });
});

describe('reminders and countdown', () => {
  it('puts the update reminder N minutes after the last activity', () => {
    expect(updateReminderDue(at(7), 15)).toEqual(at(22));
  });

  it('formats the header countdown', () => {
    const esc = { kind: 'escalate', dueAt: at(15), target: 'Senior Engineer' };
    expect(formatCountdown(esc, at(8), '@sre-seniors')).toBe('escalates to @sre-seniors in 7 min');
    expect(formatCountdown(esc, at(14.5), '@sre-seniors')).toBe('escalates to @sre-seniors in 1 min');
    expect(formatCountdown(esc, at(16), '@sre-seniors')).toBe('escalates to @sre-seniors now');
    expect(formatCountdown({ kind: 'acknowledge', dueAt: at(5), target: null }, at(3))).toBe('ack deadline in 2 min');
    expect(formatCountdown({ kind: 'resolve', dueAt: at(90), target: null }, at(0))).toBe(
      'resolve deadline in 1 h 30 min',
    );
  });
});

// Timers parsed from the real runbooks, once the runbook engine exposes parseRunbook.
const SEEDS = '/work/shared/seeds';
const runbooksIndex = join(__dirname, '../../src/runbooks/parse.ts');
const seedFiles = existsSync(SEEDS) ? readdirSync(SEEDS).filter((f) => !f.startsWith('.')) : [];
const haveParser = existsSync(runbooksIndex);
if (!seedFiles.length) console.log(`seed runbooks absent (${SEEDS}): seed timer cases skipped`);
else if (!haveParser) console.log('src/runbooks/parse.ts not there yet: seed timer cases skipped');

describe.skipIf(!seedFiles.length || !haveParser)('timers parsed from each seed runbook', () => {
  it.each(seedFiles)(
    '%s: plans, fires in order and cancels on resolve for every section and severity',
    async (file) => {
      const mod = (await import(runbooksIndex)) as {
        parseRunbook: (
          text: string,
          source: string,
        ) => {
          timers: RunbookTimer[];
          runbooks: { id: string; timers: RunbookTimer[] }[];
        };
      };
      const doc = mod.parseRunbook(readFileSync(join(SEEDS, file), 'utf8'), file);
      const sections = doc.runbooks.length ? doc.runbooks : [{ id: '(none)', timers: [] }];
      for (const section of sections)
        for (const severity of ['P1', 'P2', 'P3', 'P4'] as const) {
          const drafts = planTimers({
            sectionTimers: section.timers,
            documentTimers: doc.timers,
            severity,
            startedAt: START,
            defaults: DEFAULTS,
          });
          for (const d of drafts) {
            TimerDraft.parse(d);
            expect(d.dueAt.getTime() - START.getTime()).toBe(d.afterMinutes * 60_000);
            expect(d.severity === null || d.severity === severity).toBe(true);
          }
          const horizon = Math.max(0, ...drafts.map((d) => d.afterMinutes)) + 1;
          const quiet = simulate(drafts, {}, horizon);
          expect(quiet.fired).toHaveLength(drafts.length);
          expect(quiet.fired.map((f) => f.minute)).toEqual([...quiet.fired.map((f) => f.minute)].sort((a, b) => a - b));
          // Resolved at minute 0 (before anything is due): nothing fires, nothing stays pending
          // except 'never' timers, which no plan produces.
          const resolved = simulate(
            drafts.filter((d) => d.afterMinutes > 0),
            { 0: 'resolve' },
            horizon,
          );
          expect(resolved.fired).toEqual([]);
          expect(resolved.pending).toEqual([]);
          // Acked at once: only acknowledge timers disappear.
          const acked = simulate(drafts, { 0: 'ack' }, horizon);
          expect(acked.fired.length).toBe(drafts.filter((d) => d.cancelOn !== 'ack' && d.afterMinutes >= 0).length);
        }
    },
  );
});

describe('planTimers properties', () => {
  const kinds = ['acknowledge', 'escalate', 'resolve', 'phase', 'update', 'declare'] as const;
  const timerArb = fc.record({
    afterMinutes: fc.oneof(fc.integer({ min: 0, max: 600 }), fc.constant(Number.NaN), fc.constant(1e7)),
    kind: fc.constantFrom(...kinds),
    target: fc.option(fc.constantFrom('Senior Engineer', 'Engineering Lead', 'VP Engineering'), { nil: null }),
    severity: fc.option(fc.constantFrom('P1', 'P2', 'P3', 'P4' as const), { nil: null }),
    condition: fc.option(fc.constantFrom('Root cause not identified', 'No response', 'Still unresolved'), {
      nil: null,
    }),
    text: fc.string({ maxLength: 20 }),
  });

  it('always yields valid, sorted, de-duplicated drafts for the incident severity only', () => {
    fc.assert(
      fc.property(
        fc.array(timerArb, { maxLength: 12 }),
        fc.array(timerArb, { maxLength: 12 }),
        fc.constantFrom('P1', 'P2', 'P3', 'P4' as const),
        (sectionTimers, documentTimers, severity) => {
          const drafts = planTimers({ sectionTimers, documentTimers, severity, startedAt: START, defaults: DEFAULTS });
          const keys = new Set<string>();
          for (const [i, d] of drafts.entries()) {
            TimerDraft.parse(d);
            expect(d.severity === null || d.severity === severity).toBe(true);
            expect(d.dueAt.getTime()).toBe(START.getTime() + d.afterMinutes * 60_000);
            if (i) expect(d.dueAt >= drafts[i - 1]!.dueAt).toBe(true);
            if (d.kind === 'phase') expect(d.afterMinutes).toBeGreaterThan(0);
            const key = `${d.kind}|${d.afterMinutes}|${d.cancelOn}|${d.target}`;
            expect(keys.has(key)).toBe(false);
            keys.add(key);
          }
          // Every kind the defaults cover for this severity is covered by the plan.
          for (const dflt of DEFAULTS[severity]) expect(drafts.some((d) => d.kind === dflt.kind)).toBe(true);
          // Resolving cancels everything planned.
          const stop = new Set<string>(cancelKinds('resolve'));
          expect(drafts.every((d) => stop.has(d.cancelOn))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
