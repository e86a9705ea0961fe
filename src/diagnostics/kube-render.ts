import type { V1Deployment, V1Node, V1Pod } from '@kubernetes/client-node';
import YAML from 'yaml';
import { age, cpuMillis, memoryMi, table } from './format.js';
import type { ResourceKind } from './kubectl-args.js';
import type { KubeRead } from './kubectl-read.js';

/**
 * kubectl's printers for what the Kubernetes executor reads: `get` tables (with `-o wide/json/yaml/name`),
 * `describe` text, events, `top` sorting and `rollout status`. Pure: objects in, text out (`now` passed in).
 */

// biome-ignore lint/suspicious/noExplicitAny: typed and custom resources are read loosely, field by field, like kubectl's printers.
export type Obj = Record<string, any>;

export function eventTime(e: Obj): number {
  const t = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp;
  return t ? new Date(t).getTime() : 0;
}

/** `kubectl get` output for the objects read. */
export function renderGet(
  req: Extract<KubeRead, { verb: 'get' | 'describe' }>,
  items: Obj[],
  now: Date,
  ns: string,
): string {
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

export const COLUMNS: Record<ResourceKind, Columns> = {
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

/** kubectl describe's text for one object, with its events already rendered (see {@link eventsTable}). */
export function describeObject(kind: ResourceKind, o: Obj, events: string): string {
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
  lines.push('Events:', events);
  return lines.join('\n');
}

/** Events under a described object, oldest first, indented; `  <none>` when there are none. */
export function eventsTable(events: Obj[], now: Date): string {
  if (!events.length) return '  <none>';
  const { headers, rows } = COLUMNS.events(
    [...events].sort((a, b) => eventTime(a) - eventTime(b)),
    now,
    false,
  );
  return table(headers, rows)
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

export function kv(m: Record<string, unknown> | undefined): string {
  const e = Object.entries(m ?? {});
  return e.length ? e.map(([k, v]) => `${k}=${v}`).join(', ') : '<none>';
}

/** `kubectl top --sort-by`: by usage, highest first; else by name. */
export function sortTop(
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
