import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ConfigSchema } from '../../src/config.js';
import { allows, kubernetesAccesses, type PolicyRule, ROOT, tsFiles } from './scan.js';

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are checked field by field below
type K8s = any;
const DIR = join(ROOT, 'manifests');

function load(file: string): K8s[] {
  return parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors[0]!.message}`);
    return d.toJS();
  });
}
const files = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml' && f !== 'roles.yaml');
const objects = files.flatMap((f) => load(f).map((o) => ({ ...o, __file: f })));
const one = (kind: string, file?: string) => {
  const found = objects.filter((o) => o.kind === kind && (!file || o.__file === file));
  expect(found, `exactly one ${kind}${file ? ` in ${file}` : ''}`).toHaveLength(1);
  return found[0];
};
const kustomization = load('kustomization.yaml')[0];
const deployment = one('Deployment');
const pod = deployment.spec.template.spec;
const container = pod.containers[0];
const configKeys = new Set(Object.keys(ConfigSchema.shape));

describe('Kubernetes manifests', () => {
  it('parse, and every object has apiVersion, kind and a name', () => {
    for (const o of objects) {
      expect(o.apiVersion, o.__file).toBeTruthy();
      expect(o.kind, o.__file).toBeTruthy();
      expect(o.metadata?.name, o.__file).toBeTruthy();
    }
    const kinds = new Set(objects.map((o) => o.kind));
    for (const k of [
      'Namespace',
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'Role',
      'RoleBinding',
      'Deployment',
      'PodDisruptionBudget',
      'Service',
      'Secret',
      'PrometheusRule',
    ])
      expect(kinds, k).toContain(k);
  });

  it('lists every default resource in kustomization.yaml, and keeps the Secret example and write RBAC out', () => {
    const resources: string[] = kustomization.resources;
    for (const r of resources) expect(existsSync(join(DIR, r)), r).toBe(true);
    for (const f of ['namespace.yaml', 'serviceaccount.yaml', 'rbac-readonly.yaml', 'deployment.yaml', 'pdb.yaml'])
      expect(resources).toContain(f);
    expect(resources).not.toContain('secret.example.yaml');
    expect(resources).not.toContain('rbac-write.yaml');
    expect(kustomization.namespace).toBe('incident-bot');
  });

  it('ships every runbook in runbooks/ in the runbooks ConfigMap', () => {
    const gen = kustomization.configMapGenerator.find((g: K8s) => g.name === 'incident-bot-runbooks');
    const listed = (gen.files as string[]).map((f) => f.replace(/^.*=/, ''));
    const onDisk = readdirSync(join(ROOT, 'runbooks'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `../runbooks/${f}`);
    expect(listed.sort(), 'add new runbooks to configMapGenerator in manifests/kustomization.yaml').toEqual(
      onDisk.sort(),
    );
  });

  it('runs 2 replicas with /healthz and /readyz probes and resource requests and limits', () => {
    expect(deployment.spec.replicas).toBe(2);
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.resources.requests.cpu).toBeTruthy();
    expect(container.resources.requests.memory).toBeTruthy();
    expect(container.resources.limits.memory).toBeTruthy();
    expect(container.ports[0].containerPort).toBe(3000);
  });

  it('runs as the image user, non-root, on a read-only root filesystem with /tmp as an emptyDir', () => {
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    const dockerUser = /^USER\s+(\d+)/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))?.[1];
    expect(String(pod.securityContext.runAsUser)).toBe(dockerUser);
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(container.securityContext.allowPrivilegeEscalation).toBe(false);
    expect(container.securityContext.capabilities.drop).toContain('ALL');
    const tmp = container.volumeMounts.find((m: K8s) => m.mountPath === '/tmp');
    expect(pod.volumes.find((v: K8s) => v.name === tmp.name).emptyDir).toBeDefined();
  });

  it('mounts the runbooks ConfigMap at RUNBOOKS_DIR=/runbooks and the roles file at ROLES_FILE', () => {
    const env = Object.fromEntries(container.env.map((e: K8s) => [e.name, e.value]));
    expect(env.RUNBOOKS_DIR).toBe('/runbooks');
    const mount = container.volumeMounts.find((m: K8s) => m.mountPath === '/runbooks');
    expect(pod.volumes.find((v: K8s) => v.name === mount.name).configMap.name).toBe('incident-bot-runbooks');
    const roles = container.volumeMounts.find((m: K8s) => env.ROLES_FILE.startsWith(`${m.mountPath}/`));
    const rolesCm = pod.volumes.find((v: K8s) => v.name === roles.name).configMap.name;
    const gen = kustomization.configMapGenerator.find((g: K8s) => g.name === rolesCm);
    expect(gen.files).toContain(env.ROLES_FILE.slice(roles.mountPath.length + 1));
  });

  it('only sets environment variables the config schema knows', () => {
    const names = [
      ...container.env.map((e: K8s) => e.name),
      ...Object.keys(one('Secret').stringData),
      ...kustomization.configMapGenerator
        .find((g: K8s) => g.name === 'incident-bot-config')
        .literals.map((l: string) => l.split('=')[0]),
    ];
    expect(names.filter((n) => !configKeys.has(n))).toEqual([]);
    const refs = container.envFrom.map((e: K8s) => e.configMapRef?.name ?? e.secretRef?.name);
    expect(refs).toEqual(['incident-bot-config', one('Secret').metadata.name]);
  });

  it('keeps real secrets out of the Secret example', () => {
    const secret = one('Secret', 'secret.example.yaml');
    for (const [k, v] of Object.entries(secret.stringData as Record<string, string>)) {
      expect(v === '' || /REPLACE-ME|example/.test(v), `${k} must be a placeholder`).toBe(true);
    }
  });

  it('selects the Deployment pods from the Service and the PodDisruptionBudget', () => {
    const labels = deployment.spec.template.metadata.labels;
    const service = one('Service');
    const pdb = one('PodDisruptionBudget');
    for (const sel of [service.spec.selector, pdb.spec.selector.matchLabels, deployment.spec.selector.matchLabels])
      for (const [k, v] of Object.entries(sel)) expect(labels[k]).toBe(v);
    expect(container.ports.map((p: K8s) => p.name)).toContain(service.spec.ports[0].targetPort);
    expect(pdb.spec.minAvailable).toBeLessThan(deployment.spec.replicas);
    expect(pod.serviceAccountName).toBe(one('ServiceAccount').metadata.name);
  });
});

describe('RBAC', () => {
  const readonly = one('ClusterRole', 'rbac-readonly.yaml');
  const rules: PolicyRule[] = readonly.rules;
  const write = one('Role', 'rbac-write.yaml');

  it('grants the diagnostics read-only access to what runbooks look at', () => {
    const needed: [string, string[]][] = [
      ['', ['pods', 'pods/log', 'events', 'nodes', 'persistentvolumeclaims']],
      ['apps', ['deployments', 'replicasets', 'statefulsets', 'daemonsets']],
      ['autoscaling', ['horizontalpodautoscalers']],
      ['cert-manager.io', ['certificates']],
      ['metrics.k8s.io', ['pods', 'nodes']],
    ];
    for (const [group, resources] of needed)
      for (const r of resources)
        for (const verb of ['get', 'list', 'watch'])
          expect(allows(rules, group, r, verb), `${group}/${r} ${verb}`).toBe(true);
  });

  it('never lets the default role write, exec or read secrets', () => {
    for (const r of rules) {
      expect(r.verbs.every((v) => ['get', 'list', 'watch'].includes(v))).toBe(true);
      expect(r.resources).not.toContain('*');
      for (const bad of ['secrets', 'configmaps', 'pods/exec', 'pods/attach', 'pods/portforward'])
        expect(r.resources).not.toContain(bad);
    }
    const binding = one('ClusterRoleBinding');
    expect(binding.roleRef.name).toBe(readonly.metadata.name);
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'incident-bot', namespace: 'incident-bot' }]);
  });

  it('offers scale and rollout restart/undo only through the opt-in namespaced Role', () => {
    expect(allows(write.rules, 'apps', 'deployments', 'patch')).toBe(true);
    expect(allows(write.rules, 'apps', 'deployments/scale', 'patch')).toBe(true);
    expect(write.metadata.namespace, 'namespace comes from kubectl -n').toBeUndefined();
    expect(one('RoleBinding').roleRef).toMatchObject({ kind: 'Role', name: write.metadata.name });
    for (const r of write.rules as PolicyRule[]) expect(r.verbs).not.toContain('delete');
  });

  const executorFiles = tsFiles(join(ROOT, 'src/diagnostics'));
  const accesses = kubernetesAccesses(executorFiles);
  if (accesses.length === 0) console.info('manifests: no Kubernetes executor calls found under src/diagnostics yet');

  it.skipIf(accesses.length === 0)('covers every Kubernetes API call of the diagnostics executor', () => {
    const readVerbs = new Set(['get', 'list', 'watch']);
    const missing = accesses
      .filter((a) => !allows(readVerbs.has(a.verb) ? rules : write.rules, a.group, a.resource, a.verb))
      .map((a) => `${a.verb} ${a.group || 'core'}/${a.resource} (${a.file}:${a.line})`);
    expect(missing, 'extend rbac-readonly.yaml (reads) or rbac-write.yaml (writes)').toEqual([]);
  });
});

describe('Kubernetes API scanner', () => {
  it('maps client-node methods, REST paths and custom-object calls to RBAC resources', () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8s-scan-'));
    const f = join(dir, 'k.ts');
    writeFileSync(
      f,
      [
        "import * as k8s from '@kubernetes/client-node';",
        'await core.readNamespacedPodLog({ name, namespace });',
        'await core.listEventForAllNamespaces({});',
        'await apps.patchNamespacedDeploymentScale({ name, namespace, body });',
        "const g = { group: 'metrics.k8s.io', version: 'v1beta1' };",
        "await custom.listNamespacedCustomObject({ ...g, namespace, plural: 'pods' });",
        'const p = `/apis/cert-manager.io/v1/namespaces/$' + '{ns}/certificates`;',
        'await fs.readFile(path);',
      ].join('\n'),
    );
    const got = kubernetesAccesses([f]).map((a) => `${a.verb} ${a.group}/${a.resource}`);
    rmSync(dir, { recursive: true });
    expect(got).toEqual([
      'get /pods/log',
      'list /events',
      'patch apps/deployments/scale',
      'get cert-manager.io/certificates',
      'list metrics.k8s.io/pods',
    ]);
  });
});

const kubectl = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!kubectl) console.info('manifests: kubectl not found; kustomize build checks skipped');

describe.skipIf(!kubectl)('kustomize build', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'kustomize-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const build = (dir: string) =>
    parseAllDocuments(
      execFileSync('kubectl', ['kustomize', '--load-restrictor=LoadRestrictionsNone', dir], { encoding: 'utf8' }),
    ).map((d) => d.toJS() as K8s);

  it('builds, and the Deployment references the generated ConfigMaps by their hashed names', () => {
    const out = build(DIR);
    const names = new Set(out.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name));
    const dep = out.find((o) => o.kind === 'Deployment');
    expect(dep.spec.template.spec.containers[0].image).toMatch(/^ghcr\.io\/.+:.+/);
    for (const v of dep.spec.template.spec.volumes) if (v.configMap) expect(names).toContain(v.configMap.name);
    const runbooks = out.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('incident-bot-runbooks'));
    expect(Object.keys(runbooks.data)).toContain('incident-bot-self.md');
    for (const o of out)
      if (o.kind !== 'Namespace' && !o.kind.startsWith('Cluster')) expect(o.metadata.namespace).toBe('incident-bot');
  });

  it('still builds with the opt-in prometheus-rules.yaml line uncommented', () => {
    const copy = join(tmp, 'manifests');
    cpSync(DIR, copy, { recursive: true });
    cpSync(join(ROOT, 'runbooks'), join(tmp, 'runbooks'), { recursive: true });
    const k = join(copy, 'kustomization.yaml');
    writeFileSync(k, readFileSync(k, 'utf8').replace('# - prometheus-rules.yaml', '- prometheus-rules.yaml'));
    expect(build(copy).map((o) => o.kind)).toContain('PrometheusRule');
  });
});

const rolesModule = join(ROOT, 'src/auth/roles.ts');
describe.skipIf(!existsSync(rolesModule))('roles file', () => {
  it('ships a roles.yaml the roles module accepts', async () => {
    const { parseRoles } = await import(/* @vite-ignore */ rolesModule);
    const roles = parseRoles(readFileSync(join(DIR, 'roles.yaml'), 'utf8'), 'manifests/roles.yaml');
    expect(roles.default).toBe('viewer');
    expect(Object.values(roles.groups)).toContain('responder');
  });

  it('documents a roles example in the README the roles module accepts', async () => {
    const { parseRoles } = await import(/* @vite-ignore */ rolesModule);
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Roles'));
    const example = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(example).toBeDefined();
    expect(() => parseRoles(example, 'README')).not.toThrow();
  });
});
