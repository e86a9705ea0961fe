import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPlainCommand, parseShell, plainPipeline } from '../../src/runbooks/shell.js';
import { parseShellSyntax } from '../../src/runbooks/shell-syntax.js';

/**
 * parseShell skips the (slow) real shell parser for plain commands and plain pipelines. Those fast paths must give
 * exactly what the parser gives, or the classifier would read a command differently depending on the path taken.
 */
function viaParser(text: string) {
  const r = parseShellSyntax(text);
  if (!r.ok) return null;
  const { commands, operators, substitutions, heredoc } = r.syntax;
  return { commands, operators, substitutions, heredoc };
}

const word = fc.constantFrom(
  'kubectl',
  'logs',
  '-n',
  'shop',
  'deploy/svc-1',
  '--tail=200',
  'grep',
  '-i',
  'error',
  '<pod-name>',
  '$NS',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, as runbooks write it.
  '${NS}',
  '"a|b"',
  "'x && y'",
  '"two words"',
  'A=1',
  'wc',
  '-l',
  '|',
  '||',
  '&&',
  '&',
  '|&',
  '!',
  'time',
  '{',
  '}',
  '#',
  'a#b',
  '~/x',
  '*.log',
  '{a,b}',
  '[x]',
  ';',
  '>',
  '2>&1',
  '$(date)',
  '`id`',
  '"$(id)"',
  'a\\ b',
  '\n',
);

describe('shell fast paths agree with the parser', () => {
  it('on the pipelines runbooks are full of', () => {
    for (const text of [
      'kubectl logs -n team-1 deploy/svc-1 --tail=200 | grep -i error',
      'kubectl get pods -A | grep -v Running | wc -l',
      'pg_isready -h db && psql -c "SELECT 1"',
      'kubectl get pod <pod-name> -o yaml | grep "a|b"',
      "curl -s 'http://x/api?a=1&b=2' | jq .",
    ]) {
      const fast = plainPipeline(text);
      expect(fast, text).not.toBeNull();
      expect(fast).toEqual(viaParser(text));
    }
  });

  it('hands everything else to the parser', () => {
    for (const text of ['a | b && c', 'a |& b', 'a & b', 'a |', 'a | b > out', 'a | $(b)', 'a ||', '"a | b']) {
      expect(plainPipeline(text), text).toBeNull();
    }
  });

  it('on random command lines', () => {
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 9 }), (words) => {
        const text = words.join(' ');
        const parsed = viaParser(text);
        if (isPlainCommand(text) && parsed) expect(parseShell(text)).toEqual(parsed);
        const fast = plainPipeline(text);
        if (fast && parsed) expect(fast).toEqual(parsed);
      }),
      { numRuns: 800 },
    );
  });
});
