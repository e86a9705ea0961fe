import {
  ApiException,
  AppsV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type V1Pod,
} from '@kubernetes/client-node';
import { cpuMillis, memoryMi, table } from './format.js';
import {
  describeObject,
  eventsTable,
  eventTime,
  kv,
  type Obj,
  renderGet,
  rolloutStatus,
  sortTop,
} from './kube-render.js';
import type { ResourceKind } from './kubectl-args.js';
import type { KubeRead } from './kubectl-read.js';
import { RefusedError } from './types.js';

/**
 * The Kubernetes executor: runs a {@link KubeRead} (parsed by kubectl-read.ts) against the API server with the
 * bot's credentials, and renders the answer like kubectl (kube-render.ts). Reads only; writes are write-actions.ts.
 */

export { type KubeRead, parseKubectlRead } from './kubectl-read.js';

/** Most objects one list call asks the API server for (its `limit`): bounds memory before anything is formatted. */
export const KUBE_LIST_LIMIT = 500;

export interface KubeContext {
  kc: KubeConfig;
  now: Date;
  /** Namespace when the command gives none: the context's, like kubectl. */
  defaultNamespace: string;
}

export function defaultNamespaceOf(kc: KubeConfig): string {
  try {
    return kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  } catch {
    return 'default';
  }
}

/** Runs a read request and renders it like kubectl. */
export async function runKubeRead(req: KubeRead, ctx: KubeContext): Promise<{ output: string; rows?: number }> {
  const core = ctx.kc.makeApiClient(CoreV1Api);
  const apps = ctx.kc.makeApiClient(AppsV1Api);
  const ns = req.namespace ?? ctx.defaultNamespace;
  const notes = req.notes.length ? `\n${req.notes.join('\n')}` : '';
  switch (req.verb) {
    case 'get':
    case 'describe': {
      const items = await fetchObjects(req, ctx, ns);
      if (req.verb === 'describe') {
        if (!items.length) return { output: `No resources found in ${ns} namespace.${notes}`, rows: 0 };
        const shown = items.slice(0, 5);
        const parts = await Promise.all(
          shown.map(async (o) => describeObject(req.kind, o, await eventsFor(o, req.kind, ctx, core))),
        );
        const more = items.length > shown.length ? `\n\n… ${items.length - shown.length} more not described` : '';
        return { output: parts.join('\n\n---\n\n') + more + notes, rows: items.length };
      }
      return { output: renderGet(req, items, ctx.now, ns) + notes, rows: items.length };
    }
    case 'logs': {
      const pod = await pickLogPod(req, ns, core, apps);
      const spec = pod.spec?.containers ?? [];
      let container = req.container;
      let header = '';
      if (!container && spec.length > 1) {
        container = pod.metadata?.annotations?.['kubectl.kubernetes.io/default-container'] ?? spec[0]!.name;
        header = `Defaulted container "${container}" out of: ${spec.map((c) => c.name).join(', ')}\n`;
      }
      if (req.deployment || req.selector) header = `Found pod ${pod.metadata?.name}\n${header}`;
      const text = await core.readNamespacedPodLog({
        name: pod.metadata?.name ?? req.pod ?? '',
        namespace: ns,
        container,
        previous: req.previous,
        tailLines: req.tail ?? 500,
        sinceSeconds: req.sinceSeconds,
        limitBytes: 1_000_000,
      });
      const body = typeof text === 'string' ? text : String(text ?? '');
      return { output: `${header}${body.trimEnd() || '(no log lines)'}${notes}` };
    }
    case 'top':
      return runTop(req, ctx, ns, core);
    case 'rollout-status': {
      const d = await apps.readNamespacedDeployment({ name: req.name, namespace: ns });
      return { output: rolloutStatus(d) + notes };
    }
    case 'rollout-history':
      return { output: (await rolloutHistory(req.name, ns, req.revision, apps)) + notes };
  }
}

async function fetchObjects(
  req: Extract<KubeRead, { verb: 'get' | 'describe' }>,
  ctx: KubeContext,
  ns: string,
): Promise<Obj[]> {
  const core = ctx.kc.makeApiClient(CoreV1Api);
  const apps = ctx.kc.makeApiClient(AppsV1Api);
  const all = req.allNamespaces && !req.name;
  // The API server pages lists: at most KUBE_LIST_LIMIT objects are ever held in memory for one click.
  const sel = { labelSelector: req.selector, fieldSelector: req.fieldSelector, limit: KUBE_LIST_LIMIT };
  if (req.name) {
    const name = req.name;
    switch (req.kind) {
      case 'pods':
        return [await core.readNamespacedPod({ name, namespace: ns })];
      case 'deployments':
        return [await apps.readNamespacedDeployment({ name, namespace: ns })];
      case 'nodes':
        return [await core.readNode({ name })];
      case 'events':
        return [await core.readNamespacedEvent({ name, namespace: ns })];
      case 'hpa':
        return [
          await ctx.kc.makeApiClient(AutoscalingV2Api).readNamespacedHorizontalPodAutoscaler({ name, namespace: ns }),
        ];
      case 'pvc':
        return [await core.readNamespacedPersistentVolumeClaim({ name, namespace: ns })];
      case 'certificates': {
        const api = ctx.kc.makeApiClient(CustomObjectsApi);
        const g = { group: 'cert-manager.io', version: 'v1', plural: 'certificates' };
        return [(await api.getNamespacedCustomObject({ ...g, namespace: ns, name })) as Obj];
      }
    }
  }
  switch (req.kind) {
    case 'pods':
      return (all ? await core.listPodForAllNamespaces(sel) : await core.listNamespacedPod({ namespace: ns, ...sel }))
        .items;
    case 'deployments':
      return (
        all
          ? await apps.listDeploymentForAllNamespaces(sel)
          : await apps.listNamespacedDeployment({ namespace: ns, ...sel })
      ).items;
    case 'nodes':
      return (await core.listNode(sel)).items;
    case 'events': {
      const list = all
        ? await core.listEventForAllNamespaces(sel)
        : await core.listNamespacedEvent({ namespace: ns, ...sel });
      return [...list.items].sort((a, b) => eventTime(a) - eventTime(b));
    }
    case 'hpa': {
      const api = ctx.kc.makeApiClient(AutoscalingV2Api);
      return (
        all
          ? await api.listHorizontalPodAutoscalerForAllNamespaces(sel)
          : await api.listNamespacedHorizontalPodAutoscaler({ namespace: ns, ...sel })
      ).items;
    }
    case 'pvc':
      return (
        all
          ? await core.listPersistentVolumeClaimForAllNamespaces(sel)
          : await core.listNamespacedPersistentVolumeClaim({ namespace: ns, ...sel })
      ).items;
    case 'certificates': {
      const api = ctx.kc.makeApiClient(CustomObjectsApi);
      const g = { group: 'cert-manager.io', version: 'v1', plural: 'certificates', ...sel };
      const list = (
        all ? await api.listClusterCustomObject(g) : await api.listNamespacedCustomObject({ ...g, namespace: ns })
      ) as {
        items?: Obj[];
      };
      return list.items ?? [];
    }
  }
}

async function eventsFor(o: Obj, kind: ResourceKind, ctx: KubeContext, core: CoreV1Api): Promise<string> {
  if (kind === 'events') return '  <none>';
  try {
    const fieldSelector = `involvedObject.name=${o.metadata?.name}`;
    const list = o.metadata?.namespace
      ? await core.listNamespacedEvent({ namespace: o.metadata.namespace, fieldSelector, limit: KUBE_LIST_LIMIT })
      : await core.listEventForAllNamespaces({ fieldSelector });
    return eventsTable(list.items, ctx.now);
  } catch {
    return '  (events could not be read)';
  }
}

async function pickLogPod(
  req: Extract<KubeRead, { verb: 'logs' }>,
  ns: string,
  core: CoreV1Api,
  apps: AppsV1Api,
): Promise<V1Pod> {
  if (req.pod) return core.readNamespacedPod({ name: req.pod, namespace: ns });
  let selector = req.selector;
  if (req.deployment) {
    const d = await apps.readNamespacedDeployment({ name: req.deployment, namespace: ns });
    selector = Object.entries(d.spec?.selector?.matchLabels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
  }
  const pods = (await core.listNamespacedPod({ namespace: ns, labelSelector: selector, limit: KUBE_LIST_LIMIT })).items;
  // Like kubectl: prefer a running pod, then the newest.
  const sorted = [...pods].sort(
    (a, b) =>
      Number(b.status?.phase === 'Running') - Number(a.status?.phase === 'Running') ||
      new Date(b.metadata?.creationTimestamp ?? 0).getTime() - new Date(a.metadata?.creationTimestamp ?? 0).getTime(),
  );
  if (!sorted.length)
    throw new RefusedError(
      `No pods found for ${req.deployment ? `deployment/${req.deployment}` : `selector ${selector}`} in ${ns}.`,
    );
  return sorted[0]!;
}

async function runTop(
  req: Extract<KubeRead, { verb: 'top' }>,
  ctx: KubeContext,
  ns: string,
  core: CoreV1Api,
): Promise<{ output: string; rows: number }> {
  const api = ctx.kc.makeApiClient(CustomObjectsApi);
  const g = { group: 'metrics.k8s.io', version: 'v1beta1' };
  const sel = { ...(req.selector ? { labelSelector: req.selector } : {}), limit: KUBE_LIST_LIMIT };
  try {
    if (req.kind === 'nodes') {
      const [metrics, nodes] = await Promise.all([
        api.listClusterCustomObject({ ...g, plural: 'nodes', ...sel }) as Promise<{ items: Obj[] }>,
        core.listNode(sel),
      ]);
      const alloc = new Map(nodes.items.map((n) => [n.metadata?.name, n.status?.allocatable ?? {}]));
      let items = metrics.items.filter((m) => !req.name || m.metadata?.name === req.name);
      items = sortTop(items, req.sortBy, (m) => m.usage);
      const rows = items.map((m) => {
        const cpu = cpuMillis(m.usage?.cpu);
        const mem = memoryMi(m.usage?.memory);
        const a = alloc.get(m.metadata?.name) ?? {};
        const cpuA = cpuMillis(a.cpu);
        const memA = memoryMi(a.memory);
        return [
          m.metadata?.name,
          `${cpu}m`,
          cpuA ? `${Math.round((cpu / cpuA) * 100)}%` : '<unknown>',
          `${mem}Mi`,
          memA ? `${Math.round((mem / memA) * 100)}%` : '<unknown>',
        ];
      });
      return { output: table(['name', 'cpu(cores)', 'cpu%', 'memory(bytes)', 'memory%'], rows), rows: rows.length };
    }
    const all = req.allNamespaces && !req.name;
    const list = (
      all
        ? await api.listClusterCustomObject({ ...g, plural: 'pods', ...sel })
        : await api.listNamespacedCustomObject({ ...g, plural: 'pods', namespace: ns, ...sel })
    ) as { items: Obj[] };
    let items = list.items.filter((m) => !req.name || m.metadata?.name === req.name);
    const usage = (m: Obj) => {
      const cs: Obj[] = m.containers ?? [];
      return {
        cpu: `${cs.reduce((a, c) => a + cpuMillis(c.usage?.cpu), 0)}m`,
        memory: `${cs.reduce((a, c) => a + memoryMi(c.usage?.memory), 0)}Mi`,
      };
    };
    items = sortTop(items, req.sortBy, usage);
    if (!items.length) return { output: `No resources found in ${ns} namespace.`, rows: 0 };
    if (req.containers) {
      const rows = items.flatMap((m) =>
        ((m.containers ?? []) as Obj[]).map((c) => [
          ...(all ? [m.metadata?.namespace] : []),
          m.metadata?.name,
          c.name,
          `${cpuMillis(c.usage?.cpu)}m`,
          `${memoryMi(c.usage?.memory)}Mi`,
        ]),
      );
      const headers = [...(all ? ['namespace'] : []), 'pod', 'name', 'cpu(cores)', 'memory(bytes)'];
      return { output: table(headers, rows), rows: rows.length };
    }
    const rows = items.map((m) => {
      const u = usage(m);
      return [...(all ? [m.metadata?.namespace] : []), m.metadata?.name, u.cpu, u.memory];
    });
    return {
      output: table([...(all ? ['namespace'] : []), 'name', 'cpu(cores)', 'memory(bytes)'], rows),
      rows: rows.length,
    };
  } catch (e) {
    if (e instanceof ApiException && e.code === 404)
      throw new RefusedError('Metrics API not available (metrics.k8s.io): is metrics-server installed?');
    throw e;
  }
}

const REVISION = 'deployment.kubernetes.io/revision';

/** The deployment's ReplicaSets, by revision (newest last). */
export async function replicaSetsOf(name: string, ns: string, apps: AppsV1Api) {
  const d = await apps.readNamespacedDeployment({ name, namespace: ns });
  const selector = Object.entries(d.spec?.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const rs = (
    await apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: selector, limit: KUBE_LIST_LIMIT })
  ).items.filter((r) => (r.metadata?.ownerReferences ?? []).some((o) => o.uid === d.metadata?.uid));
  rs.sort(
    (a, b) => Number(a.metadata?.annotations?.[REVISION] ?? 0) - Number(b.metadata?.annotations?.[REVISION] ?? 0),
  );
  return { deployment: d, replicaSets: rs };
}

async function rolloutHistory(
  name: string,
  ns: string,
  revision: number | undefined,
  apps: AppsV1Api,
): Promise<string> {
  const { replicaSets } = await replicaSetsOf(name, ns, apps);
  if (revision !== undefined) {
    const rs = replicaSets.find((r) => Number(r.metadata?.annotations?.[REVISION]) === revision);
    if (!rs) throw new RefusedError(`Revision ${revision} of deployment/${name} not found.`);
    const containers = rs.spec?.template?.spec?.containers ?? [];
    return [
      `deployment.apps/${name} with revision #${revision}`,
      'Pod Template:',
      `  Labels: ${kv(rs.spec?.template?.metadata?.labels)}`,
      '  Containers:',
      ...containers.map((c) => `   ${c.name}:\n    Image: ${c.image}`),
    ].join('\n');
  }
  const rows = replicaSets.map((r) => [
    r.metadata?.annotations?.[REVISION],
    r.metadata?.annotations?.['kubernetes.io/change-cause'] ?? '<none>',
  ]);
  return `deployment.apps/${name}\n${table(['revision', 'change-cause'], rows)}`;
}

/** Turns client errors into a sentence for the thread; returns null when it is not a Kubernetes API error. */
export function kubeErrorMessage(e: unknown): string | null {
  if (e instanceof ApiException) {
    let msg = '';
    try {
      const body = typeof e.body === 'string' ? JSON.parse(e.body) : e.body;
      msg = body?.message ?? '';
    } catch {
      msg = String(e.body ?? '').slice(0, 200);
    }
    if (e.code === 401) return `Kubernetes rejected the bot's credentials (401). ${msg}`.trim();
    if (e.code === 403) return `The bot's service account is not allowed to do this (Kubernetes RBAC 403): ${msg}`;
    if (e.code === 404) return `Not found: ${msg || 'the resource does not exist'}`;
    return `Kubernetes API error ${e.code}: ${msg || 'no message'}`;
  }
  const code =
    (e as { code?: string; cause?: { code?: string } })?.code ?? (e as { cause?: { code?: string } })?.cause?.code;
  if (
    code &&
    /^(ECONNREFUSED|ENOTFOUND|ECONNRESET|ETIMEDOUT|EAI_AGAIN|EHOSTUNREACH|CERT_|DEPTH_ZERO|UNABLE_TO)/.test(code)
  )
    return `Kubernetes API unreachable (${code}).`;
  if ((e as Error)?.name === 'FetchError') return `Kubernetes API unreachable: ${(e as Error).message}`;
  return null;
}
