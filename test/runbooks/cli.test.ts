import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerRunbooksCommand } from '../../src/cli/runbooks.js';

/** Runs `incident-bot runbooks …` in-process and captures stdout, stderr and the exit code. */
async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const so = vi.spyOn(process.stdout, 'write').mockImplementation((s) => out.push(String(s)) > 0);
  const se = vi.spyOn(process.stderr, 'write').mockImplementation((s) => err.push(String(s)) > 0);
  process.exitCode = undefined;
  const program = new Command('incident-bot').exitOverride();
  registerRunbooksCommand(program);
  try {
    await program.parseAsync(['node', 'incident-bot', 'runbooks', ...args]);
  } finally {
    so.mockRestore();
    se.mockRestore();
  }
  const code = process.exitCode ?? 0;
  process.exitCode = undefined;
  return { stdout: out.join(''), stderr: err.join(''), code };
}

describe('incident-bot runbooks', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'runbooks-cli-'));
    await writeFile(
      path.join(dir, 'api.md'),
      '# API\n\n## HighApiErrorRate\n\n**Severity**: critical\n\n```bash\nkubectl get pods -n api\n```\n',
    );
    await writeFile(path.join(dir, 'p1.md'), '# Policy\n\n### P1: Outage\n\n**Response SLA**: 5 minutes\n');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  afterEach(() => vi.restoreAllMocks());

  it('inspect --json prints the document shape', async () => {
    const r = await cli('inspect', path.join(dir, 'api.md'), '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual(
      expect.arrayContaining(['source', 'title', 'runbooks', 'timers', 'commands', 'templates', 'warnings']),
    );
    expect(doc.source).toBe('api.md');
    expect(doc.runbooks[0]).toMatchObject({
      id: 'highapierrorrate',
      alerts: ['HighApiErrorRate'],
      // The runbook's own word; the bot's P1..P4 is `priority` (issue #15, item 8).
      severity: 'critical',
      priority: 'P1',
      line: 3,
    });
    expect(doc.runbooks[0].commands[0]).toMatchObject({
      text: 'kubectl get pods -n api',
      line: 8,
      executor: 'kubernetes',
      risk: 'read',
      runnable: true,
      placeholders: [],
    });
    expect(doc.templates).toEqual({ communication: null, postIncident: null });
  });

  it('inspect reports a missing file on stderr with a non-zero exit', async () => {
    const r = await cli('inspect', path.join(dir, 'nope.md'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: cannot read .*nope\.md: no such file/);
    expect(r.stdout).toBe('');
  });

  it('match --json finds the section ignoring case and separators', async () => {
    const r = await cli('match', 'high_api_error_rate', '--dir', dir, '--json');
    expect(JSON.parse(r.stdout)).toEqual({
      alert: 'high_api_error_rate',
      match: expect.objectContaining({
        source: 'api.md',
        runbookId: 'highapierrorrate',
        title: 'HighApiErrorRate',
        alerts: ['HighApiErrorRate'],
      }),
    });
  });

  it('match falls back to the severity runbook and prints null when nothing matches', async () => {
    const sev = await cli('match', 'Unknown', '--label', 'severity=critical', '--dir', dir, '--json');
    expect(JSON.parse(sev.stdout).match).toMatchObject({ source: 'p1.md', runbookId: 'p1-outage' });
    const none = await cli('match', 'Unknown', '--dir', dir, '--json');
    expect(JSON.parse(none.stdout)).toEqual({ alert: 'Unknown', match: null });
    expect(none.code).toBe(0);
  });

  it('match uses RUNBOOKS_DIR and rejects malformed labels', async () => {
    vi.stubEnv('RUNBOOKS_DIR', dir);
    try {
      expect(JSON.parse((await cli('match', 'HighApiErrorRate', '--json')).stdout).match.source).toBe('api.md');
    } finally {
      vi.unstubAllEnvs();
    }
    const bad = await cli('match', 'X', '--label', 'severity', '--dir', dir);
    expect(bad).toMatchObject({ code: 2, stderr: 'error: --label expects key=value, got "severity"\n' });
  });

  it('lint prints file:line warnings and exits 1 only on errors', async () => {
    const ok = await cli('lint', dir);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`${path.join(dir, 'p1.md')}:3: warning: Section "P1: Outage" names no alert`);
    await writeFile(path.join(dir, 'dup.md'), '## HighApiErrorRate\n**Severity**: high\n');
    const dup = await cli('lint', dir);
    expect(dup.code).toBe(1);
    expect(dup.stdout).toMatch(/dup\.md:1: error: Alert "HighApiErrorRate" is also handled by .*api\.md:3/);
    await rm(path.join(dir, 'dup.md'));
  });
});
