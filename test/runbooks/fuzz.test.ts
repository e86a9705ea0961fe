import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyCommand } from '../../src/runbooks/classify.js';
import { parseRunbook } from '../../src/runbooks/parse.js';
import { RunbookDocument } from '../../src/runbooks/schema.js';

/** Markdown-ish lines: the constructs the parser reacts to, mixed with arbitrary text. */
const word = fc.constantFrom(
  'kubectl',
  'get',
  'pods',
  'SELECT',
  '*',
  'FROM',
  'x;',
  'redis-cli',
  'FLUSHDB',
  'within',
  '5',
  'minutes',
  'Escalate',
  'to',
  'Lead',
  'if',
  'P1',
  'critical',
  'alert:',
  'HighCPU',
  '<pod>',
  '$VAR',
  '"',
  "'",
  '\\',
  '|',
  '$(',
  ')',
  '<<EOF',
  'EOF',
  'for',
  'do',
  'done',
  'ðŸš¨',
  'â†“',
  '(0-5 minutes)',
  'Level',
  '1',
);
const prose = fc.array(fc.oneof(word, fc.string({ maxLength: 12 })), { maxLength: 10 }).map((ws) => ws.join(' '));
const line = fc.oneof(
  prose,
  prose.map((t) => `## ${t}`),
  prose.map((t) => `### P${t.length % 5}: ${t}`),
  prose.map((t) => `- **Alert Name**: ${t}`),
  prose.map((t) => `**${t}**:`),
  prose.map((t) => `1. ${t}`),
  prose.map((t) => `| ${t} | ${t} |`),
  fc.constantFrom('```bash', '```', '```yaml', '```sql', '~~~', '---', '', '- **Severity**: warning', 'alert: FooBar'),
  prose.map((t) => `\`${t}\``),
);
const markdown = fc.array(line, { maxLength: 60 }).map((ls) => ls.join('\n'));

describe('parser robustness (property)', () => {
  it('never throws and always returns a valid, JSON-serialisable document', () => {
    fc.assert(
      fc.property(
        fc.oneof(markdown, fc.string({ maxLength: 400 }), fc.string({ unit: 'grapheme', maxLength: 200 })),
        (text) => {
          const doc = parseRunbook(text, 'fuzz.md');
          expect(() => RunbookDocument.parse(doc)).not.toThrow();
          expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
          expect(doc.warnings.some((w) => w.code === 'internal')).toBe(false);
          const lines = text.split(/\r\n|\r|\n/).length;
          for (const c of [...doc.commands, ...doc.runbooks.flatMap((r) => r.commands)]) {
            expect(c.line).toBeGreaterThanOrEqual(1);
            expect(c.line).toBeLessThanOrEqual(lines);
            if (c.risk === 'exec' || c.risk === 'destructive') expect(c.runnable).toBe(false);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps command ids unique within a document', () => {
    fc.assert(
      fc.property(markdown, (text) => {
        const doc = parseRunbook(text, 'fuzz.md');
        const ids = [...doc.commands, ...doc.runbooks.flatMap((r) => r.commands)].map((c) => c.id);
        expect(new Set(ids).size).toBe(ids.length);
      }),
      { numRuns: 200 },
    );
  });

  it('classifies any string without throwing, never marking exec or destructive runnable', () => {
    fc.assert(
      fc.property(fc.oneof(prose, fc.string({ maxLength: 200 })), (text) => {
        const c = classifyCommand(text);
        if (c.risk === 'exec' || c.risk === 'destructive') expect(c.runnable).toBe(false);
        expect(c.reason.length).toBeGreaterThan(10);
      }),
      { numRuns: 500 },
    );
  });
});

/** Shell-ish text: words, operators, quotes, prompts, substitutions and here-documents in any order. */
const shellToken = fc.constantFrom(
  'kubectl',
  'get',
  'delete',
  'pods',
  '-n',
  'shop',
  'redis-cli',
  'MEMORY',
  'PURGE',
  'psql',
  '-c',
  '"SELECT pg_terminate_backend(1)"',
  'helm',
  'uninstall',
  'docker',
  'compose',
  'down',
  'etcdctl',
  'del',
  '$ ',
  '# ',
  'db=# ',
  'redis> ',
  'mysql> ',
  'user@host:~$ ',
  '|',
  '||',
  '&&',
  ';',
  '&',
  '>',
  '2>&1',
  '<',
  '<<EOF',
  'EOF',
  '$(',
  ')',
  '`',
  "'",
  '"',
  '\\',
  '(',
  '{',
  '}',
  'for',
  'do',
  'done',
  'if',
  'then',
  'fi',
  '<pod-name>',
  `$${'{'}NS}`,
  '\n',
);
const shell = fc.array(fc.oneof(shellToken, fc.string({ maxLength: 6 })), { maxLength: 40 }).map((t) => t.join(' '));
const fenceLang = fc.constantFrom('', 'bash', 'console', 'text', 'sql', 'redis', 'python', 'shell-session', 'promql');

describe('shell robustness (property)', () => {
  it('random shell in any fence never throws, and nothing that writes is runnable as a read', () => {
    fc.assert(
      fc.property(fenceLang, shell, (lang, body) => {
        const doc = parseRunbook(`# FuzzAlert\n\n## Diagnosis\n\n\`\`\`${lang}\n${body}\n\`\`\`\n`, 'fuzz.md');
        expect(doc.warnings.some((w) => w.code === 'internal')).toBe(false);
        for (const c of [...doc.commands, ...doc.runbooks.flatMap((r) => r.commands)]) {
          if (c.risk !== 'read' && c.risk !== 'write') expect(c.runnable).toBe(false);
          // A write or destructive verb of a known tool never runs as a read.
          const writes =
            (c.executor === 'kubernetes' && /^(kubectl|oc)\s+delete\b|^helm\s+uninstall\b/.test(c.text)) ||
            (c.executor === 'postgres' && /pg_terminate_backend/.test(c.query ?? c.text)) ||
            (c.executor === 'redis' && /^(redis-cli\s+)?(MEMORY\s+PURGE|FLUSHDB)\b/i.test(c.text));
          if (c.runnable && writes) expect(c.risk).not.toBe('read');
        }
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 400) },
    );
  });

  it('classifies random shell without throwing', () => {
    fc.assert(
      fc.property(shell, (text) => {
        const c = classifyCommand(text);
        expect(c.reason.length).toBeGreaterThan(10);
      }),
      { numRuns: 400 },
    );
  });

  it('long runs of Markdown and shell metacharacters parse without error', () => {
    for (const ch of ['[', '`', '|', '*', '_', '<', '$(', '"', "'", '\\', '> ', '- ', '#']) {
      const line = ch.repeat(Math.ceil(20_000 / ch.length));
      for (const text of [
        line,
        `# X\n\n${line}`,
        `# X\n\n\`\`\`bash\n${line}\n\`\`\`\n`,
        `| a | b |\n|---|---|\n| ${line} | x |`,
      ]) {
        const doc = parseRunbook(text, 'long.md');
        expect(doc.warnings.some((w) => w.code === 'internal')).toBe(false);
      }
    }
  });
});
