import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadRunbooks } from '../../src/runbooks/load.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('the runbooks shipped in runbooks/', () => {
  it('declare themselves in front matter and lint without warnings', async () => {
    const lib = await loadRunbooks(path.join(repoRoot, 'runbooks'));
    expect(lib.documents.length).toBeGreaterThanOrEqual(3);
    expect(lib.warnings).toEqual([]);
    for (const doc of lib.documents) {
      expect(doc.frontMatter, doc.source).toBe(true);
      expect(doc.warnings, doc.source).toEqual([]);
      for (const s of doc.runbooks) {
        expect(s.alerts.length, `${doc.source}#${s.id}`).toBeGreaterThan(0);
        expect(s.severity, `${doc.source}#${s.id}`).not.toBeNull();
        expect(s.steps.length, `${doc.source}#${s.id}`).toBeGreaterThan(0);
      }
    }
  });

  it('match the alerts they were written for', async () => {
    const lib = await loadRunbooks(path.join(repoRoot, 'runbooks'));
    expect(lib.match('KubePodCrashLooping')?.document.source).toBe('kube-pod-crashlooping.md');
    expect(lib.match('postgres_down')?.document.source).toBe('postgres-down.md');
    expect(lib.match('IncidentBotOutboxBacklog')?.section.id).toBe('incidentbotoutboxbacklog');
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
