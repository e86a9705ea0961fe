import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunbookPaths, MAX_RUNBOOK_BYTES } from '../../src/runbooks/load.js';

describe('runbook files are bounded before they are read', () => {
  it('a file over the limit becomes a warning naming the file; the others still load', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ib-rb-big-'));
    writeFileSync(join(dir, 'ok.md'), '---\ntitle: Ok\nalerts: [Ok]\n---\n# Ok\n\n```bash\nkubectl get pods\n```\n');
    writeFileSync(join(dir, 'huge.md'), `# Huge\n\n${'x'.repeat(MAX_RUNBOOK_BYTES + 10)}\n`);
    const r = await loadRunbookPaths([dir]);
    expect(r.documents.map((d) => d.source)).toEqual([join(dir, 'ok.md')]);
    const w = r.warnings.find((x) => x.source.endsWith('huge.md'));
    expect(w?.code).toBe('read-error');
    expect(w?.message).toMatch(/runbooks are read up to 1024 KiB/);
    rmSync(dir, { recursive: true, force: true });
  });
});
