import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/diagnostics/parse-command.js';

describe('parseCommandLine', () => {
  it('splits words and honours single and double quotes', () => {
    expect(parseCommandLine(`psql -h db -c "SELECT 'a b', \\"x\\" FROM t"`).argv).toEqual([
      'psql',
      '-h',
      'db',
      '-c',
      `SELECT 'a b', "x" FROM t`,
    ]);
    expect(parseCommandLine(`kubectl get pods -l 'app=api,tier in (web)'`).argv).toEqual([
      'kubectl',
      'get',
      'pods',
      '-l',
      'app=api,tier in (web)',
    ]);
  });

  it('joins backslash-newline continuations', () => {
    expect(parseCommandLine('kubectl logs api \\\n  --tail=100 \\\n  -n prod').argv).toEqual([
      'kubectl',
      'logs',
      'api',
      '--tail=100',
      '-n',
      'prod',
    ]);
  });

  it('keeps <placeholders> as words rather than redirects', () => {
    expect(parseCommandLine('kubectl describe pod <pod-name> -n <namespace>').argv).toEqual([
      'kubectl',
      'describe',
      'pod',
      '<pod-name>',
      '-n',
      '<namespace>',
    ]);
  });

  it('drops everything after a pipe and returns it for display only', () => {
    const p = parseCommandLine('kubectl logs deploy/api --tail=100 | grep -i "oom\\|heap"');
    expect(p.argv).toEqual(['kubectl', 'logs', 'deploy/api', '--tail=100']);
    expect(p.dropped).toBe('| grep -i "oom\\|heap"');
  });

  it.each([
    ['kubectl get pods; rm -rf /', /Chained/],
    ['kubectl get pods && kubectl delete pod x', /Chained/],
    ['kubectl get pods || true', /Chained/],
    ['kubectl logs $(kubectl get pods -o name | head -1)', /substitution/],
    ['kubectl logs `whoami`', /backticks/],
    ['kubectl get pods > /tmp/x', /redirection/],
    ['psql < dump.sql', /redirection/],
    ['kubectl get pods &', /background/],
    ['kubectl get pods\nkubectl delete pods --all', /one command/],
    ['echo "unterminated', /Unterminated/],
    ['(cd /; ls)', /Subshells/],
  ])('refuses %j', (line, why) => {
    expect(() => parseCommandLine(line)).toThrow(why);
  });

  it('treats quoted metacharacters as plain text', () => {
    expect(parseCommandLine(`psql -c "SELECT 1; -- a | b && c"`).argv).toEqual([
      'psql',
      '-c',
      'SELECT 1; -- a | b && c',
    ]);
  });

  it('skips leading comment lines and trailing comments', () => {
    expect(parseCommandLine('# check pods\nkubectl get pods # all of them').argv).toEqual(['kubectl', 'get', 'pods']);
  });
});
