import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbooks/parse.js';
import type { Command, RunbookDocument, RunbookSection } from '../../src/runbooks/schema.js';
import { RunbookDocument as RunbookDocumentSchema } from '../../src/runbooks/schema.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const seedsDir = path.resolve(repoRoot, '../shared/seeds');
const present = existsSync(seedsDir);
if (!present) console.warn(`[runbooks golden] skipped: seed runbooks not found at ${seedsDir}`);

function seed(prefix: string): RunbookDocument {
  const file = readdirSync(seedsDir).find((f) => f.startsWith(prefix))!;
  return parseRunbook(readFileSync(path.join(seedsDir, file), 'utf8'), file);
}
const section = (doc: RunbookDocument, alert: string): RunbookSection =>
  doc.runbooks.find((r) => r.alerts.includes(alert)) ?? expect.fail(`no section for ${alert}`);
const command = (cmds: Command[], startsWith: string): Command =>
  cmds.find((c) => c.text.startsWith(startsWith)) ?? expect.fail(`no command starting "${startsWith}"`);

describe.skipIf(!present)('seed runbooks (golden)', () => {
  it('every seed parses into a document that satisfies the schema', () => {
    for (const p of ['000', '001', '002', '003', '004']) {
      const doc = seed(p);
      expect(() => RunbookDocumentSchema.parse(doc)).not.toThrow();
      expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
    }
  });

  describe('000: one alert per file with a Trigger line', () => {
    const doc = present ? seed('000') : (null as never);

    it('is one section for both alert names, severity Warning → P3', () => {
      expect(doc.runbooks).toHaveLength(1);
      const [r] = doc.runbooks;
      expect(r!.alerts).toEqual(['HighCPUUsage', 'HighMemoryUsage']);
      expect(r!.severity).toBe('P3');
      expect(r!.summary).toMatch(/^System resources \(CPU or Memory\)/);
    });

    it('reads the phases as timers but not the trigger "for 5 minutes"', () => {
      const timers = doc.runbooks[0]!.timers;
      expect(timers.map((t) => [t.kind, t.afterMinutes, t.untilMinutes])).toEqual([
        ['phase', 0, 5],
        ['phase', 5, 15],
        ['phase', 15, 60],
      ]);
      expect(timers.some((t) => t.line === 7)).toBe(false);
    });

    it('classifies reads, writes and kubectl exec', () => {
      const cmds = doc.runbooks[0]!.commands;
      expect(command(cmds, 'kubectl top nodes')).toMatchObject({
        executor: 'kubernetes',
        risk: 'read',
        runnable: true,
      });
      expect(command(cmds, 'curl -s "http://prometheus:9090/api/v1/query')).toMatchObject({
        executor: 'prometheus',
        risk: 'read',
        runnable: true,
      });
      expect(command(cmds, 'kubectl logs -n spec-to-proof deployment/spec-to-proof-api')).toMatchObject({
        risk: 'read',
        runnable: false,
      });
      expect(command(cmds, 'kubectl exec -n spec-to-proof <pod-name> -- ps aux')).toMatchObject({
        risk: 'exec',
        runnable: false,
        placeholders: ['<pod-name>'],
      });
      expect(command(cmds, 'kubectl scale deployment')).toMatchObject({ risk: 'write' });
      expect(command(cmds, 'kubectl rollout restart')).toMatchObject({ risk: 'write' });
      expect(command(cmds, 'watch -n 10')).toMatchObject({ risk: 'read', runnable: false });
    });

    it('has no templates', () => {
      expect(doc.templates).toEqual({ communication: null, postIncident: null });
    });
  });

  describe('001: one ## alert-name section per alert', () => {
    const doc = present ? seed('001') : (null as never);

    it('finds the twelve alerts by heading, with the **Alert** text as summary', () => {
      expect(doc.runbooks.map((r) => r.alerts[0])).toEqual([
        'high-api-error-rate',
        'high-api-latency',
        'api-down',
        'high-database-connections',
        'slow-database-queries',
        'postgresql-down',
        'high-redis-memory',
        'redis-down',
        'slow-redis-operations',
        'high-active-connections',
        'low-cache-hit-ratio',
        'target-down',
      ]);
      expect(section(doc, 'api-down').summary).toBe('API health endpoint unreachable for 2 minutes.');
      expect(doc.runbooks.every((r) => r.severity === null)).toBe(true);
    });

    it('treats "exceeds 5% for 5 minutes" and interval \'5 minutes\' as non-timers', () => {
      expect(doc.runbooks.flatMap((r) => r.timers)).toEqual([]);
      expect(doc.timers).toEqual([]);
    });

    it('reads commands from inline code, including bare SQL and Redis', () => {
      const db = section(doc, 'high-database-connections').commands;
      expect(command(db, 'SELECT count(*) FROM pg_stat_activity;')).toMatchObject({
        executor: 'postgres',
        risk: 'read',
        runnable: true,
        origin: 'inline',
      });
      const redis = section(doc, 'redis-down').commands;
      expect(command(redis, 'CONFIG GET appendonly')).toMatchObject({
        executor: 'redis',
        risk: 'read',
        runnable: true,
      });
      expect(command(section(doc, 'high-api-error-rate').commands, 'helm rollback')).toMatchObject({
        risk: 'write',
        runnable: false,
      });
      expect(command(section(doc, 'slow-redis-operations').commands, 'redis-cli SLOWLOG GET 10')).toMatchObject({
        risk: 'read',
        runnable: true,
      });
      expect(command(section(doc, 'high-api-latency').commands, 'kubectl -n production exec')).toMatchObject({
        risk: 'exec',
        runnable: false,
      });
    });

    it('makes triage items steps with their commands', () => {
      const steps = section(doc, 'high-api-error-rate').steps;
      expect(steps.map((s) => s.title)).toEqual([
        'Check API pod logs',
        'Identify the most common error codes',
        'Check recent deployments',
        'Common causes',
        'Resolution',
      ]);
      expect(steps[0]!.commands.map((c) => c.text)).toEqual([
        'kubectl -n production logs -l app=inmidst-api --tail=200',
      ]);
      expect(steps[0]!.group).toBe('Triage');
    });
  });

  describe('002: numbered procedures with YAML alert definitions', () => {
    const doc = present ? seed('002') : (null as never);

    it('reads sixteen sections with alert names and severities from the YAML', () => {
      expect(doc.runbooks).toHaveLength(16);
      expect(section(doc, 'PodCrashLoopBackOff').severity).toBe('P1');
      expect(section(doc, 'HighNodeCPUUsage').severity).toBe('P3');
      expect(section(doc, 'ConfigMapChanged').severity).toBe('P4');
      expect(section(doc, 'HPAScaledUp').alerts).toEqual(['HPAScaledUp', 'HPAScaledDown']);
      expect(doc.runbooks.some((r) => /Scenario/.test(r.title))).toBe(false);
    });

    it('reads the response SLAs as document timers by severity', () => {
      const sla = doc.timers.map((t) => [t.kind, t.afterMinutes, t.severity]);
      expect(sla).toEqual([
        ['acknowledge', 5, 'P1'],
        ['resolve', 60, 'P1'],
        ['acknowledge', 30, 'P3'],
        ['resolve', 240, 'P3'],
        ['acknowledge', 1440, 'P4'],
      ]);
    });

    it('reads conditional escalations with target and condition, skipping estimates and expiry', () => {
      const crash = section(doc, 'PodCrashLoopBackOff').timers;
      expect(crash).toContainEqual(
        expect.objectContaining({
          kind: 'escalate',
          afterMinutes: 15,
          target: 'Senior Engineer',
          condition: 'Root cause not identified',
          line: 255,
        }),
      );
      expect(crash).toContainEqual(expect.objectContaining({ afterMinutes: 30, target: 'Engineering Lead' }));
      expect(crash.some((t) => t.afterMinutes === 120)).toBe(false); // "Estimated resolution time >2 hours"
      expect(section(doc, 'CertificateExpiringInSevenDays').timers).toEqual([]); // "expires in <3 days"
      expect(section(doc, 'PodOOMKilled').timers).toEqual([]); // ">3 times in 1 hour"
      expect(section(doc, 'HighNodeCPUUsage').timers).toEqual([
        expect.objectContaining({ kind: 'escalate', afterMinutes: 30, target: null, condition: 'CPU >90%' }),
      ]);
    });

    it('does not read command arguments or comments as timers', () => {
      const lines = doc.runbooks.flatMap((r) => r.timers).map((t) => t.line);
      expect(lines).not.toContain(328); // --since "30 minutes ago"
      expect(lines).not.toContain(420); // "# 3. Wait 2 minutes…"
    });

    it('classifies SQL pasted into bash blocks, drains, prunes and firewall rules', () => {
      const pool = section(doc, 'DatabaseConnectionPoolExhausted').commands;
      const select = command(pool, 'SELECT application_name, COUNT(*)');
      expect(select).toMatchObject({ executor: 'postgres', risk: 'read', runnable: true, line: 697 });
      expect(select.text.split('\n')).toHaveLength(4);
      expect(command(pool, 'SELECT pg_terminate_backend(pid)')).toMatchObject({
        risk: 'write',
        placeholders: ['<pid>'],
      });
      const node = section(doc, 'NodeNotReady').commands;
      expect(
        command(node, 'kubectl drain <node-name> --ignore-daemonsets --delete-emptydir-data --force'),
      ).toMatchObject({ risk: 'destructive', runnable: false });
      expect(command(node, 'kubectl drain <node-name> --ignore-daemonsets --delete-emptydir-data')).toMatchObject({
        risk: 'write',
      });
      expect(
        command(node, 'gcloud compute ssh <node-name> --zone=<zone> --command "sudo docker system prune -a -f"'),
      ).toMatchObject({ risk: 'destructive' });
      expect(command(node, 'sudo systemctl status kubelet')).toMatchObject({ risk: 'exec' });
      const cert = section(doc, 'CertificateExpiringInSevenDays').commands;
      expect(command(cert, 'gcloud compute firewall-rules create allow-http')).toMatchObject({ risk: 'destructive' });
      const pvc = section(doc, 'PersistentVolumeClaimPending').commands;
      const heredoc = command(pvc, 'kubectl apply -f - <<EOF');
      expect(heredoc.text.endsWith('EOF')).toBe(true);
      expect(heredoc).toMatchObject({ risk: 'write', runnable: false });
    });

    it('joins backslash continuations into one command', () => {
      const lat = section(doc, 'HighLatency').commands;
      expect(command(lat, 'kubectl autoscale').text).toBe(
        'kubectl autoscale deployment/<deployment-name> -n <namespace> --cpu-percent=70 --min=2 --max=10',
      );
    });

    it('finds the post-incident review template and its fields', () => {
      const t = doc.templates.postIncident!;
      expect(t.line).toBe(2023);
      expect(t.fields).toEqual(
        expect.arrayContaining([
          'Date',
          'Severity',
          'Duration',
          'Timeline',
          'Root Cause',
          'Action Items',
          'Lessons Learned',
        ]),
      );
      expect(doc.templates.communication).toBeNull();
    });

    it('warns about the deadline it cannot read', () => {
      expect(doc.warnings).toContainEqual(expect.objectContaining({ line: 33, code: 'timer-unparsed' }));
    });
  });

  describe('003: ## Runbook: X with Alert Details', () => {
    const doc = present ? seed('003') : (null as never);

    it('reads the Prometheus alert names and severities', () => {
      expect(doc.runbooks.map((r) => [r.id, r.alerts, r.severity])).toEqual([
        ['runbook-high-error-rate', ['PupAIHighErrorRate'], 'P1'],
        ['runbook-database-connection-pool-exhaustion', ['PupAIDatabasePoolExhaustion'], 'P1'],
        ['runbook-memory-pressure', ['PupAIMemoryPressure'], 'P3'],
        ['runbook-queue-backlog', ['PupAIQueueBacklog'], 'P3'],
        ['runbook-slack-api-rate-limiting', ['SlackAPIRateLimit'], 'P3'],
      ]);
      expect(doc.runbooks[0]!.title).toBe('High Error Rate');
    });

    it('has no timers: thresholds and --since arguments are not timers', () => {
      expect(doc.runbooks.flatMap((r) => r.timers)).toEqual([]);
      expect(doc.timers).toEqual([]);
    });

    it('keeps multi-line psql and loops whole, and rates them by their worst part', () => {
      const mem = section(doc, 'PupAIMemoryPressure').commands;
      const loop = command(mem, 'kubectl get pods -n pup-ai -o json | jq');
      expect(loop.text).toContain('done');
      expect(loop).toMatchObject({ risk: 'destructive', runnable: false });
      expect(command(mem, 'kubectl exec -n pup-ai deployment/pup-ai -- redis-cli FLUSHDB')).toMatchObject({
        risk: 'destructive',
      });
      const pool = section(doc, 'PupAIDatabasePoolExhaustion').commands;
      const psql = pool.find((c) => c.line === 167)!;
      expect(psql.text).toMatch(
        /^kubectl exec -n pup-ai deployment\/pup-ai -- psql -c "\n\s*SELECT count\(\*\) as connections,[\s\S]*ORDER BY count\(\*\) DESC;\n"$/,
      );
      expect(psql.risk).toBe('exec');
      expect(
        command(
          section(doc, 'PupAIHighErrorRate').commands,
          'kubectl set env deployment/pup-ai CIRCUIT_BREAKER_ENABLED=true',
        ),
      ).toMatchObject({
        // Not a write the bot performs (it scales, restarts or rolls back deployments): shown, with the reason.
        risk: 'write',
        runnable: false,
        reason: expect.stringContaining('the bot itself only scales, restarts or rolls back a deployment'),
      });
    });

    it('lists the Quick Reference commands as document commands', () => {
      expect(doc.commands.map((c) => c.line)).toEqual([540, 543, 546, 549, 552, 555, 558, 561]);
    });

    it('lists $VAR placeholders', () => {
      expect(
        command(section(doc, 'PupAIHighErrorRate').commands, 'kubectl exec -n pup-ai deployment/pup-ai -- pg_isready')
          .placeholders,
      ).toEqual(['$DB_HOST']);
    });
  });

  describe('004: P1..P3 procedures, escalation matrix, communication template, mojibake', () => {
    const doc = present ? seed('004') : (null as never);

    it('reads three severity procedures with their response SLAs', () => {
      expect(doc.runbooks.map((r) => [r.severity, r.kind, r.alerts])).toEqual([
        ['P1', 'severity', []],
        ['P2', 'severity', []],
        ['P3', 'severity', []],
      ]);
      expect(doc.runbooks.map((r) => r.timers.map((t) => [t.kind, t.afterMinutes, t.severity]))).toEqual([
        [['acknowledge', 5, 'P1']],
        [['acknowledge', 15, 'P2']],
        [['acknowledge', 60, 'P3']],
      ]);
    });

    it('reads the escalation matrix levels as document timers', () => {
      const matrix = doc.timers.filter((t) => t.line >= 500);
      expect(matrix.map((t) => [t.kind, t.afterMinutes, t.target, t.severity, t.condition])).toEqual([
        ['acknowledge', 5, 'Engineer On-Call', null, null],
        ['escalate', 5, 'Manager + Lead Engineer', null, 'No response or P1/P2'],
        ['escalate', 15, 'Director + VP Engineering', null, 'Still unresolved'],
        ['declare', 30, null, 'P1', 'P1 unresolved'],
      ]);
      expect(doc.timers.some((t) => t.line === 395)).toBe(false); // --timeout=15m
    });

    it('repairs the mojibake in the communication template and warns', () => {
      const t = doc.templates.communication!;
      expect(t.text.startsWith('🚨 INCIDENT ALERT 🚨')).toBe(true);
      expect(t.fields).toEqual(expect.arrayContaining(['Service', 'Severity', 'Status', 'Affected', 'ETA Resolution']));
      expect(doc.warnings.filter((w) => w.code === 'mojibake').map((w) => w.line)).toEqual([478, 502]);
      expect(JSON.stringify({ ...doc, warnings: [] })).not.toMatch(/ðŸ|â†/);
    });

    it('warns that the severity procedures name no alert', () => {
      expect(doc.warnings.filter((w) => w.code === 'no-alerts').map((w) => w.line)).toEqual([16, 80, 129]);
    });

    it('classifies the emergency commands', () => {
      expect(command(doc.commands, 'redis-cli FLUSHDB')).toMatchObject({
        executor: 'redis',
        risk: 'destructive',
        runnable: false,
      });
      expect(command(doc.commands, 'aws ec2 authorize-security-group-ingress')).toMatchObject({ risk: 'destructive' });
      expect(command(doc.commands, 'kubectl delete deployment architect-api')).toMatchObject({ risk: 'destructive' });
      expect(command(doc.commands, './scripts/failover_to_backup_region.sh')).toMatchObject({ risk: 'exec' });
      expect(command(doc.commands, 'psql $DATABASE_URL < LATEST_BACKUP.sql')).toMatchObject({ risk: 'exec' });
      expect(command(doc.commands, 'redis-cli INFO memory')).toMatchObject({ risk: 'read', runnable: true });
      const p1 = doc.runbooks[0]!.commands;
      expect(command(p1, 'curl -X POST https://events.pagerduty.com')).toMatchObject({
        executor: 'http',
        risk: 'write',
        placeholders: ['YOUR_ROUTING_KEY'],
      });
      expect(command(p1, 'curl http://prometheus:9090/api/v1/query')).toMatchObject({
        executor: 'prometheus',
        runnable: true,
        query: 'rate(http_requests_total{status=~"5.."}[5m])',
      });
    });

    it('keeps the "Declare Incident" step although its only block is a Slack message', () => {
      expect(doc.runbooks[0]!.steps.map((s) => s.title)).toEqual([
        'Declare Incident',
        'Page On-Call Team',
        'Check Services',
        'Immediate Recovery',
        'Verify Recovery',
      ]);
    });
  });
});
