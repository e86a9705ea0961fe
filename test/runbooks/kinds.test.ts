import { describe, expect, it } from 'vitest';
import { inspectJson, unmappedTargets } from '../../src/cli/runbooks.js';
import { classifyCommand } from '../../src/runbooks/classify.js';
import { createLibrary } from '../../src/runbooks/match.js';
import { parseRunbook } from '../../src/runbooks/parse.js';
import type { Command, RunbookDocument } from '../../src/runbooks/schema.js';
import { fillFromLabels } from '../../src/slack/render/runbook.js';

/** Issue #15: each kind of layout other teams write, with our own small examples. */

const allCommands = (doc: RunbookDocument): Command[] => [...doc.commands, ...doc.runbooks.flatMap((r) => r.commands)];
const allTimers = (doc: RunbookDocument) => [...doc.timers, ...doc.runbooks.flatMap((r) => r.timers)];
const cmd = (doc: RunbookDocument, start: string) =>
  allCommands(doc).find((c) => c.text.startsWith(start)) ?? expect.fail(`no command starting "${start}"`);

describe('kind 1: one alert per file', () => {
  const body = `## Meaning\n\nConsumers stopped reading the queue.\n\n## Impact\n\nOrders wait.\n\n## Diagnosis\n\n- Check with \`kubectl -n $NAMESPACE get pods\`\n\n## Mitigation\n\nRestart the consumer.\n`;

  it('reads the title as the alert and the Meaning paragraph as the summary', () => {
    const doc = parseRunbook(`# QueueConsumerStalled\n\n${body}`, 'stalled.md');
    expect(doc.runbooks).toHaveLength(1);
    expect(doc.runbooks[0]).toMatchObject({ alerts: ['QueueConsumerStalled'], kind: 'alert' });
    expect(doc.runbooks[0]!.summary).toBe('Consumers stopped reading the queue.');
    expect(doc.warnings.map((w) => w.code)).not.toContain('no-sections');
  });

  it('takes the name from front matter title or from the file name', () => {
    const fm = parseRunbook(`---\ntitle: QueueConsumerStalled\n---\n# Queue consumer stalled\n\n${body}`, 'x.md');
    expect(fm.runbooks[0]?.alerts).toEqual(['QueueConsumerStalled']);
    const byFile = parseRunbook(`# Queue consumer stalled\n\n${body}`, 'QueueConsumerStalled.md');
    expect(byFile.runbooks[0]?.alerts).toEqual(['QueueConsumerStalled']);
  });

  it('a prose file without runbook headings stays without sections', () => {
    const doc = parseRunbook('# Team notes\n\nWe meet on Mondays.\n\n## Agenda\n\nStuff.\n', 'TeamNotes.md');
    expect(doc.runbooks).toEqual([]);
  });

  it('runbook_url naming the file matches it, ignoring case, separators and .md/.html', () => {
    const doc = parseRunbook(`# QueueConsumerStalled\n\n${body}`, 'queue-consumer-stalled.md');
    const lib = createLibrary([doc]);
    for (const url of [
      'https://runbooks.example.com/QueueConsumerStalled',
      'https://runbooks.example.com/queue_consumer_stalled.html',
      'https://git.example.com/ops/QUEUE-CONSUMER-STALLED.md',
    ]) {
      expect(lib.match('SomethingElse', {}, { runbook_url: url })?.by).toBe('runbook_url');
    }
  });

  it('a runbook_url file of several runbooks never presents one written for another alert', () => {
    const other = parseRunbook(
      '# Storage\n\n## DiskFull\n\n**Severity**: critical\n\n## DiskSlow\n\n**Severity**: warning\n',
      'storage.md',
    );
    const lib = createLibrary([other]);
    expect(lib.match('QueueConsumerStalled', {}, { runbook_url: 'https://x/storage.md' })).toBeNull();
    expect(lib.match('DiskSlow', {}, { runbook_url: 'https://x/storage.md' })?.section.alerts).toEqual(['DiskSlow']);
  });
});

describe('kind 2: alert names in labelled headings', () => {
  it('reads `Alert Name: "X"`, `Alert: X` and `X (critical)` with severity bullets under them', () => {
    const doc = parseRunbook(
      [
        '# Storage alerts',
        '### Group Name: "storage"',
        '##### Alert Name: "DiskQueueSaturated"',
        '+ *Message*: `Disk queue is saturated.`',
        '+ *Severity*: warning',
        '### Alert: DiskLatencyHigh',
        '- Severity: page',
        '## DiskGone (critical)',
        'The disk vanished.',
      ].join('\n'),
      'storage.md',
    );
    const by = (a: string) => doc.runbooks.find((r) => r.alerts.includes(a));
    expect(by('DiskQueueSaturated')).toMatchObject({ severityText: 'warning', severity: 'P3' });
    expect(by('DiskQueueSaturated')?.summary).toBe('Disk queue is saturated.');
    expect(by('DiskLatencyHigh')?.alerts).toEqual(['DiskLatencyHigh']);
    expect(by('DiskGone')).toMatchObject({ severity: 'P1', severityText: 'critical' });
    expect(doc.runbooks.some((r) => r.alerts.includes('storage'))).toBe(false);
  });

  it('a kebab-case name ending in a severity word keeps its whole name', () => {
    const doc = parseRunbook('## disk-usage-high\n\n**Severity**: warning\n', 'x.md');
    expect(doc.runbooks[0]?.alerts).toEqual(['disk-usage-high']);
  });
});

describe('kind 3: tables of alerts', () => {
  const table = [
    '# Queue alerts',
    '',
    '## Rules',
    '',
    '| Alert | Expression | Severity | Description |',
    '|---|---|---|---|',
    '| `QueueDepthHigh` | `queue_depth > 1000` | warning | Backlog grows |',
    '| `QueueDown` | `up{job="queue"} == 0` | critical | Broker unreachable |',
  ].join('\n');

  it('is one runbook per row, each with its own severity and firing condition', () => {
    const doc = parseRunbook(table, 'queue.md');
    expect(doc.runbooks.map((r) => [r.alerts[0], r.severity, r.severityText])).toEqual([
      ['QueueDepthHigh', 'P3', 'warning'],
      ['QueueDown', 'P1', 'critical'],
    ]);
    expect(doc.runbooks[1]).toMatchObject({ condition: 'up{job="queue"} == 0', summary: 'Broker unreachable' });
  });

  it('never turns the Expression column into a runnable command', () => {
    const doc = parseRunbook(table, 'queue.md');
    expect(allCommands(doc)).toEqual([]);
  });
});

describe('kind 4: the response clock written as policy', () => {
  const policy = [
    '# Incident policy',
    '',
    '- **SEV-1**: update every 15 minutes',
    '- **SEV-2**: update every 30 minutes',
    '',
    '**Response Time**: < 5 minutes',
    '',
    '**SLA**: 30 minutes to resolution',
    '',
    '### Tier 2: Platform Lead',
    '',
    'Trigger: unresolved after 20 mins (Sev1) or 1 hour (Sev2)',
    '',
    '## Escalation',
    '',
    '| Time Elapsed | Action |',
    '|---|---|',
    '| +10 min | Escalate to Platform Lead |',
    '| +45 min | Escalate to Head of SRE |',
  ].join('\n');

  it('reads per-severity bullets, fields, tiers and elapsed-time tables', () => {
    const t = allTimers(parseRunbook(policy, 'policy.md')).map((x) => [x.kind, x.afterMinutes, x.severity, x.target]);
    expect(t).toEqual(
      expect.arrayContaining([
        ['update', 15, 'P1', null],
        ['update', 30, 'P2', null],
        ['acknowledge', 5, null, null],
        ['resolve', 30, null, null],
        ['escalate', 20, 'P1', 'Platform Lead'],
        ['escalate', 60, 'P2', 'Platform Lead'],
        ['escalate', 10, null, 'Platform Lead'],
        ['escalate', 45, null, 'Head of SRE'],
      ]),
    );
  });

  it('invents no timer from firing conditions, command arguments, vendor SLAs or estimates', () => {
    const doc = parseRunbook(
      [
        '# DiskFull',
        '',
        '## Meaning',
        '',
        '**Trigger**: usage > 90% for 10 minutes',
        'Fires when the disk has been above 90% for 15 minutes.',
        '',
        '## Diagnosis',
        '',
        '```bash',
        'kubectl logs deploy/api --since=30m',
        'journalctl -u disk --since "1 hour ago"',
        'sleep 300',
        '```',
        '',
        'The cloud provider SLA is 99.95% monthly uptime. Estimated fix time: 2 hours.',
        'Metrics are scraped every 30 seconds.',
      ].join('\n'),
      'DiskFull.md',
    );
    expect(allTimers(doc)).toEqual([]);
  });

  it('reads the first status update written as prose, not a deadline counted from something else', () => {
    const doc = parseRunbook(
      '# Comms\n\n- Posting the initial status update happens within 10 minutes of declaring.\n- A follow-up is due within 5 minutes of the first update.\n',
      'comms.md',
    );
    expect(allTimers(doc).map((t) => [t.kind, t.afterMinutes])).toEqual([['update', 10]]);
  });

  it('a time column with no response step beside it is not a timer', () => {
    const doc = parseRunbook('| Time | Note |\n|---|---|\n| 10 min | coffee |\n', 'x.md');
    expect(allTimers(doc)).toEqual([]);
  });
});

describe('kind 5: code as people paste it', () => {
  it('strips prompts in any fence and skips their output', () => {
    const doc = parseRunbook(
      [
        '# PodsPending',
        '## Diagnosis',
        '```',
        '$ kubectl get pods -n shop',
        'NAME    READY   STATUS',
        'api-1   0/1     Pending',
        '```',
        '```bash',
        'ops@bastion:~$ kubectl describe pod api-1 -n shop',
        'Events: none',
        '```',
        '```console',
        'db=# SELECT count(*) FROM pg_stat_activity;',
        ' count',
        '-------',
        '    12',
        'redis> INFO memory',
        '127.0.0.1:6379> CONFIG GET maxmemory',
        'mysql> SHOW PROCESSLIST;',
        '```',
      ].join('\n'),
      'x.md',
    );
    expect(allCommands(doc).map((c) => [c.text, c.executor])).toEqual([
      ['kubectl get pods -n shop', 'kubernetes'],
      ['kubectl describe pod api-1 -n shop', 'kubernetes'],
      ['SELECT count(*) FROM pg_stat_activity;', 'postgres'],
      ['INFO memory', 'redis'],
      ['CONFIG GET maxmemory', 'redis'],
      ['SHOW PROCESSLIST;', 'shell'],
    ]);
    expect(cmd(doc, 'SHOW PROCESSLIST').runnable).toBe(false);
  });

  it('a root prompt counts only in a visible session; in a bash script `#` is a comment', () => {
    const session = parseRunbook('# X\n```text\n# kubectl get nodes\nNAME STATUS\n```\n', 'x.md');
    expect(allCommands(session).map((c) => c.text)).toEqual(['kubectl get nodes']);
    const script = parseRunbook('# X\n```bash\n# kubectl delete pod x\nkubectl get pods\n```\n', 'x.md');
    expect(allCommands(script).map((c) => c.text)).toEqual(['kubectl get pods']);
  });

  it('reads a shell command in a wrongly tagged fence, but not config lines or plumbing', () => {
    const doc = parseRunbook(
      [
        '# X',
        '```python',
        'kubectl rollout restart deploy/api -n shop',
        'print("hi")',
        '```',
        '```',
        'maxmemory 4gb',
        'maxmemory-policy allkeys-lru',
        '```',
        '```bash',
        'export KUBECONFIG=/tmp/k',
        'cd /srv',
        'FOO=bar',
        'sleep 5',
        'kubectl top pods',
        'exit',
        '```',
      ].join('\n'),
      'x.md',
    );
    expect(allCommands(doc).map((c) => c.text)).toEqual([
      'kubectl rollout restart deploy/api -n shop',
      'kubectl top pods',
    ]);
  });
});

describe('kind 6: PromQL anywhere', () => {
  it('finds PromQL in prose, bare fences and promql fences', () => {
    const doc = parseRunbook(
      '# X\n\nCheck `up == 0` and `sum(rate(http_requests_total[5m])) by (job)`.\n\n```\nhistogram_quantile(0.99, rate(req_bucket[5m]))\n```\n',
      'x.md',
    );
    const prom = allCommands(doc).filter((c) => c.executor === 'prometheus');
    expect(prom.map((c) => c.query)).toEqual([
      'up == 0',
      'sum(rate(http_requests_total[5m])) by (job)',
      'histogram_quantile(0.99, rate(req_bucket[5m]))',
    ]);
    expect(prom.every((c) => c.risk === 'read' && c.runnable)).toBe(true);
  });
});

describe('kind 6: query_range URLs', () => {
  it('keeps start, end and step of a query_range URL', () => {
    const c = classifyCommand(
      "curl -s 'http://prometheus:9090/api/v1/query_range?query=up&start=2024-01-01T00:00:00Z&end=2024-01-01T01:00:00Z&step=60s'",
    );
    expect(c).toMatchObject({ executor: 'prometheus', risk: 'read', query: 'up' });
    expect(c.range).toEqual({ start: '2024-01-01T00:00:00Z', end: '2024-01-01T01:00:00Z', step: '60s' });
  });
});

describe('kind 7: risk that fails safe', () => {
  const risk = (text: string, hint = {}) => {
    const c = classifyCommand(text, hint);
    return `${c.executor}/${c.risk}${c.runnable ? '/runs' : ''}`;
  };

  it('a SELECT calling a side-effecting function is never read', () => {
    // Writes, and not offered as runnable: the PostgreSQL executor runs read-only SQL only.
    expect(risk("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE state = 'idle'")).toBe('postgres/write');
    expect(risk('SELECT pg_cancel_backend(42)')).toBe('postgres/write');
    expect(risk("SELECT pg_drop_replication_slot('s')")).toMatch(/write|destructive/);
    expect(risk('SELECT pg_reload_conf()')).toMatch(/write/);
    expect(risk("SELECT setval('seq', 1)")).toMatch(/write/);
    expect(risk('SELECT pg_some_future_function()')).toMatch(/write/);
    expect(risk("SELECT pg_size_pretty(pg_database_size('app'))")).toBe('postgres/read/runs');
    expect(risk('psql -c "SELECT pg_cancel_backend(7)"')).toMatch(/write/);
  });

  it('a Redis verb not on the known-read list is never read', () => {
    expect(risk('MEMORY PURGE', { lang: 'redis' })).not.toMatch(/read/);
    // Reads, but the executor's allow-list (diagnostics/guards/redis.ts) stays away from keys: shown, not run.
    expect(risk('MEMORY USAGE key', { lang: 'redis' })).toMatch(/^redis\/read/);
    expect(risk('redis-cli CLIENT KILL ID 5')).not.toMatch(/read/);
    expect(risk('redis-cli DEBUG SLEEP 0')).not.toMatch(/read/);
    expect(risk('redis-cli OBJECT FREQ k')).toMatch(/^redis\/read/);
    expect(risk('redis-cli INFO memory')).toBe('redis/read/runs');
    expect(risk('redis-cli LATENCY RESET')).not.toMatch(/read/);
    expect(risk('FROBNICATE x', { lang: 'redis' })).not.toMatch(/read/);
  });

  it('classifies known CLIs by verb, runnable only where an executor exists', () => {
    expect(risk('oc get pods -n shop')).toBe('kubernetes/read/runs');
    expect(risk('oc delete pod x')).toBe('kubernetes/destructive');
    expect(risk('helm history api')).toBe('kubernetes/read');
    expect(risk('helm rollback api 3')).toBe('kubernetes/write');
    expect(risk('helm uninstall api')).toBe('kubernetes/destructive');
    expect(risk('etcdctl endpoint status')).toBe('shell/read');
    expect(risk('etcdctl defrag')).toBe('shell/write');
    expect(risk('etcdctl del /k')).toBe('shell/destructive');
    expect(risk('docker compose logs api')).toBe('shell/read');
    expect(risk('docker-compose restart api')).toBe('shell/write');
    expect(risk('docker compose down -v')).toBe('shell/destructive');
    expect(risk('docker rm -f api')).toBe('shell/destructive');
    expect(risk('docker system prune -a')).toBe('shell/destructive');
    expect(risk('systemctl status nginx')).toBe('shell/read');
    expect(risk('systemctl restart nginx')).toBe('shell/write');
    expect(risk('journalctl -u nginx')).toBe('shell/read');
    expect(risk('journalctl --vacuum-time=2d')).toBe('shell/write');
    expect(risk('aws ec2 describe-instances')).toBe('shell/read');
    expect(risk('aws autoscaling set-desired-capacity --desired-capacity 3')).toBe('shell/write');
    expect(risk('gcloud compute instances delete vm-1')).toBe('shell/destructive');
    expect(risk('az vm list')).toBe('shell/read');
    expect(risk('mysql -e "SELECT 1"')).toBe('shell/read');
    expect(risk('mysql -e "DELETE FROM t"')).toBe('shell/destructive');
  });

  it('every non-runnable command carries a one-line reason', () => {
    for (const t of ['helm history api', 'etcdctl defrag', 'docker ps', 'mysql -e "SELECT 1"']) {
      const c = classifyCommand(t);
      expect(c.runnable).toBe(false);
      expect(c.reason).toMatch(/\S/);
      expect(c.reason).not.toContain('\n');
    }
  });
});

describe("kind 8: the runbook's own words", () => {
  it('inspect --json keeps the severity as written and adds priority', () => {
    for (const [word, p] of [
      ['Critical', 'P1'],
      ['MEDIUM', 'P3'],
      ['P2', 'P2'],
    ] as const) {
      const doc = parseRunbook(`## DiskFull\n\n**Severity**: ${word}\n`, 'x.md');
      const json = inspectJson(doc) as { runbooks: { severity: string; priority: string }[] };
      expect(json.runbooks[0]).toMatchObject({ severity: word, priority: p });
    }
  });

  it('chat-ops commands in prose are listed as other, never runnable', () => {
    const doc = parseRunbook('## DiskFull\n\n**Severity**: critical\n\nType `!ic page` in the channel.\n', 'x.md');
    expect(cmd(doc, '!ic page')).toMatchObject({ executor: 'other', runnable: false });
    expect(doc.warnings.map((w) => w.code)).not.toContain('unknown-executor');
  });
});

describe('what responders see', () => {
  it('fills placeholders from alert labels and lists the ones still to fill', () => {
    const c = classifyCommand('kubectl get pod <pod-name> -n $NAMESPACE -c <container>');
    const out = fillFromLabels(
      { text: 'kubectl get pod <pod-name> -n $NAMESPACE -c <container>', placeholders: c.placeholders },
      { pod: 'checkout-7d9f', namespace: 'shop' },
    );
    expect(out.text).toBe('kubectl get pod checkout-7d9f -n shop -c <container>');
    expect(out.missing).toEqual(['<container>']);
  });

  it('a label value with shell characters is not put into the shown command', () => {
    const out = fillFromLabels({ text: 'kubectl get pod <pod>', placeholders: ['<pod>'] }, { pod: 'x; rm -rf /' });
    expect(out.text).toBe('kubectl get pod <pod>');
    expect(out.missing).toEqual(['<pod>']);
  });

  it('lint warns for one severity over alerts rated differently and for unmapped escalation targets', () => {
    const doc = parseRunbook(
      [
        '## Disk alerts',
        '```yaml',
        '- alert: DiskAlmostFull',
        '  labels:',
        '    severity: warning',
        '- alert: DiskFull',
        '  labels:',
        '    severity: critical',
        '```',
        'Escalate to Storage Wizards if not fixed within 20 minutes.',
      ].join('\n'),
      'disk.md',
    );
    expect(doc.warnings.find((w) => w.code === 'mixed-severity')?.line).toBe(1);
    const unmapped = unmappedTargets([doc], { 'Senior Engineer': 'sre-seniors' });
    expect(unmapped.map((w) => [w.line, w.code])).toEqual([[10, 'unmapped-target']]);
  });
});

describe('one alert rated at two severities in one file', () => {
  const doc = parseRunbook(
    [
      '# API server alerts',
      '',
      '##### Alert Name: "QueueLagHigh"',
      '+ *Message*: `Queue lag is growing.`',
      '+ *Severity*: warning',
      '##### Alert Name: "QueueLagHigh"',
      '+ *Message*: `Queue lag is far behind.`',
      '+ *Severity*: critical',
      '##### Alert Name: "QueueDown"',
      '+ *Message*: `No consumer has read from the queue for 5 minutes.`',
      '+ *Severity*: critical',
      '##### Alert Name: "QueueDown"',
      '+ *Message*: `The queue broker has not answered for 2 minutes.`',
      '+ *Severity*: critical',
    ].join('\n'),
    'queue.md',
  );

  it('says nothing when the sections rate it differently; warns, naming both lines, when they rate it the same', () => {
    const dup = doc.warnings.filter((w) => w.code === 'duplicate-alert');
    expect(dup).toEqual([
      {
        line: 12,
        level: 'warning',
        code: 'duplicate-alert',
        message:
          'Alert "QueueDown" has two sections rated critical: line 9 ("QueueDown") and line 12; an alert of that name is matched to line 9, the first. Name the second rule differently, or merge the two.',
      },
    ]);
    expect(doc.warnings.filter((w) => w.level === 'error')).toEqual([]);
  });

  it('matches two rules of one name and severity to the first, whatever the labels', () => {
    const lib = createLibrary([doc]);
    expect(lib.match('QueueDown', { severity: 'critical' })?.section.line).toBe(9);
    expect(lib.match('queue_down')?.section.line).toBe(9);
    expect(lib.match('QueueDown', { severity: 'critical' })?.section.summary).toMatch(/No consumer/);
  });

  it('with one section unrated, the rated one answers its severity and the first any other', () => {
    const mixed = parseRunbook(
      [
        '# Queue alerts',
        '',
        '### Alert: QueueSlow',
        'Consumers lag.',
        '',
        '### Alert: QueueSlow',
        '- Severity: critical',
        '',
        'Consumers stopped.',
      ].join('\n'),
      'q.md',
    );
    const w = mixed.warnings.find((x) => x.code === 'duplicate-alert');
    expect([w?.level, w?.line, w?.message]).toEqual([
      'warning',
      6,
      expect.stringContaining('an alert labelled critical is matched to line 6, any other to line 3.'),
    ]);
    const lib = createLibrary([mixed]);
    expect(lib.match('QueueSlow', { severity: 'critical' })?.section.line).toBe(6);
    expect(lib.match('QueueSlow', { severity: 'warning' })?.section.line).toBe(3);
  });

  it("matches the section written for the alert's severity label", () => {
    const lib = createLibrary([doc]);
    expect(lib.match('QueueLagHigh', { severity: 'critical' })?.section.severity).toBe('P1');
    expect(lib.match('QueueLagHigh', { severity: 'warning' })?.section.severity).toBe('P3');
    expect(lib.match('QueueLagHigh')?.section.severity).toBe('P3');
  });
});
