import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createLibrary } from '../../src/runbooks/match.js';
import { parseRunbook } from '../../src/runbooks/parse.js';
import {
  type Command,
  type RunbookDocument,
  RunbookDocument as RunbookDocumentSchema,
} from '../../src/runbooks/schema.js';

/**
 * Public runbooks as other teams wrote them (../shared/wild-corpus, read-only, skipped when absent): what an
 * on-call engineer reading each file would see. Only facts are asserted (alert names, severities, clocks, risks);
 * none of their text is copied here.
 */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const wildDir = path.resolve(repoRoot, '../shared/wild-corpus');
const seedsDir = path.resolve(repoRoot, '../shared/seeds');
const present = existsSync(wildDir);
if (!present) console.warn(`[runbooks wild golden] skipped: public runbooks not found at ${wildDir}`);

const load = (file: string): RunbookDocument => parseRunbook(readFileSync(path.join(wildDir, file), 'utf8'), file);
const commands = (doc: RunbookDocument): Command[] => [...doc.commands, ...doc.runbooks.flatMap((r) => r.commands)];
const timers = (doc: RunbookDocument) => [...doc.timers, ...doc.runbooks.flatMap((r) => r.timers)];

describe.skipIf(!present)('public runbooks (golden)', () => {
  it('one alert per file (kube-prometheus layout): one alert runbook with its diagnosis commands', () => {
    const doc = load('po-kubepodcrashlooping.md');
    expect(doc.runbooks).toHaveLength(1);
    const r = doc.runbooks[0]!;
    expect(r.alerts).toEqual(['KubePodCrashLooping']);
    expect(r.kind).toBe('alert');
    expect(r.summary).toMatch(/CrashLoop/i);
    expect(r.commands.map((c) => c.text.split(' ')[0])).toEqual(['kubectl', 'kubectl', 'kubectl']);
    expect(r.commands.every((c) => c.risk === 'read' && c.runnable)).toBe(true);
    expect(r.commands.flatMap((c) => c.placeholders)).toEqual(expect.arrayContaining(['$NAMESPACE', '$POD']));
    expect(timers(doc)).toEqual([]);
    expect(doc.warnings.map((w) => w.code)).not.toContain('no-sections');
    // The runbook_url of the alert (last path segment = the alert name) finds it.
    const lib = createLibrary([{ ...doc, source: 'KubePodCrashLooping.md' }]);
    expect(
      lib.match('KubePodCrashLooping', {}, { runbook_url: 'https://runbooks.example/kubernetes/kubepodcrashlooping' })
        ?.by,
    ).toBe('runbook_url');
  });

  it('alert names in labelled headings: one runbook per alert, each with the severity of its bullets', () => {
    const doc = load('k8smixin-runbook.md');
    const by = (a: string) => doc.runbooks.filter((r) => r.alerts.includes(a));
    expect(doc.runbooks.length).toBeGreaterThanOrEqual(25);
    expect(by('KubeAPIDown')[0]).toMatchObject({ severity: 'P1', severityText: 'critical' });
    expect(by('KubePodCrashLooping')).toHaveLength(1);
    // Group headings are not alerts.
    expect(doc.runbooks.some((r) => r.alerts.some((a) => /^kubernetes-/.test(a)))).toBe(false);
    // An alert defined twice with different severities shows both, and lint flags the duplicate.
    const twice = by('KubeAPIErrorsHigh');
    expect(new Set(twice.map((r) => r.severity)).size).toBe(2);
    // Rules of one name rated the same twice (two conditions) are a warning naming both lines, never an error:
    // the first section answers.
    const dups = doc.warnings.filter((w) => w.code === 'duplicate-alert');
    expect(dups.length).toBeGreaterThan(0);
    for (const w of dups) {
      expect(w.level).toBe('warning');
      expect(w.message).toMatch(
        /line \d+ \(".+"\) and line \d+; an alert of that name is matched to line \d+, the first/,
      );
    }
    expect(doc.warnings.filter((w) => w.level === 'error')).toEqual([]);
    const lib = createLibrary([doc]);
    for (const w of dups) {
      const name = /^Alert "([^"]+)"/.exec(w.message)![1]!;
      const firstLine = Number(/matched to line (\d+)/.exec(w.message)![1]);
      expect(lib.match(name, { severity: 'warning' })?.section.line).toBe(firstLine);
    }
    expect(doc.runbooks.every((r) => r.summary)).toBe(true);
    expect(timers(doc)).toEqual([]);
  });

  it('a table of alert rules: one runbook per row with its own severity; conditions are not commands', () => {
    const doc = load('sprint5-redis-alerting.md');
    const rows = doc.runbooks.filter((r) => r.condition);
    expect(rows.length).toBe(10);
    expect(new Set(rows.map((r) => r.severity))).toEqual(new Set(['P1', 'P3']));
    expect(rows.find((r) => r.alerts.includes('RedisInstanceDown'))?.severity).toBe('P1');
    expect(rows.find((r) => r.alerts.includes('RedisEvictedKeys'))?.severity).toBe('P3');
    for (const r of rows) expect(r.commands).toEqual([]);
    // The escalation table by elapsed time is the response clock.
    const esc = timers(doc).filter((t) => t.kind === 'escalate');
    expect(esc.map((t) => t.afterMinutes)).toEqual([10, 30]);
    expect(esc.every((t) => t.target)).toBe(true);
  });

  it('a communications guideline: no alert runbook, the update cadence as its clock', () => {
    const doc = load('pd-external-comms.md');
    expect(doc.runbooks.filter((r) => r.alerts.length)).toEqual([]);
    expect(timers(doc).map((t) => [t.kind, t.afterMinutes])).toEqual(expect.arrayContaining([['update', 20]]));
    expect(timers(doc).every((t) => t.kind === 'update' || t.kind === 'acknowledge')).toBe(true);
  });

  it('a long procedure runbook: severity as written, resolution SLA, phases, docker/compose commands by verb', () => {
    const doc = load('hotelero-redis-conn.md');
    expect(doc.runbooks).toHaveLength(1);
    const r = doc.runbooks[0]!;
    expect(r.kind).toBe('procedure');
    expect(r.severity).toBe('P3');
    expect(r.severityText).toMatch(/^medium$/i);
    expect(r.timers.map((t) => [t.kind, t.afterMinutes])).toEqual(
      expect.arrayContaining([
        ['resolve', 30],
        ['phase', 0],
        ['phase', 5],
      ]),
    );
    const compose = r.commands.filter((c) => c.text.startsWith('docker-compose'));
    expect(compose.length).toBeGreaterThan(0);
    expect(compose.every((c) => c.risk === 'write' && !c.runnable)).toBe(true);
    expect(doc.warnings.map((w) => w.code)).not.toContain('unknown-executor');
    expect(doc.templates.communication).not.toBeNull();
  });

  it('every public and seed runbook: valid document, and no write or destructive command is runnable as a read', () => {
    const dirs = [wildDir, ...(existsSync(seedsDir) ? [seedsDir] : [])];
    for (const dir of dirs) {
      for (const f of readdirSync(dir).filter((x) => !/^readme/i.test(x))) {
        const doc = parseRunbook(readFileSync(path.join(dir, f), 'utf8'), f);
        expect(() => RunbookDocumentSchema.parse(doc)).not.toThrow();
        for (const c of commands(doc)) {
          if (c.runnable && c.risk === 'read') {
            expect(c.text, `${f}:${c.line}`).not.toMatch(
              /\b(delete|drop|truncate|flushall|flushdb|rm -|terminate|cancel_backend|uninstall|restart|scale|patch|apply)\b/i,
            );
          }
        }
      }
    }
  });
});
