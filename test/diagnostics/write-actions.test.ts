import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { parseKubectlWrite } from '../../src/diagnostics/write-actions.js';
import { cmd, fixture, type Json, K8S, NOW, strictNock, testDiagnostics, testKubeConfig } from './helpers.js';

const deployment = () => structuredClone((fixture('kubernetes/deployments.json') as { items: Json[] }).items[0]);
const diag = () => testDiagnostics({ kubeClient: testKubeConfig() });
const write = (text: string) => ({ command: cmd(text, 'kubernetes', 'write'), values: {}, incidentId: 7 });

strictNock();

describe('write actions', () => {
  it('parses the supported kubectl writes', () => {
    expect(parseKubectlWrite(['kubectl', 'scale', 'deployment', 'api', '--replicas=5', '-n', 'prod'])).toEqual({
      kind: 'scale',
      name: 'api',
      namespace: 'prod',
      replicas: 5,
    });
    expect(parseKubectlWrite(['kubectl', 'rollout', 'undo', 'deployment/api', '--to-revision=6'])).toMatchObject({
      kind: 'rollout-undo',
      toRevision: 6,
    });
  });

  it.each([
    'kubectl set env deployment/api DEBUG=1',
    'kubectl delete pod api-1',
    'kubectl scale statefulset db --replicas=0',
    'helm rollback api 3',
    'kubectl rollout pause deployment/api',
  ])('explains that %j is shown as copyable text', (text) => {
    expect(() => parseKubectlWrite(text.split(' '))).toThrow(/copy the command/);
  });

  it('refuses absurd replica counts', () => {
    expect(() => parseKubectlWrite(['kubectl', 'scale', 'deploy/api', '--replicas=100000'])).toThrow(/up to 500/);
  });

  it('plans a scale from the live object, then applies it', async () => {
    nock(K8S).get('/apis/apps/v1/namespaces/prod/deployments/api').reply(200, deployment());
    const d = diag();
    const plan = await d.planWrite(write('kubectl scale deployment api --replicas=5 -n prod'));
    expect(plan.description).toBe('Scale deployment prod/api from 3 to 5 replicas.');
    expect(plan).toMatchObject({ kind: 'scale', before: { replicas: 3 }, after: { replicas: 5 }, incidentId: 7 });

    let sent: Json | undefined;
    nock(K8S).get('/apis/apps/v1/namespaces/prod/deployments/api').reply(200, deployment());
    nock(K8S)
      .put('/apis/apps/v1/namespaces/prod/deployments/api', (body) => {
        sent = body;
        return true;
      })
      .reply(200, (_uri, body) => body as Record<string, unknown>);
    const r = await d.applyWrite(JSON.parse(JSON.stringify(plan)));
    expect(r.error).toBeNull();
    expect(r.output).toBe('deployment.apps/api scaled from 3 to 5 replicas');
    expect(sent?.spec.replicas).toBe(5);
    expect(sent?.metadata.resourceVersion).toBe('918250');
  });

  it('refuses to apply a stale plan when someone scaled meanwhile', async () => {
    nock(K8S).get('/apis/apps/v1/namespaces/prod/deployments/api').reply(200, deployment());
    const d = diag();
    const plan = await d.planWrite(write('kubectl scale deployment api --replicas=5 -n prod'));
    const changed = deployment()!;
    changed.spec.replicas = 4;
    nock(K8S).get('/apis/apps/v1/namespaces/prod/deployments/api').reply(200, changed);
    const r = await d.applyWrite(plan);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/changed since the confirmation was shown/);
  });

  it('reports a conflicting concurrent update (409) clearly', async () => {
    nock(K8S).get('/apis/apps/v1/namespaces/prod/deployments/api').times(2).reply(200, deployment());
    const d = diag();
    const plan = await d.planWrite(write('kubectl scale deployment api --replicas=5 -n prod'));
    nock(K8S).put('/apis/apps/v1/namespaces/prod/deployments/api').reply(409, {
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'Conflict',
      code: 409,
      message: 'the object has been modified',
    });
    const r = await d.applyWrite(plan);
    expect(r.error).toMatch(/changed by someone else/);
  });

  it('plans and applies a rolling restart by stamping restartedAt', async () => {
    nock(K8S).get('/apis/apps/v1/namespaces/prod/deployments/api').times(2).reply(200, deployment());
    let sent: Json | undefined;
    nock(K8S)
      .put('/apis/apps/v1/namespaces/prod/deployments/api', (b) => {
        sent = b;
        return true;
      })
      .reply(200, deployment());
    const d = diag();
    const plan = await d.planWrite({
      ...write('kubectl rollout restart deployment/<deployment> -n <namespace>'),
      values: d.valuesFromLabels({ deployment: 'api', namespace: 'prod' }),
    });
    expect(plan.description).toMatch(/^Restart deployment prod\/api: replace all 3 pod\(s\)/);
    const r = await d.applyWrite(plan);
    expect(r.ok).toBe(true);
    expect(sent?.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).toBe(NOW.toISOString());
  });

  it('plans a rollback to the previous revision with the images that change', async () => {
    nock(K8S).get('/apis/apps/v1/namespaces/prod/deployments/api').times(3).reply(200, deployment());
    nock(K8S)
      .get('/apis/apps/v1/namespaces/prod/replicasets')
      .query({ labelSelector: 'app=api', limit: '500' })
      .times(2)
      .reply(200, fixture('kubernetes/replicasets.json'));
    let sent: Json | undefined;
    nock(K8S)
      .put('/apis/apps/v1/namespaces/prod/deployments/api', (b) => {
        sent = b;
        return true;
      })
      .reply(200, deployment());
    const d = diag();
    const plan = await d.planWrite(write('kubectl rollout undo deployment/api -n prod'));
    expect(plan.description).toBe(
      'Roll back deployment prod/api from revision 7 (registry.example.com/api:1.4.2) to revision 6 (registry.example.com/api:1.4.1).',
    );
    const r = await d.applyWrite(plan);
    expect(r.output).toBe('deployment.apps/api rolled back to revision 6');
    expect(sent?.spec.template.spec.containers[0].image).toBe('registry.example.com/api:1.4.1');
    expect(sent?.spec.template.metadata.labels['pod-template-hash']).toBeUndefined();
  });

  it('never plans exec or destructive commands', async () => {
    const d = diag();
    await expect(
      d.planWrite({
        ...write('kubectl delete ns prod'),
        command: cmd('kubectl delete ns prod', 'kubernetes', 'destructive'),
      }),
    ).rejects.toThrow(/never run from Slack/);
  });

  it('the read path refuses writes even when mislabelled as reads', async () => {
    const r = await diag().run({
      command: cmd('kubectl scale deployment api --replicas=0'),
      values: {},
      incidentId: 1,
    });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/not a supported read/);
  });
});
