import { describe, expect, it } from 'vitest';
import { classifyCommand, findPlaceholders } from '../../src/runbooks/classify.js';
import { alertEvidence, headingAlertNames, splitAlertNames } from '../../src/runbooks/extract-alerts.js';
import { commandsFromCodeBlock, commandsFromInline } from '../../src/runbooks/extract-commands.js';
import { extractTemplates, templateFields } from '../../src/runbooks/extract-templates.js';
import { extractTimers, matrixTimers, parseDuration, timersInLine } from '../../src/runbooks/extract-timers.js';
import { readFrontMatter } from '../../src/runbooks/front-matter.js';
import { type CodeBlock, parseLabel, readMarkdown, slugify } from '../../src/runbooks/markdown.js';
import { repairMojibake } from '../../src/runbooks/mojibake.js';
import { normalizeSeverity } from '../../src/runbooks/schema.js';
import { splitCommands } from '../../src/runbooks/shell.js';

const md = (text: string) => readMarkdown(text.split('\n'));
const code = (lang: string, body: string, bodyLine = 2): CodeBlock => ({
  type: 'code',
  line: bodyLine - 1,
  lang,
  body: body.split('\n'),
  bodyLine,
  endLine: bodyLine + body.split('\n').length,
  closed: true,
});
const lines = (body: string) => body.split('\n').map((text, i) => ({ text, line: i + 1 }));

describe('normalizeSeverity', () => {
  it('maps severity words and numbers to P1..P4', () => {
    expect(['critical', 'High', 'warning', 'medium', 'info', 'low'].map(normalizeSeverity)).toEqual([
      'P1',
      'P2',
      'P3',
      'P3',
      'P4',
      'P4',
    ]);
    expect(['P1', 'p3', 'SEV2', 'sev-4', 'P0', '**Critical**'].map(normalizeSeverity)).toEqual([
      'P1',
      'P3',
      'P2',
      'P4',
      'P1',
      'P1',
    ]);
    expect(normalizeSeverity('whenever')).toBeNull();
  });
});

describe('repairMojibake', () => {
  it('repairs UTF-8 read as Windows-1252 and reports the line', () => {
    const r = repairMojibake('ok\nðŸš¨ alert â†“ down\n');
    expect(r.text).toBe('ok\n🚨 alert ↓ down\n');
    expect(r.repairs).toEqual([{ line: 2, from: 'ðŸš¨', to: '🚨' }]);
  });
  it('leaves genuine Latin-1 text and clean text alone', () => {
    expect(repairMojibake('Größe naïve café — “quoted”').text).toBe('Größe naïve café — “quoted”');
    expect(repairMojibake('plain ascii').repairs).toEqual([]);
  });
});

describe('markdown reader', () => {
  it('keeps line numbers for headings, fences nested in list items and list items', () => {
    const doc = md('# Title\n\n1. **Step**:\n   ```bash\n   kubectl get pods\n   ```\n- bullet');
    expect(doc.blocks.map((b) => [b.type, b.line])).toEqual([
      ['heading', 1],
      ['text', 3],
      ['code', 4],
      ['text', 7],
    ]);
    const fence = doc.blocks[2] as CodeBlock;
    expect(fence.body).toEqual(['kubectl get pods']);
    expect(fence.bodyLine).toBe(5);
  });
  it('makes GitHub anchors, unique per document', () => {
    expect(slugify('Runbook: High Error Rate')).toBe('runbook-high-error-rate');
    expect(slugify('P2: High Error Rate (> 0.1%)')).toBe('p2-high-error-rate--01');
    expect(md('## A\n## A').headings.map((h) => h.heading.slug)).toEqual(['a', 'a-1']);
  });
  it('reads bold labels but not bold words inside a sentence', () => {
    expect(parseLabel('**Severity**: Warning')).toEqual({ label: 'Severity', rest: 'Warning' });
    expect(parseLabel('**Escalate to Lead if**:')).toEqual({ label: 'Escalate to Lead if', rest: '' });
    expect(parseLabel('**Assess impact** - how many users?')).toEqual({
      label: 'Assess impact',
      rest: 'how many users?',
    });
    expect(parseLabel('**Post** to the channel')).toBeNull();
  });
});

describe('alert extraction', () => {
  it('splits alert names written in several ways, and rejects prose', () => {
    expect(splitAlertNames('`HighCPUUsage` / `HighMemoryUsage`')).toEqual(['HighCPUUsage', 'HighMemoryUsage']);
    expect(splitAlertNames('A_One, b-two or CThree')).toEqual(['A_One', 'b-two', 'CThree']);
    expect(splitAlertNames('API 5xx error rate exceeds 5% for 5 minutes.')).toEqual([]);
  });
  it('treats identifier headings as alert names, not ordinary titles', () => {
    expect(headingAlertNames('high-api-error-rate')).toEqual(['high-api-error-rate']);
    expect(headingAlertNames('15. HPAScaledUp / HPAScaledDown')).toEqual(['HPAScaledUp', 'HPAScaledDown']);
    expect(headingAlertNames('Summary')).toEqual([]);
    expect(headingAlertNames('P1: API Completely Down')).toEqual([]);
  });
  it('reads labels, Alert Details tables and YAML rules', () => {
    const ev = alertEvidence(
      md(
        '- **Alert Name**: FooDown\n- **Severity**: Critical\n\n| Alert | Severity |\n|---|---|\n| BarHigh | warning |\n\n```yaml\n- alert: BazLow\n```',
      ).blocks,
    );
    expect(ev.names.map((n) => [n.name, n.line])).toEqual([
      ['FooDown', 1],
      ['BarHigh', 6],
      ['BazLow', 9],
    ]);
    expect(ev.severity).toEqual({ text: 'Critical', line: 2 });
  });
  it('reads a key/value Alert Details table', () => {
    const ev = alertEvidence(
      md('| Field | Value |\n|---|---|\n| Alert Name | `QueueStuck` |\n| Severity | high |').blocks,
    );
    expect(ev.names.map((n) => n.name)).toEqual(['QueueStuck']);
    expect(normalizeSeverity(ev.severity!.text)).toBe('P2');
  });
});

describe('timer extraction', () => {
  const ctx = (text: string, context: string | null = null) => ({ text, context, line: 1, title: false });

  it('parses durations', () => {
    expect(['5m', '1 hour', '90s', '15 minutes', '2h', 'an hour', '10'].map(parseDuration)).toEqual([
      5, 60, 1.5, 15, 120, 60, 10,
    ]);
    expect(parseDuration('soon')).toBeNull();
  });
  it('reads SLAs with the severity of their label', () => {
    expect(
      timersInLine(ctx('**Critical**: Acknowledge within 5 minutes, resolve within 1 hour')).map((t) => [
        t.kind,
        t.afterMinutes,
        t.severity,
      ]),
    ).toEqual([
      ['acknowledge', 5, 'P1'],
      ['resolve', 60, 'P1'],
    ]);
    expect(timersInLine(ctx('**Response SLA**: 15 minutes'), 'P2')).toEqual([
      expect.objectContaining({ kind: 'acknowledge', afterMinutes: 15, severity: 'P2' }),
    ]);
  });
  it('reads conditional escalations with target and condition', () => {
    expect(timersInLine(ctx('Root cause not identified within 15 minutes', 'Escalate to Senior Engineer if'))).toEqual([
      expect.objectContaining({
        kind: 'escalate',
        afterMinutes: 15,
        target: 'Senior Engineer',
        condition: 'Root cause not identified',
      }),
    ]);
    expect(timersInLine(ctx('If not acknowledged within 5 minutes, page the secondary on-call'))).toEqual([
      expect.objectContaining({
        kind: 'escalate',
        afterMinutes: 5,
        target: 'secondary on-call',
        condition: 'not acknowledged',
      }),
    ]);
  });
  it('reads status update cadence', () => {
    expect(timersInLine(ctx('Post a status update every 30 minutes'))).toEqual([
      expect.objectContaining({ kind: 'update', afterMinutes: 30 }),
    ]);
  });
  it('does not read alert conditions, estimates, expiry or rates as timers', () => {
    for (const text of [
      '**Trigger**: CPU > 80% for 5 minutes',
      '**Alert**: API 5xx error rate exceeds 5% for 5 minutes.',
      'Estimated resolution time >2 hours',
      'Certificate expires in <3 days and not renewing',
      'Escalate if OOMKilled repeatedly (>3 times in 1 hour)',
    ]) {
      expect(timersInLine(ctx(text, 'Escalation Criteria')), text).toEqual([]);
    }
    // Outside escalation criteria, a duration in prose is the alert's condition, not the response clock.
    expect(timersInLine(ctx('Error rate exceeds 5% for 5 minutes'))).toEqual([]);
  });
  it('reads phases from headings', () => {
    const { timers } = extractTimers(md('## Immediate Actions (0-5 minutes)\n## Later (after 1h)').blocks);
    expect(timers.map((t) => [t.kind, t.afterMinutes, t.untilMinutes])).toEqual([
      ['phase', 0, 5],
      ['phase', 60, null],
    ]);
  });
  it('reports deadlines it cannot read', () => {
    const { timers, unparsed } = extractTimers(md('- **Warning**: Action required within 1 hour').blocks);
    expect(timers).toEqual([]);
    expect(unparsed).toEqual([{ line: 1, text: 'Warning: Action required within 1 hour' }]);
  });
  it('reads an escalation matrix drawn with arrows', () => {
    const t = matrixTimers(
      lines(
        'Level 1 (Alert)\n  ↓\nOn-call responds within 10 minutes\n  ↓\nLevel 2 (Still unresolved after 30 min)\n  ↓\nPage the Director',
      ),
    );
    expect(t.map((x) => [x.kind, x.afterMinutes, x.target, x.condition, x.line])).toEqual([
      ['acknowledge', 10, 'On-call', null, 1],
      ['escalate', 30, 'Director', 'Still unresolved', 5],
    ]);
  });
});

describe('command splitting', () => {
  it('joins continuations, drops comments and keeps quotes spanning lines', () => {
    const out = splitCommands(
      lines('# comment\nkubectl get pods \\\n  -n api   # trailing\npsql -c "\n  SELECT 1;\n"\n\nSELECT a\nFROM b;'),
      'shell',
    );
    expect(out).toEqual([
      { text: 'kubectl get pods -n api', line: 2, sql: false },
      { text: 'psql -c "\n  SELECT 1;\n"', line: 4, sql: false },
      { text: 'SELECT a\nFROM b;', line: 8, sql: true },
    ]);
  });
  it('keeps a loop and a here-document as one command each', () => {
    const out = splitCommands(lines('for p in a b; do\n  echo $p\ndone\ncat <<EOF\nx\nEOF\nls'), 'shell');
    expect(out.map((c) => c.line)).toEqual([1, 4, 7]);
  });
  it('reads only prompted lines in console blocks', () => {
    expect(
      splitCommands(lines('$ kubectl get pods\nNAME READY\n$ kubectl top nodes'), 'console').map((c) => c.text),
    ).toEqual(['kubectl get pods', 'kubectl top nodes']);
  });
  it('ignores prose in bare fences and code in other languages', () => {
    expect(commandsFromCodeBlock(code('', 'Slack: @oncall DECLARE P1\nkubectl get pods'))).toMatchObject([
      { text: 'kubectl get pods', line: 3 },
    ]);
    expect(commandsFromCodeBlock(code('javascript', 'const x = 1;'))).toEqual([]);
    expect(
      commandsFromCodeBlock(code('promql', 'up == 0\n# comment\nrate(x_total[5m])')).map((c) => c.executor),
    ).toEqual(['prometheus', 'prometheus']);
  });
  it('takes inline code only when it is a command', () => {
    const found = commandsFromInline(
      'Check `memory` and `infra/alerts.yml`, then run `kubectl get pods -n x` or `CONFIG GET save`.',
      4,
    );
    expect(found.map((c) => [c.text, c.executor, c.line])).toEqual([
      ['kubectl get pods -n x', 'kubernetes', 4],
      ['CONFIG GET save', 'redis', 4],
    ]);
  });
});

describe('command classification', () => {
  const cases: [string, string, string, boolean][] = [
    ['kubectl get pods -n api', 'kubernetes', 'read', true],
    ['kubectl -n api logs deploy/api --tail=50', 'kubernetes', 'read', true],
    ['kubectl logs -f deploy/api', 'kubernetes', 'read', false],
    ['kubectl get pods | grep api', 'kubernetes', 'read', false],
    ['kubectl scale deployment api --replicas=3', 'kubernetes', 'write', true],
    ['kubectl rollout undo deployment/api', 'kubernetes', 'write', true],
    // The bot itself performs only scale / rollout restart / rollout undo of a deployment (kubectl-write.ts).
    ['kubectl set env deployment/api A=1', 'kubernetes', 'write', false],
    ['kubectl scale statefulset/db --replicas=3', 'kubernetes', 'write', false],
    ['helm rollback api 3', 'kubernetes', 'write', false],
    ['kubectl exec -it api-0 -- sh', 'kubernetes', 'exec', false],
    ['kubectl delete pod api-0', 'kubernetes', 'destructive', false],
    ['kubectl drain node-1 --force', 'kubernetes', 'destructive', false],
    ['SELECT count(*) FROM pg_stat_activity;', 'postgres', 'read', true],
    // The PostgreSQL executor runs read-only SQL only.
    ['UPDATE users SET x = 1;', 'postgres', 'write', false],
    ['DROP TABLE users;', 'postgres', 'destructive', false],
    ['TRUNCATE jobs;', 'postgres', 'destructive', false],
    ['psql -h db -c "SELECT 1"', 'postgres', 'read', true],
    ['redis-cli INFO memory', 'redis', 'read', true],
    // The Redis executor runs only its read allow-list (diagnostics/guards/redis.ts): writes are shown, not run.
    ['redis-cli CONFIG SET maxmemory 2gb', 'redis', 'write', false],
    ['redis-cli FLUSHALL', 'redis', 'destructive', false],
    ['curl -s https://api.example.com/health', 'http', 'read', true],
    ['curl -X DELETE https://api.example.com/x', 'http', 'destructive', false],
    ['curl "http://prometheus:9090/api/v1/query?query=up"', 'prometheus', 'read', true],
    ['ssh bastion', 'shell', 'exec', false],
    ['sudo systemctl restart nginx', 'shell', 'exec', false],
    ['./fix.sh', 'shell', 'exec', false],
    ['docker system prune -a -f', 'shell', 'destructive', false],
    ['aws ec2 authorize-security-group-ingress --group-id sg-1 --cidr 0.0.0.0/0', 'shell', 'destructive', false],
    ['frobnicate --now', 'other', 'exec', false],
  ];
  it.each(cases)('%s → %s / %s / runnable %s', (text, executor, risk, runnable) => {
    expect(classifyCommand(text)).toMatchObject({ executor, risk, runnable });
  });
  it('explains in a sentence', () => {
    expect(classifyCommand('kubectl get pods').reason).toBe(
      'Read-only: lists Kubernetes resources (kubectl get). The bot can run it for you.',
    );
    expect(classifyCommand('kubectl get pods | grep x').reason).toMatch(/pipes into grep, which needs a shell/);
    expect(classifyCommand('redis-cli FLUSHDB').reason).toMatch(/^Destructive: deletes every key/);
  });
  it('extracts the query the executor runs', () => {
    expect(classifyCommand("curl http://prometheus:9090/api/v1/query --data-urlencode 'query=up == 0'").query).toBe(
      'up == 0',
    );
    expect(classifyCommand('psql -c "SELECT 1;"').query).toBe('SELECT 1;');
  });
  it('lists placeholders but not variables the command sets itself', () => {
    const braced = '$' + '{CTX}'; // a shell variable, not a template literal
    expect(findPlaceholders(`kubectl logs <pod-name> -n $NS ${braced} YOUR_TOKEN`)).toEqual([
      '<pod-name>',
      '$NS',
      braced,
      'YOUR_TOKEN',
    ]);
    expect(findPlaceholders('for p in $(kubectl get pods); do echo $p $TARGET; done')).toEqual(['$TARGET']);
    expect(findPlaceholders('cat <<EOF')).toEqual([]);
    expect(findPlaceholders('curl -H "key: YOUR_API_KEY"')).toEqual(['YOUR_API_KEY']);
  });
});

describe('templates', () => {
  it('finds labelled communication and post-incident templates', () => {
    const t = extractTemplates(
      md(
        '## Communication\n**Template**:\n```\nStatus: X\nImpact: Y\n```\n## Post-incident review template\n```markdown\n# Review\n**Date**: x\n## Timeline\n```',
      ).blocks,
    );
    expect(t.communication).toEqual({ line: 4, fields: ['Status', 'Impact'], text: 'Status: X\nImpact: Y' });
    expect(t.postIncident?.fields).toEqual(['Date', 'Timeline']);
  });
  it('reads fields from labels and headings, once each', () => {
    expect(
      templateFields([
        'Service: x',
        'Latest Update (HH:MM UTC):',
        '**Severity**: P1',
        '## Root Cause',
        'Service: again',
        'see https://x',
      ]),
    ).toEqual(['Service', 'Latest Update', 'Severity', 'Root Cause']);
  });
});

describe('front matter', () => {
  it('reads alerts, severity and timers with their lines', () => {
    const r = readFrontMatter([
      '---',
      'alerts: FooDown',
      'severity: high',
      'timers:',
      '  - { after: 5m, kind: acknowledge }',
      '---',
      '# Body',
    ]);
    expect(r.bodyStart).toBe(6);
    expect(r.frontMatter).toMatchObject({ alerts: ['FooDown'], severity: 'P2' });
    expect(r.frontMatter?.timers).toEqual([expect.objectContaining({ afterMinutes: 5, kind: 'acknowledge', line: 5 })]);
  });
  it('reports bad YAML and bad fields with a line, as errors', () => {
    expect(readFrontMatter(['---', 'alerts: [a', '---']).warnings[0]).toMatchObject({
      level: 'error',
      code: 'front-matter',
    });
    const bad = readFrontMatter(['---', 'alerts: [A]', 'timers:', '  - { after: 5m, kind: nap }', '---']);
    expect(bad.frontMatter).toBeNull();
    expect(bad.warnings[0]).toMatchObject({ line: 4, level: 'error' });
    expect(readFrontMatter(['---', 'title: x']).warnings[0]?.message).toMatch(/never ends/);
  });
});
