import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createLibrary } from '../../src/runbooks/match.js';
import { parseRunbook } from '../../src/runbooks/parse.js';

/**
 * Three small runbooks of our own, written the way other teams write theirs (test/fixtures/runbooks-unseen/),
 * read as an on-call engineer would: which alerts, how urgent, what to run, what the bot runs, and the clock.
 */
const load = (file: string) =>
  parseRunbook(readFileSync(new URL(`../fixtures/runbooks-unseen/${file}`, import.meta.url), 'utf8'), file);
const cmds = (cs: { line: number; executor: string; risk: string; runnable: boolean; text: string }[]) =>
  cs.map((c) => `${c.line} ${c.executor}/${c.risk}${c.runnable ? '/runs' : ''} ${c.text.split('\n')[0]}`);

describe('one alert per file: # Name, ## Meaning / Impact / Diagnosis / Mitigation', () => {
  const doc = load('SearchIndexLagging.md');

  it('is one runbook for the alert the title names, summarised by its Meaning', () => {
    expect(doc.runbooks).toHaveLength(1);
    const [r] = doc.runbooks;
    expect(r).toMatchObject({ kind: 'alert', alerts: ['SearchIndexLagging'], severity: null, line: 1 });
    expect(r!.summary).toMatch(/^The search indexer has fallen more than 10 minutes behind/);
  });

  it('finds the commands in prose, prompted console fences and SQL, with prompts and output left out', () => {
    expect(cmds(doc.runbooks[0]!.commands)).toEqual([
      '14 prometheus/read/runs max(search_indexer_lag_seconds{cluster="$cluster"}) by (shard)',
      '19 kubernetes/read/runs kubectl get pods -n search -l app=indexer',
      '22 kubernetes/read/runs kubectl logs -n search <pod-name> --tail=100',
      '28 postgres/read/runs SELECT pid, now() - query_start AS runtime, query',
      '36 kubernetes/write/runs kubectl rollout restart deployment/indexer -n search',
      // Ends a session: a write, and never a button (the PostgreSQL executor runs reads only).
      '39 postgres/write SELECT pg_terminate_backend(<pid>);',
    ]);
    expect(doc.runbooks[0]!.commands[2]!.placeholders).toEqual(['<pod-name>']);
  });

  it('reads the escalation in the mitigation as a timer, and the firing condition in Meaning as none', () => {
    expect(doc.runbooks[0]!.timers.map((t) => [t.kind, t.afterMinutes, t.target, t.condition])).toEqual([
      ['escalate', 30, 'Search team lead', 'Still lagging?'],
    ]);
    expect(doc.timers).toEqual([]);
  });

  it("is the match for the alert's runbook_url, whatever its case and extension", () => {
    const lib = createLibrary([doc]);
    const m = lib.match(
      'SearchIndexLagging',
      {},
      { runbook_url: 'https://wiki.example/runbooks/searchindexlagging.html' },
    );
    expect([m?.by, m?.section.alerts]).toEqual(['runbook_url', ['SearchIndexLagging']]);
  });
});

describe('a table of alerts with severity and expression columns', () => {
  const doc = load('payments-alerts.md');

  it('is one runbook per row, each with its own severity, condition and what-to-do', () => {
    expect(
      doc.runbooks.map((r) => [r.alerts[0], r.severityText, r.severity, r.condition?.slice(0, 24), r.summary]),
    ).toEqual([
      [
        'PaymentsErrorBudgetBurn',
        'critical',
        'P1',
        'sum(rate(payments_reques',
        'Check the last deploy; roll back if it matches',
      ],
      ['PaymentsQueueBacklog', 'warning', 'P3', 'payments_queue_depth > 5', 'Scale the workers'],
      ['PaymentsWebhookLatency', 'info', 'P4', 'histogram_quantile(0.99,', 'Watch; open a ticket'],
    ]);
    // Expressions are conditions to read, never commands.
    for (const r of doc.runbooks) expect(r.commands).toEqual([]);
  });

  it('reads the per-severity response clock', () => {
    expect(doc.timers.map((t) => [t.severity, t.kind, t.afterMinutes, t.target])).toEqual([
      ['P1', 'acknowledge', 5, null],
      ['P1', 'escalate', 15, 'Payments on-call manager'],
      ['P3', 'acknowledge', 30, null],
    ]);
  });

  it('lists the useful commands for the whole file, with the writes the bot can perform after approval', () => {
    expect(cmds(doc.commands)).toEqual([
      '19 kubernetes/read/runs kubectl rollout history deployment/payments-api -n payments',
      '20 kubernetes/write/runs kubectl rollout undo deployment/payments-api -n payments',
      '21 kubernetes/write/runs kubectl scale deployment/payments-worker -n payments --replicas=6',
    ]);
  });

  it("matches each alert to its own row's runbook", () => {
    const lib = createLibrary([doc]);
    expect(lib.match('payments_queue_backlog')?.section).toMatchObject({
      alerts: ['PaymentsQueueBacklog'],
      severity: 'P3',
    });
  });
});

describe('alert names in headings with labels: Alert:, Name (severity), Alert Name: "X"', () => {
  const doc = load('storage-alerts.md');

  it('is one runbook per alert heading, even one written under another alert, each with its severity word', () => {
    expect(doc.runbooks.map((r) => [r.line, r.alerts, r.severityText, r.severity])).toEqual([
      [3, ['ObjectStoreErrors'], 'page', 'P1'],
      [10, ['VolumeAlmostFull'], 'warning', 'P3'],
      [19, ['BackupJobFailed'], 'critical', 'P1'],
    ]);
    expect(doc.runbooks[2]!.summary).toBe('Backup job {{ $labels.job_name }} failed.');
  });

  it("keeps each alert's commands in its own section, and says why the bot does not run some", () => {
    const [errors, volume, backup] = doc.runbooks;
    expect(cmds(errors!.commands)).toEqual([
      '8 kubernetes/read/runs kubectl describe deployment/s3-gateway -n storage',
    ]);
    expect(cmds(volume!.commands)).toEqual([
      '15 kubernetes/read/runs kubectl get pvc -n <namespace>',
      '16 shell/read df -h /data',
    ]);
    expect(cmds(backup!.commands)).toEqual([
      '22 kubernetes/read kubectl logs job/<job_name> -n backups',
      '22 kubernetes/destructive kubectl delete pvc',
    ]);
    expect(backup!.commands[0]!.reason).toMatch(
      /the bot's Kubernetes reader refuses it \(kubectl logs job\/\.\.\. is not supported/,
    );
    expect(backup!.commands[1]!.reason).toMatch(/^Destructive: .*The bot never runs it/);
  });

  it('has nothing to lint', () => {
    expect(doc.warnings).toEqual([]);
  });
});
