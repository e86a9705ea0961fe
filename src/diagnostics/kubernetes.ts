import {
  ApiException,
  AppsV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type V1Deployment,
  type V1Node,
  type V1Pod,
} from '@kubernetes/client-node';
import YAML from 'yaml';
import { age, cpuMillis, memoryMi, table } from './format.js';
import {
  checkName,
  commonFlags,
  durationSeconds,
  positiveInt,
  type ResourceKind,
  refuseUnknownFlags,
  target,
} from './kubectl-args.js';
import { takeOption } from './parse-command.js';
import { RefusedError } from './types.js';

/** Most objects one list call asks the API server for (its `limit`): bounds memory before anything is formatted. */
export const KUBE_LIST_LIMIT = 500;

/** A validated read request parsed from a kubectl line. */
export type KubeRead =
  | {
      verb: 'get' | 'describe';
      kind: ResourceKind;
      name?: string;
      namespace?: string;
      allNamespaces: boolean;
      selector?: string;
      fieldSelector?: string;
      output: 'table' | 'wide' | 'yaml' | 'json' | 'name';
      notes: string[];
    }
  | {
      verb: 'logs';
      pod?: string;
      deployment?: string;
      selector?: string;
      namespace?: string;
      container?: string;
      previous: boolean;
      tail?: number;
      sinceSeconds?: number;
      notes: string[];
    }
  | {
      verb: 'top';
      kind: 'pods' | 'nodes';
      name?: string;
      namespace?: string;
      allNamespaces: boolean;
      selector?: string;
      sortBy?: 'cpu' | 'memory';
      containers: boolean;
      notes: string[];
    }
  | {
      verb: 'rollout-status' | 'rollout-history';
      name: string;
      namespace?: string;
      revision?: number;
      notes: string[];
    };

const READ_VERBS = 'get, describe, logs, top, rollout status, rollout history';

/** kubectl argv (starting with `kubectl`) -> a read request, or a RefusedError saying why not. */
export function parseKubectlRead(argv: string[]): KubeRead {
  if (!/^(kubectl|oc|k)$/.test(argv[0] ?? '')) throw new RefusedError('Not a kubectl command.');
  const flags = commonFlags(argv.slice(1));
  const [verb, ...rest] = flags.rest;
  const base = { namespace: flags.namespace, notes: flags.notes };
  switch (verb) {
    case 'get':
    case 'describe': {
      const output = outputFormat(flags.output, verb);
      const t = target(refuseUnknownFlags(rest, verb));
      return {
        verb,
        kind: t.kind,
        name: t.name,
        ...base,
        allNamespaces: flags.allNamespaces,
        selector: flags.selector,
        fieldSelector: flags.fieldSelector,
        output,
      };
    }
    case 'logs':
    case 'log': {
      const c = takeOption(rest, ['-c', '--container']);
      const p = takeOption(c.rest, ['-p', '--previous'], { flag: true });
      const tail = takeOption(p.rest, ['--tail']);
      const since = takeOption(tail.rest, ['--since']);
      const allc = takeOption(since.rest, ['--all-containers'], { flag: true });
      if (allc.found) base.notes.push('(--all-containers ignored: showing one container)');
      const positional = refuseUnknownFlags(allc.rest, 'logs');
      if (positional.length > 1) throw new RefusedError('kubectl logs takes one pod (or deployment/name).');
      let pod: string | undefined;
      let deployment: string | undefined;
      const what = positional[0];
      if (what?.includes('/')) {
        const [k = '', n = ''] = what.split('/', 2);
        if (/^(deploy|deployment|deployments)(\.apps)?$/.test(k)) deployment = checkName(n);
        else if (/^(po|pod|pods)$/.test(k)) pod = checkName(n);
        else throw new RefusedError(`kubectl logs ${k}/... is not supported; use a pod or deployment/name.`);
      } else if (what) pod = checkName(what);
      if (!pod && !deployment && !flags.selector)
        throw new RefusedError('kubectl logs needs a pod, deployment/name or -l selector.');
      if (c.value !== undefined) checkName(c.value, 'container name');
      const tailN = tail.value === undefined || tail.value === '-1' ? undefined : positiveInt(tail.value, '--tail');
      return {
        verb: 'logs',
        ...base,
        pod,
        deployment,
        selector: flags.selector,
        container: c.value,
        previous: p.found && p.value !== 'false',
        tail: tailN,
        sinceSeconds: since.value === undefined ? undefined : durationSeconds(since.value),
      };
    }
    case 'top': {
      const containers = takeOption(rest, ['--containers'], { flag: true });
      const [kindWord, name, ...more] = refuseUnknownFlags(containers.rest, 'top');
      const kind = /^(po|pod|pods)$/.test(kindWord ?? '')
        ? 'pods'
        : /^(no|node|nodes)$/.test(kindWord ?? '')
          ? 'nodes'
          : null;
      if (!kind || more.length) throw new RefusedError('kubectl top supports "top pods" and "top nodes".');
      const sortBy =
        flags.sortBy === undefined
          ? undefined
          : flags.sortBy === 'cpu' || flags.sortBy === 'memory'
            ? flags.sortBy
            : null;
      if (sortBy === null) throw new RefusedError('kubectl top --sort-by takes cpu or memory.');
      return {
        verb: 'top',
        kind,
        name: name === undefined ? undefined : checkName(name),
        ...base,
        allNamespaces: flags.allNamespaces,
        selector: flags.selector,
        sortBy,
        containers: containers.found && containers.value !== 'false',
      };
    }
    case 'rollout': {
      const [sub, ...r] = rest;
      if (sub !== 'status' && sub !== 'history')
        throw new RefusedError(`kubectl rollout ${sub ?? ''} is not a read; reads supported: ${READ_VERBS}.`);
      const rev = takeOption(r, ['--revision']);
      const t = target(refuseUnknownFlags(rev.rest, `rollout ${sub}`));
      if (t.kind !== 'deployments' || !t.name)
        throw new RefusedError(`kubectl rollout ${sub} supports deployment/NAME.`);
      return {
        verb: sub === 'status' ? 'rollout-status' : 'rollout-history',
        name: t.name,
        ...base,
        revision: rev.value === undefined ? undefined : positiveInt(rev.value, '--revision'),
      };
    }
    default:
      throw new RefusedError(`kubectl ${verb ?? ''} is not a supported read; supported: ${READ_VERBS}.`);
  }
}

function outputFormat(o: string | undefined, verb: string): 'table' | 'wide' | 'yaml' | 'json' | 'name' {
  if (o === undefined) return 'table';
  if (verb === 'describe') throw new RefusedError('kubectl describe does not take -o.');
  if (o === 'wide' || o === 'yaml' || o === 'json' || o === 'name') return o;
  throw new RefusedError(`kubectl -o ${o.slice(0, 40)} is not supported; use wide, yaml, json or name.`);
}

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
        const parts = await Promise.all(shown.map((o) => describe(req.kind, o, ctx, core)));
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

// biome-ignore lint/suspicious/noExplicitAny: typed and custom resources are read loosely, field by field, like kubectl's printers.
type Obj = Record<string, any>;

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

function eventTime(e: Obj): number {
  const t = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp;
  return t ? new Date(t).getTime() : 0;
}

function renderGet(req: Extract<KubeRead, { verb: 'get' | 'describe' }>, items: Obj[], now: Date, ns: string): string {
  if (req.output === 'json') return JSON.stringify(items.length === 1 && req.name ? items[0] : { items }, null, 2);
  if (req.output === 'yaml') return YAML.stringify(items.length === 1 && req.name ? items[0] : { items });
  if (req.output === 'name') return items.map((o) => `${req.kind.replace(/s$/, '')}/${o.metadata?.name}`).join('\n');
  if (!items.length) return req.allNamespaces ? 'No resources found' : `No resources found in ${ns} namespace.`;
  const wide = req.output === 'wide';
  const withNs = req.allNamespaces && !req.name && req.kind !== 'nodes';
  const { headers, rows } = COLUMNS[req.kind](items, now, wide);
  return table(
    withNs ? ['namespace', ...headers] : headers,
    withNs ? rows.map((r, i) => [items[i]?.metadata?.namespace, ...r]) : rows,
  );
}

type Columns = (
  items: Obj[],
  now: Date,
  wide: boolean,
) => { headers: string[]; rows: (string | number | undefined)[][] };

const COLUMNS: Record<ResourceKind, Columns> = {
  pods: (items, now, wide) => ({
    headers: ['name', 'ready', 'status', 'restarts', 'age', ...(wide ? ['ip', 'node'] : [])],
    rows: items.map((p) => [
      p.metadata?.name,
      podReady(p),
      podStatus(p),
      podRestarts(p, now),
      age(p.metadata?.creationTimestamp, now),
      ...(wide ? [p.status?.podIP ?? '<none>', p.spec?.nodeName ?? '<none>'] : []),
    ]),
  }),
  deployments: (items, now, wide) => ({
    headers: ['name', 'ready', 'up-to-date', 'available', 'age', ...(wide ? ['containers', 'images', 'selector'] : [])],
    rows: items.map((d) => [
      d.metadata?.name,
      `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
      d.status?.updatedReplicas ?? 0,
      d.status?.availableReplicas ?? 0,
      age(d.metadata?.creationTimestamp, now),
      ...(wide
        ? [
            (d.spec?.template?.spec?.containers ?? []).map((c: Obj) => c.name).join(','),
            (d.spec?.template?.spec?.containers ?? []).map((c: Obj) => c.image).join(','),
            Object.entries(d.spec?.selector?.matchLabels ?? {})
              .map(([k, v]) => `${k}=${v}`)
              .join(','),
          ]
        : []),
    ]),
  }),
  nodes: (items, now, wide) => ({
    headers: [
      'name',
      'status',
      'roles',
      'age',
      'version',
      ...(wide ? ['internal-ip', 'os-image', 'kernel-version'] : []),
    ],
    rows: items.map((n) => [
      n.metadata?.name,
      nodeStatus(n),
      nodeRoles(n),
      age(n.metadata?.creationTimestamp, now),
      n.status?.nodeInfo?.kubeletVersion,
      ...(wide
        ? [
            (n.status?.addresses ?? []).find((a: Obj) => a.type === 'InternalIP')?.address ?? '<none>',
            n.status?.nodeInfo?.osImage,
            n.status?.nodeInfo?.kernelVersion,
          ]
        : []),
    ]),
  }),
  events: (items, now) => ({
    headers: ['last seen', 'type', 'reason', 'object', 'message'],
    rows: items.map((e) => [
      age(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp, now),
      e.type,
      e.reason,
      `${String(e.involvedObject?.kind ?? '').toLowerCase()}/${e.involvedObject?.name ?? ''}`,
      String(e.message ?? '').replace(/\s*\n\s*/g, ' '),
    ]),
  }),
  hpa: (items, now) => ({
    headers: ['name', 'reference', 'targets', 'minpods', 'maxpods', 'replicas', 'age'],
    rows: items.map((h) => [
      h.metadata?.name,
      `${h.spec?.scaleTargetRef?.kind}/${h.spec?.scaleTargetRef?.name}`,
      hpaTargets(h),
      h.spec?.minReplicas ?? 1,
      h.spec?.maxReplicas,
      h.status?.currentReplicas ?? 0,
      age(h.metadata?.creationTimestamp, now),
    ]),
  }),
  pvc: (items, now) => ({
    headers: ['name', 'status', 'volume', 'capacity', 'access modes', 'storageclass', 'age'],
    rows: items.map((p) => [
      p.metadata?.name,
      p.status?.phase,
      p.spec?.volumeName ?? '',
      p.status?.capacity?.storage ?? '',
      (p.status?.accessModes ?? p.spec?.accessModes ?? []).map(accessMode).join(','),
      p.spec?.storageClassName ?? '<unset>',
      age(p.metadata?.creationTimestamp, now),
    ]),
  }),
  certificates: (items, now, wide) => ({
    headers: ['name', 'ready', 'secret', 'not after', 'age', ...(wide ? ['issuer', 'status'] : [])],
    rows: items.map((c) => {
      const ready = (c.status?.conditions ?? []).find((x: Obj) => x.type === 'Ready');
      return [
        c.metadata?.name,
        ready?.status ?? 'Unknown',
        c.spec?.secretName,
        c.status?.notAfter ?? '<none>',
        age(c.metadata?.creationTimestamp, now),
        ...(wide ? [c.spec?.issuerRef?.name, ready?.message ?? ''] : []),
      ];
    }),
  }),
};

function accessMode(m: string): string {
  return (
    (
      { ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' } as Record<
        string,
        string
      >
    )[m] ?? m
  );
}

export function podReady(p: Obj): string {
  const statuses: Obj[] = p.status?.containerStatuses ?? [];
  const total = p.spec?.containers?.length ?? statuses.length;
  return `${statuses.filter((s) => s.ready).length}/${total}`;
}

/** kubectl's STATUS column: container waiting/terminated reasons win over the phase. */
export function podStatus(p: Obj): string {
  if (p.metadata?.deletionTimestamp) return 'Terminating';
  let reason: string = p.status?.reason ?? p.status?.phase ?? 'Unknown';
  for (const s of (p.status?.initContainerStatuses ?? []) as Obj[]) {
    if (s.state?.terminated?.exitCode === 0) continue;
    if (s.state?.waiting?.reason && s.state.waiting.reason !== 'PodInitializing')
      return `Init:${s.state.waiting.reason}`;
    if (s.state?.terminated) return `Init:${s.state.terminated.reason ?? 'Error'}`;
  }
  for (const s of [...((p.status?.containerStatuses ?? []) as Obj[])].reverse()) {
    if (s.state?.waiting?.reason) reason = s.state.waiting.reason;
    else if (s.state?.terminated?.reason) reason = s.state.terminated.reason;
    else if (s.state?.terminated)
      reason = s.state.terminated.signal
        ? `Signal:${s.state.terminated.signal}`
        : `ExitCode:${s.state.terminated.exitCode}`;
  }
  return reason;
}

export function podRestarts(p: Obj, now: Date): string {
  const statuses: Obj[] = p.status?.containerStatuses ?? [];
  const n = statuses.reduce((a, s) => a + (s.restartCount ?? 0), 0);
  const last = statuses
    .map((s) => s.lastState?.terminated?.finishedAt)
    .filter(Boolean)
    .map((t) => new Date(t).getTime())
    .sort((a, b) => b - a)[0];
  return n > 0 && last ? `${n} (${age(new Date(last), now)} ago)` : String(n);
}

function nodeStatus(n: Obj): string {
  const ready = (n.status?.conditions ?? []).find((c: Obj) => c.type === 'Ready');
  const s = ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown';
  return n.spec?.unschedulable ? `${s},SchedulingDisabled` : s;
}

function nodeRoles(n: Obj): string {
  const roles = Object.keys(n.metadata?.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length))
    .filter(Boolean);
  return roles.length ? roles.sort().join(',') : '<none>';
}

function hpaTargets(h: Obj): string {
  const specs: Obj[] = h.spec?.metrics ?? [];
  const current: Obj[] = h.status?.currentMetrics ?? [];
  if (!specs.length) return '<none>';
  return specs
    .map((m, i) => {
      if (m.type === 'Resource') {
        const cur = current.find((c) => c.type === 'Resource' && c.resource?.name === m.resource?.name) ?? current[i];
        const t = m.resource?.target ?? {};
        const curU = cur?.resource?.current?.averageUtilization;
        if (t.averageUtilization !== undefined)
          return `${m.resource?.name}: ${curU === undefined ? '<unknown>' : `${curU}%`}/${t.averageUtilization}%`;
        return `${m.resource?.name}: ${cur?.resource?.current?.averageValue ?? '<unknown>'}/${t.averageValue}`;
      }
      const key = m.type === 'Pods' ? 'pods' : m.type === 'Object' ? 'object' : 'external';
      const t = m[key]?.target ?? {};
      const cur = current[i]?.[key]?.current ?? {};
      return `${cur.averageValue ?? cur.value ?? '<unknown>'}/${t.averageValue ?? t.value ?? '?'}`;
    })
    .join(', ');
}

async function describe(kind: ResourceKind, o: Obj, ctx: KubeContext, core: CoreV1Api): Promise<string> {
  const m = o.metadata ?? {};
  const lines: string[] = [`Name:         ${m.name}`];
  if (m.namespace) lines.push(`Namespace:    ${m.namespace}`);
  lines.push(`Labels:       ${kv(m.labels)}`);
  if (kind === 'pods') {
    const p = o as V1Pod;
    lines.push(
      `Node:         ${p.spec?.nodeName ?? '<none>'}`,
      `Start Time:   ${p.status?.startTime ? new Date(p.status.startTime).toISOString() : '<unknown>'}`,
      `Status:       ${podStatus(o)}`,
      `IP:           ${p.status?.podIP ?? '<none>'}`,
      'Containers:',
    );
    for (const c of p.spec?.containers ?? []) {
      const s = p.status?.containerStatuses?.find((x) => x.name === c.name);
      const state = s?.state?.running
        ? 'Running'
        : s?.state?.waiting
          ? `Waiting (${s.state.waiting.reason})`
          : s?.state?.terminated
            ? `Terminated (${s.state.terminated.reason})`
            : 'Unknown';
      lines.push(
        `  ${c.name}:`,
        `    Image:          ${c.image}`,
        `    State:          ${state}`,
        ...(s?.lastState?.terminated
          ? [
              `    Last State:     Terminated (${s.lastState.terminated.reason}, exit ${s.lastState.terminated.exitCode}, finished ${new Date(s.lastState.terminated.finishedAt as unknown as string).toISOString()})`,
            ]
          : []),
        `    Ready:          ${s?.ready ?? false}`,
        `    Restart Count:  ${s?.restartCount ?? 0}`,
        `    Limits:         ${kv(c.resources?.limits)}`,
        `    Requests:       ${kv(c.resources?.requests)}`,
      );
    }
    lines.push('Conditions:', ...(p.status?.conditions ?? []).map((c) => `  ${c.type.padEnd(18)} ${c.status}`));
  } else if (kind === 'deployments') {
    const d = o as V1Deployment;
    lines.push(
      `Replicas:     ${d.spec?.replicas ?? 0} desired | ${d.status?.updatedReplicas ?? 0} updated | ${d.status?.replicas ?? 0} total | ${d.status?.availableReplicas ?? 0} available | ${d.status?.unavailableReplicas ?? 0} unavailable`,
      `Selector:     ${kv(d.spec?.selector?.matchLabels)}`,
      `StrategyType: ${d.spec?.strategy?.type ?? 'RollingUpdate'}`,
      'Containers:',
      ...(d.spec?.template?.spec?.containers ?? []).map(
        (c) => `  ${c.name}: ${c.image} (limits ${kv(c.resources?.limits)}; requests ${kv(c.resources?.requests)})`,
      ),
      'Conditions:',
      ...(d.status?.conditions ?? []).map((c) => `  ${c.type.padEnd(14)} ${c.status.padEnd(6)} ${c.reason ?? ''}`),
    );
  } else if (kind === 'nodes') {
    const n = o as V1Node;
    lines.push(
      `Roles:        ${nodeRoles(o)}`,
      `Unschedulable: ${n.spec?.unschedulable ?? false}`,
      'Conditions:',
      ...(n.status?.conditions ?? []).map((c) =>
        `  ${c.type.padEnd(20)} ${c.status.padEnd(6)} ${c.reason ?? ''}  ${c.message ?? ''}`.trimEnd(),
      ),
      `Capacity:     ${kv(n.status?.capacity)}`,
      `Allocatable:  ${kv(n.status?.allocatable)}`,
    );
  } else {
    const { spec, status } = o;
    lines.push(YAML.stringify({ spec, status }).trimEnd());
  }
  lines.push('Events:', await eventsFor(o, kind, ctx, core));
  return lines.join('\n');
}

async function eventsFor(o: Obj, kind: ResourceKind, ctx: KubeContext, core: CoreV1Api): Promise<string> {
  if (kind === 'events') return '  <none>';
  try {
    const fieldSelector = `involvedObject.name=${o.metadata?.name}`;
    const list = o.metadata?.namespace
      ? await core.listNamespacedEvent({ namespace: o.metadata.namespace, fieldSelector, limit: KUBE_LIST_LIMIT })
      : await core.listEventForAllNamespaces({ fieldSelector });
    if (!list.items.length) return '  <none>';
    const { headers, rows } = COLUMNS.events(
      [...list.items].sort((a, b) => eventTime(a) - eventTime(b)),
      ctx.now,
      false,
    );
    return table(headers, rows)
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n');
  } catch {
    return '  (events could not be read)';
  }
}

function kv(m: Record<string, unknown> | undefined): string {
  const e = Object.entries(m ?? {});
  return e.length ? e.map(([k, v]) => `${k}=${v}`).join(', ') : '<none>';
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

function sortTop(
  items: Obj[],
  by: 'cpu' | 'memory' | undefined,
  usage: (m: Obj) => { cpu?: string; memory?: string },
): Obj[] {
  if (!by) return [...items].sort((a, b) => String(a.metadata?.name).localeCompare(String(b.metadata?.name)));
  const val = (m: Obj) => (by === 'cpu' ? cpuMillis(usage(m)?.cpu) : memoryMi(usage(m)?.memory));
  return [...items].sort((a, b) => val(b) - val(a));
}

/** kubectl rollout status, evaluated once instead of watching. */
export function rolloutStatus(d: V1Deployment): string {
  const name = d.metadata?.name;
  const spec = d.spec?.replicas ?? 1;
  const st = d.status ?? {};
  if ((d.metadata?.generation ?? 0) > (st.observedGeneration ?? 0))
    return 'Waiting for deployment spec update to be observed...';
  const progressing = st.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded')
    return `error: deployment "${name}" exceeded its progress deadline`;
  const updated = st.updatedReplicas ?? 0;
  const total = st.replicas ?? 0;
  const available = st.availableReplicas ?? 0;
  if (updated < spec)
    return `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${spec} new replicas have been updated...`;
  if (total > updated)
    return `Waiting for deployment "${name}" rollout to finish: ${total - updated} old replicas are pending termination...`;
  if (available < updated)
    return `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...`;
  return `deployment "${name}" successfully rolled out`;
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
