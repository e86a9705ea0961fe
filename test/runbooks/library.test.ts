import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/errors.js';
import { loadRunbookPaths, loadRunbooks } from '../../src/runbooks/load.js';
import { createLibrary, normalizeAlertName } from '../../src/runbooks/match.js';
import { parseRunbook } from '../../src/runbooks/parse.js';

const API = `# API errors

## HighApiErrorRate

**Severity**: critical

Too many 5xx responses.

1. Check logs: \`kubectl logs deploy/api -n prod --tail=100\`
2. Roll back: \`kubectl rollout undo deployment/api -n prod\`

## ApiLatencyHigh

**Severity**: warning

\`\`\`bash
kubectl top pods -n prod
\`\`\`
`;

const SEVERITY = `# Severity procedures

### P1: Anything critical

**Response SLA**: 5 minutes

1. **Declare** the incident.

### P3: Anything minor

1. **Look** at the dashboards.
`;

describe('matching', () => {
  const lib = createLibrary([parseRunbook(API, 'api.md'), parseRunbook(SEVERITY, 'severity.md')]);

  it('ignores case and separators in alert names', () => {
    expect(normalizeAlertName('High-API_error rate')).toBe('highapierrorrate');
    for (const name of ['HighApiErrorRate', 'high_api_error_rate', 'high-api-error-rate']) {
      expect(lib.match(name)).toMatchObject({
        by: 'alert',
        section: { id: 'highapierrorrate' },
        document: { source: 'api.md' },
      });
    }
  });

  it('prefers a runbook_url annotation that names a loaded file, using its anchor', () => {
    const m = lib.match(
      'HighApiErrorRate',
      {},
      { runbook_url: 'https://git.example.com/ops/runbooks/api.md#apilatencyhigh' },
    );
    expect(m).toMatchObject({ by: 'runbook_url', section: { id: 'apilatencyhigh' } });
    expect(lib.match('HighApiErrorRate', {}, { runbook_url: 'https://wiki.example.com/other.md' })?.by).toBe('alert');
  });

  it('falls back to a severity procedure when no alert name matches', () => {
    expect(lib.match('NeverHeardOf', { severity: 'critical' })).toMatchObject({
      by: 'severity',
      section: { severity: 'P1' },
    });
    expect(lib.match('NeverHeardOf', { severity: 'warning' })).toMatchObject({ section: { id: 'p3-anything-minor' } });
    expect(lib.match('NeverHeardOf', { severity: 'info' })).toBeNull();
    expect(lib.match('NeverHeardOf')).toBeNull();
  });

  it('finds severity procedures, sections and commands by id', () => {
    expect(lib.bySeverity('P1')?.section.title).toBe('P1: Anything critical');
    expect(lib.allBySeverity('P3')).toHaveLength(1);
    expect(lib.section('api.md', 'apilatencyhigh')?.section.alerts).toEqual(['ApiLatencyHigh']);
    expect(lib.section('api.md', 'nope')).toBeNull();
    const sec = lib.section('api.md', 'highapierrorrate')!.section;
    const undo = sec.commands.find((c) => c.text.startsWith('kubectl rollout undo'))!;
    expect(lib.command('api.md', undo.id)).toMatchObject({
      command: { risk: 'write' },
      section: { id: 'highapierrorrate' },
    });
    expect(lib.command('api.md', 'highapierrorrate:999')).toBeNull();
  });

  it('gives each step its commands in order', () => {
    const sec = lib.section('api.md', 'highapierrorrate')!.section;
    expect(sec.steps.map((s) => [s.title, s.commands.map((c) => c.risk)])).toEqual([
      ['Check logs', ['read']],
      ['Roll back', ['write']],
    ]);
    expect(sec.summary).toBe('Too many 5xx responses.');
  });
});

describe('loading a directory', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'runbooks-'));
    await mkdir(path.join(dir, 'team'));
    await writeFile(path.join(dir, 'api.md'), API);
    await writeFile(path.join(dir, 'team', 'copy.md'), API.replace('# API errors', '# Copy'));
    await writeFile(path.join(dir, 'notes.json'), '{}');
    await writeFile(path.join(dir, 'README.md'), '# not a runbook');
    await mkdir(path.join(dir, 'broken.md')); // a directory named like a file is skipped, not fatal
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads runbooks recursively, with sources relative to the directory', async () => {
    const lib = await loadRunbooks(dir);
    expect(lib.documents.map((d) => d.source)).toEqual(['api.md', 'team/copy.md']);
    expect(lib.match('ApiLatencyHigh')?.document.source).toBe('api.md');
  });

  it('reports alert names handled by two files as errors', async () => {
    const lib = await loadRunbooks(dir);
    expect(lib.warnings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ source: 'team/copy.md', code: 'duplicate-alert', level: 'error' }),
      ]),
    );
  });

  it('throws a user-facing error only when the directory is missing', async () => {
    await expect(loadRunbooks(path.join(dir, 'nope'))).rejects.toBeInstanceOf(NotFoundError);
  });

  it('records unreadable paths as warnings instead of failing', async () => {
    const loaded = await loadRunbookPaths([path.join(dir, 'api.md'), path.join(dir, 'missing.md')]);
    expect(loaded.documents).toHaveLength(1);
    expect(loaded.warnings).toEqual([expect.objectContaining({ code: 'read-error', level: 'error' })]);
  });
});

describe('front matter overrides', () => {
  it('makes the file one runbook with the declared alerts, severity and timers', () => {
    const doc = parseRunbook(
      '---\nalerts: [DiskFull]\nseverity: P2\ntimers:\n  - { after: 10m, kind: escalate, target: Storage }\n---\n# Disk full\n\n## Check\n\n```bash\ndf -h\n```\n\nEscalate to DBA within 99 minutes.\n',
      'disk.md',
    );
    expect(doc.frontMatter).toBe(true);
    expect(doc.runbooks).toHaveLength(1);
    expect(doc.runbooks[0]).toMatchObject({ alerts: ['DiskFull'], severity: 'P2', title: 'Disk full', line: 7 });
    expect(doc.runbooks[0]!.timers).toEqual([
      expect.objectContaining({ kind: 'escalate', afterMinutes: 10, target: 'Storage', line: 5 }),
    ]);
    expect(doc.runbooks[0]!.steps.map((s) => s.title)).toEqual(['Check']);
  });

  it('declares sections by heading anchor in a multi-section file', () => {
    const doc = parseRunbook(
      '---\nrunbooks:\n  - { id: slow-things, alerts: [SlowThing], severity: info }\n---\n# Ops\n## Slow things\nLook around.\n',
      'ops.md',
    );
    expect(doc.runbooks).toEqual([
      expect.objectContaining({ id: 'slow-things', alerts: ['SlowThing'], severity: 'P4' }),
    ]);
    const bad = parseRunbook('---\nrunbooks:\n  - { id: nowhere, alerts: [X] }\n---\n# Ops\n', 'ops.md');
    expect(bad.warnings).toEqual(
      expect.arrayContaining([expect.objectContaining({ code: 'front-matter', level: 'error', line: 3 })]),
    );
  });

  it('falls back to the heuristics when front matter is invalid', () => {
    const doc = parseRunbook('---\nseverity: [oops\n---\n## FooDown\n**Severity**: high\n', 'x.md');
    expect(doc.frontMatter).toBe(false);
    expect(doc.runbooks[0]).toMatchObject({ alerts: ['FooDown'], severity: 'P2' });
    expect(doc.warnings[0]).toMatchObject({ level: 'error', code: 'front-matter' });
  });
});

describe('lint warnings', () => {
  it('reports sections without alerts, unknown commands and unclosed fences with lines', () => {
    const doc = parseRunbook(
      '## Runbook: Mystery\n\n```bash\nfrobnicate --all\n```\n\n```bash\nkubectl get pods\n',
      'm.md',
    );
    expect(doc.warnings.map((w) => [w.code, w.line])).toEqual([
      ['no-alerts', 1],
      ['unknown-executor', 4],
      ['unclosed-fence', 7],
    ]);
  });
  it('reports a document with no runbook section', () => {
    expect(parseRunbook('# Notes\n\nNothing here.', 'n.md').warnings).toEqual([
      expect.objectContaining({ code: 'no-sections' }),
    ]);
  });
});
