import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDiagnostics } from '../../src/diagnostics/run.js';
import { silentLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';
import { cmd, fixture, type Json, K8S, NOW, testKubeConfig } from './helpers.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

const opts = { postgresTargets: {}, redisTargets: {}, timeoutMs: 2000, logger: silentLogger, now: () => NOW };

describe('diagnostics entry point', () => {
  it('lists the placeholders an alert does not fill, as written in the runbook', () => {
    const d = createDiagnostics({ ...opts, maxConcurrent: 1, maxPerIncident: 1 });
    const c = cmd('kubectl logs <pod-name> -n $' + '{NAMESPACE} -c <container>');
    const values = d.valuesFromLabels({ pod: 'api-1', namespace: 'prod' });
    expect(d.missing(c, values)).toEqual(['container']);
    expect(d.missing(c, { ...values, container: 'api' })).toEqual([]);
  });

  it('resolves a command: fills, validates and tokenises it without a shell', () => {
    const d = createDiagnostics({ ...opts, maxConcurrent: 1, maxPerIncident: 1 });
    const r = d.resolve(cmd('kubectl logs <pod-name> -n <namespace> --tail=50 | grep ERROR'), {
      pod: 'api-1',
      namespace: 'prod',
    });
    expect(r).toMatchObject({
      display: 'kubectl logs api-1 -n prod --tail=50 | grep ERROR',
      argv: ['kubectl', 'logs', 'api-1', '-n', 'prod', '--tail=50'],
      dropped: '| grep ERROR',
      values: { 'pod-name': 'api-1', namespace: 'prod' },
    });
    expect(() => d.resolve(cmd('kubectl logs <pod-name>'), {})).toThrow(expect.objectContaining({ field: 'pod-name' }));
    expect(() => d.resolve(cmd('kubectl logs <pod-name>'), { pod: 'a;reboot' })).toThrow(/<pod-name>/);
  });

  it('truncates long output for Slack, keeps the full text, and hashes it', async () => {
    const pods = fixture('kubernetes/pods.json') as { items: Json[] };
    const many = {
      ...pods,
      items: Array.from({ length: 200 }, (_, i) => ({
        ...pods.items[0],
        metadata: { ...pods.items[0]!.metadata, name: `api-${i}` },
      })),
    };
    nock(K8S).get('/api/v1/namespaces/prod/pods').query({ limit: '500' }).reply(200, many);
    const metrics = createMetrics();
    const d = createDiagnostics({
      ...opts,
      kubeClient: testKubeConfig(),
      maxConcurrent: 1,
      maxPerIncident: 1,
      metrics,
    });
    const r = await d.run({ command: cmd('kubectl get pods -n prod'), values: {}, incidentId: 1 });
    expect(r.truncated).toBe(true);
    expect(r.preview.length).toBeLessThanOrEqual(2900);
    expect(r.output.split('\n')).toHaveLength(201);
    expect(r.outputSha256).toHaveLength(64);
    expect(await metrics.registry.getSingleMetricAsString('incident_bot_diagnostics_total')).toMatch(
      /executor="kubernetes",outcome="ok"} 1/,
    );
  });

  it('answers a click storm on one incident with "busy" instead of queueing without bound', async () => {
    nock(K8S)
      .get('/api/v1/nodes')
      .query({ limit: '500' })
      .times(10)
      .delay(150)
      .reply(200, fixture('kubernetes/nodes.json'));
    const d = createDiagnostics({
      ...opts,
      kubeClient: testKubeConfig(),
      maxConcurrent: 8,
      maxPerIncident: 2,
      queueMs: 50,
    });
    const results = await Promise.all(
      Array.from({ length: 6 }, () => d.run({ command: cmd('kubectl get nodes'), values: {}, incidentId: 9 })),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(2);
    expect(results.filter((r) => !r.ok).every((r) => /try again in a moment/.test(r.error ?? ''))).toBe(true);
  });

  it('never runs write, exec or destructive commands through run()', async () => {
    const d = createDiagnostics({ ...opts, kubeClient: testKubeConfig(), maxConcurrent: 1, maxPerIncident: 1 });
    for (const risk of ['write', 'exec', 'destructive'] as const) {
      const r = await d.run({ command: cmd('kubectl get nodes', 'kubernetes', risk), values: {}, incidentId: 1 });
      expect(r.ok).toBe(false);
      expect(r.error).toMatch(risk === 'write' ? /operator confirms/ : /never run from Slack/);
    }
  });

  it('refuses shell and http commands with a message to copy them', async () => {
    const d = createDiagnostics({ ...opts, maxConcurrent: 1, maxPerIncident: 1 });
    const r = await d.run({ command: cmd('curl -I https://api.example.com', 'http'), values: {}, incidentId: 1 });
    expect(r.error).toMatch(/no executor for http commands/);
  });
});
