import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { createDiagnostics } from '../../src/diagnostics/run.js';
import { silentLogger } from '../../src/log.js';
import { cmd, fixture, fixtureText, K8S, NOW, strictNock, testDiagnostics, testKubeConfig } from './helpers.js';

const diag = () => testDiagnostics({ kubeClient: testKubeConfig() });

const run = (text: string, values: Record<string, string> = {}) =>
  diag().run({ command: cmd(text), values, incidentId: 1 });

strictNock();

describe('kubernetes executor', () => {
  it('gets pods like kubectl: ready, CrashLoopBackOff status, restarts with last restart age', async () => {
    nock(K8S)
      .get('/api/v1/namespaces/prod/pods')
      .query({ labelSelector: 'app=api', limit: '500' })
      .reply(200, fixture('kubernetes/pods.json'));
    const r = await run('kubectl get pods -n <namespace> -l app=api', { namespace: 'prod' });
    expect(r.error).toBeNull();
    expect(r.output).toBe(
      [
        'NAME                   READY   STATUS             RESTARTS     AGE',
        'api-7d9f8b6c5d-x2x9q   1/1     Running            0            2d3h',
        'api-7d9f8b6c5d-k4m2p   0/1     CrashLoopBackOff   7 (5m ago)   4h30m',
      ].join('\n'),
    );
    expect(r.command).toBe('kubectl get pods -n prod -l app=api');
    expect(r.rows).toBe(2);
    expect(r.outputSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gets pods in all namespaces with a NAMESPACE column and wide columns', async () => {
    nock(K8S).get('/api/v1/pods').query({ limit: '500' }).reply(200, fixture('kubernetes/pods.json'));
    const r = await run('kubectl get pods -A -o wide');
    expect(r.output.split('\n')[0]).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE$/);
    expect(r.output).toContain('prod        api-7d9f8b6c5d-k4m2p');
    expect(r.output).toContain('10.0.2.7');
  });

  it('uses the context namespace when the command gives none, like kubectl', async () => {
    nock(K8S)
      .get('/apis/apps/v1/namespaces/default/deployments')
      .query({ limit: '500' })
      .reply(200, fixture('kubernetes/deployments.json'));
    const r = await run('kubectl get deploy');
    expect(r.output).toBe('NAME   READY   UP-TO-DATE   AVAILABLE   AGE\napi    2/3     3            2           63d');
  });

  it('gets nodes with roles and NotReady,SchedulingDisabled', async () => {
    nock(K8S).get('/api/v1/nodes').query({ limit: '500' }).reply(200, fixture('kubernetes/nodes.json'));
    const r = await run('kubectl get nodes');
    expect(r.output).toBe(
      [
        'NAME     STATUS                        ROLES           AGE    VERSION',
        'node-a   Ready                         control-plane   114d   v1.29.4',
        'node-b   NotReady,SchedulingDisabled   <none>          3d     v1.29.4',
      ].join('\n'),
    );
  });

  it('gets events sorted oldest first', async () => {
    nock(K8S)
      .get('/api/v1/namespaces/prod/events')
      .query({ limit: '500' })
      .reply(200, fixture('kubernetes/events.json'));
    const r = await run('kubectl get events -n prod --sort-by=.lastTimestamp');
    const lines = r.output.split('\n');
    expect(lines[0]).toMatch(/^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/);
    expect(lines[1]).toContain('ScalingReplicaSet');
    expect(lines[2]).toMatch(/^2m\s+Warning\s+BackOff\s+pod\/api-7d9f8b6c5d-k4m2p/);
  });

  it('gets an HPA v2 with utilisation targets', async () => {
    nock(K8S)
      .get('/apis/autoscaling/v2/namespaces/prod/horizontalpodautoscalers')
      .query({ limit: '500' })
      .reply(200, fixture('kubernetes/hpa.json'));
    const r = await run('kubectl get hpa -n prod');
    expect(r.output).toContain('Deployment/api   cpu: 95%/80%, memory: 58%/75%   3         10        3          63d');
  });

  it('gets PVCs with access modes and storage class', async () => {
    nock(K8S)
      .get('/api/v1/namespaces/prod/persistentvolumeclaims')
      .query({ limit: '500' })
      .reply(200, fixture('kubernetes/pvc.json'));
    const r = await run('kubectl get pvc -n prod');
    expect(r.output).toMatch(
      /data-postgres-0\s+Bound\s+pvc-8f0c2b1a-1111-2222-3333-444455556666\s+50Gi\s+RWO\s+gp3\s+92d/,
    );
    expect(r.output).toMatch(/scratch\s+Pending\s+RWX\s+efs\s+60m/);
  });

  it('reads cert-manager certificates (CRD) with readiness and expiry', async () => {
    nock(K8S)
      .get('/apis/cert-manager.io/v1/namespaces/prod/certificates')
      .query({ limit: '500' })
      .reply(200, fixture('kubernetes/certificates.json'));
    const r = await run('kubectl get certificates -n prod');
    expect(r.output).toMatch(/api-tls\s+False\s+api-tls\s+2024-05-05T00:00:00Z/);
  });

  it('describes a pod with container state, last termination and its events', async () => {
    const pod = (fixture('kubernetes/pods.json') as { items: unknown[] }).items[1];
    nock(K8S)
      .get('/api/v1/namespaces/prod/pods/api-7d9f8b6c5d-k4m2p')
      .reply(200, pod as object);
    nock(K8S)
      .get('/api/v1/namespaces/prod/events')
      .query({ fieldSelector: 'involvedObject.name=api-7d9f8b6c5d-k4m2p', limit: '500' })
      .reply(200, fixture('kubernetes/events.json'));
    const r = await run('kubectl describe pod <pod-name> -n <namespace>', {
      pod: 'api-7d9f8b6c5d-k4m2p',
      namespace: 'prod',
    });
    expect(r.output).toContain('Status:       CrashLoopBackOff');
    expect(r.output).toContain('Last State:     Terminated (OOMKilled, exit 137');
    expect(r.output).toContain('Restart Count:  7');
    expect(r.output).toMatch(/Events:\n\s+LAST SEEN/);
  });

  it('reads previous logs with --tail and --since for deployment/NAME through its selector', async () => {
    const dep = (fixture('kubernetes/deployments.json') as { items: unknown[] }).items[0];
    nock(K8S)
      .get('/apis/apps/v1/namespaces/prod/deployments/api')
      .reply(200, dep as object);
    nock(K8S)
      .get('/api/v1/namespaces/prod/pods')
      .query({ labelSelector: 'app=api', limit: '500' })
      .reply(200, fixture('kubernetes/pods.json'));
    nock(K8S)
      .get('/api/v1/namespaces/prod/pods/api-7d9f8b6c5d-k4m2p/log')
      .query({ previous: 'true', tailLines: '100', sinceSeconds: '3600', limitBytes: '1000000' })
      .reply(200, fixtureText('kubernetes/pod-log-previous.txt'), { 'Content-Type': 'text/plain' });
    const r = await run(
      'kubectl logs -n prod deployment/api --previous --tail=100 --since=1h | grep -i "memory\\|oom"',
    );
    expect(r.ok).toBe(true);
    expect(r.output).toContain('Found pod api-7d9f8b6c5d-k4m2p');
    expect(r.output).toContain('JavaScript heap out of memory');
    expect(r.output).toContain('(not run: | grep -i "memory\\|oom")');
  });

  it('shows top pods from the metrics API, summing containers', async () => {
    nock(K8S)
      .get('/apis/metrics.k8s.io/v1beta1/namespaces/prod/pods')
      .query({ limit: '500' })
      .reply(200, fixture('kubernetes/pod-metrics.json'));
    const r = await run('kubectl top pods -n prod --sort-by=cpu');
    expect(r.output).toBe(
      [
        'NAME                   CPU(CORES)   MEMORY(BYTES)',
        'api-7d9f8b6c5d-k4m2p   924m         538Mi',
        'api-7d9f8b6c5d-x2x9q   250m         294Mi',
      ].join('\n'),
    );
  });

  it('shows top pods per container with --containers', async () => {
    nock(K8S)
      .get('/apis/metrics.k8s.io/v1beta1/namespaces/prod/pods')
      .query({ limit: '500' })
      .reply(200, fixture('kubernetes/pod-metrics.json'));
    const r = await run('kubectl top pods -n prod --containers');
    expect(r.output).toMatch(/^POD\s+NAME\s+CPU\(CORES\)\s+MEMORY\(BYTES\)$/m);
    expect(r.output).toMatch(/api-7d9f8b6c5d-k4m2p\s+istio-proxy\s+12m\s+40Mi/);
  });

  it('shows top nodes with percentages of allocatable', async () => {
    nock(K8S)
      .get('/apis/metrics.k8s.io/v1beta1/nodes')
      .query({ limit: '500' })
      .reply(200, fixture('kubernetes/node-metrics.json'));
    nock(K8S).get('/api/v1/nodes').query({ limit: '500' }).reply(200, fixture('kubernetes/nodes.json'));
    const r = await run('kubectl top nodes');
    expect(r.output).toMatch(/node-a\s+1960m\s+50%\s+7433Mi\s+50%/);
    expect(r.output).toMatch(/node-b\s+396m\s+5%\s+29297Mi\s+95%/);
  });

  it('says when metrics-server is missing', async () => {
    nock(K8S)
      .get('/apis/metrics.k8s.io/v1beta1/nodes')
      .query({ limit: '500' })
      .reply(404, fixture('kubernetes/status-404.json'));
    nock(K8S).get('/api/v1/nodes').query({ limit: '500' }).reply(200, fixture('kubernetes/nodes.json'));
    const r = await run('kubectl top nodes');
    expect(r.error).toMatch(/metrics-server/);
  });

  it('reports rollout status once instead of watching', async () => {
    const dep = (fixture('kubernetes/deployments.json') as { items: unknown[] }).items[0];
    nock(K8S)
      .get('/apis/apps/v1/namespaces/prod/deployments/api')
      .reply(200, dep as object);
    const r = await run('kubectl rollout status deployment/api -n prod --timeout=15m');
    expect(r.output).toBe('Waiting for deployment "api" rollout to finish: 2 of 3 updated replicas are available...');
  });

  it('lists rollout history from the deployment’s own ReplicaSets', async () => {
    const dep = (fixture('kubernetes/deployments.json') as { items: unknown[] }).items[0];
    nock(K8S)
      .get('/apis/apps/v1/namespaces/prod/deployments/api')
      .reply(200, dep as object);
    nock(K8S)
      .get('/apis/apps/v1/namespaces/prod/replicasets')
      .query({ labelSelector: 'app=api', limit: '500' })
      .reply(200, fixture('kubernetes/replicasets.json'));
    const r = await run('kubectl rollout history deployment/api -n prod');
    expect(r.output).toBe(
      'deployment.apps/api\nREVISION   CHANGE-CAUSE\n6          <none>\n7          kubectl set image deployment/api api=registry.example.com/api:1.4.2',
    );
  });

  it('turns 404 and 403 into clear messages', async () => {
    nock(K8S).get('/api/v1/namespaces/prod/pods/nope').reply(404, fixture('kubernetes/status-404.json'));
    const r = await run('kubectl get pod nope -n prod');
    expect(r).toMatchObject({ ok: false, error: 'Not found: pods "nope" not found' });
    nock(K8S).get('/api/v1/nodes').query({ limit: '500' }).reply(403, fixture('kubernetes/status-403.json'));
    const f = await run('kubectl get nodes');
    expect(f.error).toMatch(/not allowed to do this \(Kubernetes RBAC 403\): nodes is forbidden/);
  });

  it('reports an unreachable API server instead of crashing', async () => {
    nock.enableNetConnect('127.0.0.1');
    const kc = testKubeConfig();
    kc.clusters[0] = { ...kc.clusters[0]!, server: 'https://127.0.0.1:1' };
    const d = createDiagnostics({
      kubeClient: kc,
      postgresTargets: {},
      redisTargets: {},
      timeoutMs: 2000,
      maxConcurrent: 4,
      maxPerIncident: 2,
      logger: silentLogger,
    });
    const r = await d.run({ command: cmd('kubectl get nodes'), values: {}, incidentId: 1 });
    nock.disableNetConnect();
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/Kubernetes API unreachable.*ECONNREFUSED/);
  });

  it('times out slow API calls with a clear message', async () => {
    nock(K8S).get('/api/v1/nodes').query({ limit: '500' }).delay(3000).reply(200, fixture('kubernetes/nodes.json'));
    const d = createDiagnostics({
      kubeClient: testKubeConfig(),
      postgresTargets: {},
      redisTargets: {},
      timeoutMs: 200,
      maxConcurrent: 4,
      maxPerIncident: 2,
      logger: silentLogger,
      now: () => NOW,
    });
    const r = await d.run({ command: cmd('kubectl get nodes'), values: {}, incidentId: 1 });
    expect(r.error).toBe('Timed out after 0.2 s: the Kubernetes API did not answer in time.');
    nock.abortPendingRequests();
    nock.cleanAll();
  });

  it.each([
    ['kubectl delete pod api-1 -n prod', /not a supported read/],
    ['kubectl exec -it api-1 -- sh', /not a supported read/],
    ['kubectl get secrets -n prod', /not supported here/],
    ['kubectl get pods --kubeconfig=/tmp/other', /not allowed/],
    ['kubectl get pods --context prod-admin', /not allowed/],
    ['kubectl get pods -o jsonpath={.items}', /not supported/],
    ['kubectl get pods -n Prod_X', /not a valid namespace/],
    ['kubectl rollout restart deployment/api', /not a read/],
    ['kubectl logs api-1 --since=forever', /duration/],
  ])('refuses %j without calling the API', async (text, why) => {
    const r = await run(text);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(why);
  });

  it('refuses a pod label value carrying a shell payload before anything runs', async () => {
    const r = await run('kubectl logs <pod-name> -n <namespace>', { pod: 'api; rm -rf /', namespace: 'prod' });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/<pod-name>.*not allowed/);
    const s = await run('kubectl logs <pod-name> -n <namespace>', { pod: '$(reboot)', namespace: 'prod' });
    expect(s.error).toMatch(/<pod-name>/);
  });

  it('says Kubernetes is not configured when there is no kubeconfig', async () => {
    const d = createDiagnostics({
      kubeconfig: '/nonexistent/kubeconfig',
      postgresTargets: {},
      redisTargets: {},
      timeoutMs: 200,
      maxConcurrent: 4,
      maxPerIncident: 2,
      logger: silentLogger,
    });
    const r = await d.run({ command: cmd('kubectl get nodes'), values: {}, incidentId: 1 });
    expect(r.error).toMatch(/Kubernetes is not configured/);
  });
});
