import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { unmappedTargets } from '../../src/cli/runbooks.js';
import { loadConfig } from '../../src/config.js';
import { loadRunbooks } from '../../src/runbooks/load.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('the runbooks shipped in runbooks/', () => {
  it('declare themselves in front matter and lint without warnings', async () => {
    const lib = await loadRunbooks(path.join(repoRoot, 'runbooks'));
    expect(lib.documents.length).toBeGreaterThanOrEqual(3);
    expect(lib.warnings).toEqual([]);
    for (const doc of lib.documents) {
      expect(doc.frontMatter, doc.source).toBe(true);
      // A severity fallback names no alert on purpose; that is the only warning a shipped runbook may carry.
      const fallbacks = new Set(doc.runbooks.filter((s) => s.kind === 'severity').map((s) => s.line));
      const warnings = doc.warnings.filter((w) => !(w.code === 'no-alerts' && fallbacks.has(w.line)));
      expect(warnings, doc.source).toEqual([]);
      for (const s of doc.runbooks) {
        if (s.kind !== 'severity') expect(s.alerts.length, `${doc.source}#${s.id}`).toBeGreaterThan(0);
        expect(s.severity, `${doc.source}#${s.id}`).not.toBeNull();
        expect(s.steps.length, `${doc.source}#${s.id}`).toBeGreaterThan(0);
      }
    }
  });

  it('escalate only to targets the default ESCALATION_TARGETS maps, so a first start warns of nothing', async () => {
    const lib = await loadRunbooks(path.join(repoRoot, 'runbooks'));
    expect(unmappedTargets(lib.documents, loadConfig({}).ESCALATION_TARGETS)).toEqual([]);
  });

  it('match the alerts they were written for', async () => {
    const lib = await loadRunbooks(path.join(repoRoot, 'runbooks'));
    expect(lib.match('KubePodCrashLooping')?.document.source).toBe('kube-pod-crashlooping.md');
    expect(lib.match('postgres_down')?.document.source).toBe('postgres-down.md');
    expect(lib.match('IncidentBotOutboxBacklog')?.section.id).toBe('incidentbotoutboxbacklog');
  });

  it('fall back to the general triage procedure for a P1 or P2 that no runbook names', async () => {
    const lib = await loadRunbooks(path.join(repoRoot, 'runbooks'));
    for (const sev of ['P1', 'P2'] as const) {
      const hit = lib.bySeverity(sev);
      expect(hit?.document.source, sev).toBe('general-triage.md');
      expect(hit?.section.title, sev).toMatch(/general triage/i);
      expect(hit?.section.commands.filter((c) => c.risk === 'read').length, sev).toBeGreaterThanOrEqual(3);
      expect(
        hit?.section.commands.every((c) => c.risk === 'read'),
        sev,
      ).toBe(true);
      expect(
        hit?.section.timers.map((t) => t.kind),
        sev,
      ).toContain('acknowledge');
    }
    expect(lib.match('SomethingNobodyWroteARunbookFor', { severity: 'critical' })?.document.source).toBe(
      'general-triage.md',
    );
    expect(lib.bySeverity('P4')).toBeNull();
  });

  it('only ask the bot to change things after read-only checks, and never exec or delete', async () => {
    const lib = await loadRunbooks(path.join(repoRoot, 'runbooks'));
    for (const doc of lib.documents) {
      for (const s of doc.runbooks) {
        const risks = s.commands.map((c) => c.risk);
        expect(risks, `${doc.source}#${s.id}`).not.toContain('exec');
        expect(risks, `${doc.source}#${s.id}`).not.toContain('destructive');
        expect(risks[0], `${doc.source}#${s.id} starts with a read`).toBe('read');
      }
    }
  });
});
