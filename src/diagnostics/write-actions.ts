import { AppsV1Api, type KubeConfig, type V1Deployment, type V1ReplicaSet } from '@kubernetes/client-node';
import type { KubeWrite } from './kubectl-write.js';
import { replicaSetsOf } from './kubernetes.js';

export { type KubeWrite, parseKubectlWrite, SUPPORTED_WRITES } from './kubectl-write.js';

import { RefusedError, type WritePlan } from './types.js';

const REVISION = 'deployment.kubernetes.io/revision';
const images = (t: { spec?: { containers?: { image?: string }[] } } | undefined) =>
  (t?.spec?.containers ?? []).map((c) => c.image).join(', ');

/** Reads the live deployment and describes exactly what the write will change. */
export async function planKubeWrite(
  w: KubeWrite,
  kc: KubeConfig,
  ns: string,
  command: string,
  incidentId: number,
): Promise<WritePlan> {
  const apps = kc.makeApiClient(AppsV1Api);
  const base = { namespace: ns, name: w.name, resource: `deployment/${w.name}`, command, incidentId };
  if (w.kind === 'scale') {
    const d = await apps.readNamespacedDeployment({ name: w.name, namespace: ns });
    const from = d.spec?.replicas ?? 1;
    return {
      ...base,
      kind: 'scale',
      description:
        from === w.replicas
          ? `Deployment ${ns}/${w.name} already has ${from} replicas; nothing would change.`
          : `Scale deployment ${ns}/${w.name} from ${from} to ${w.replicas} replicas.`,
      before: { replicas: from },
      after: { replicas: w.replicas },
      resourceVersion: d.metadata?.resourceVersion ?? '',
    };
  }
  if (w.kind === 'rollout-restart') {
    const d = await apps.readNamespacedDeployment({ name: w.name, namespace: ns });
    const n = d.spec?.replicas ?? 1;
    return {
      ...base,
      kind: 'rollout-restart',
      description: `Restart deployment ${ns}/${w.name}: replace all ${n} pod(s) one by one (rolling restart, image ${images(d.spec?.template)} unchanged).`,
      before: { replicas: n, images: images(d.spec?.template) },
      after: { restartedAt: 'now' },
      resourceVersion: d.metadata?.resourceVersion ?? '',
    };
  }
  const { deployment, replicaSets } = await replicaSetsOf(w.name, ns, apps);
  const current = Number(deployment.metadata?.annotations?.[REVISION] ?? 0);
  const to = undoTarget(replicaSets, current, w.toRevision);
  const toRev = Number(to.metadata?.annotations?.[REVISION]);
  return {
    ...base,
    kind: 'rollout-undo',
    description: `Roll back deployment ${ns}/${w.name} from revision ${current} (${images(deployment.spec?.template)}) to revision ${toRev} (${images(to.spec?.template)}).`,
    before: { revision: current, images: images(deployment.spec?.template) },
    after: { revision: toRev, images: images(to.spec?.template) },
    resourceVersion: deployment.metadata?.resourceVersion ?? '',
  };
}

function undoTarget(replicaSets: V1ReplicaSet[], current: number, toRevision?: number): V1ReplicaSet {
  const rev = (r: V1ReplicaSet) => Number(r.metadata?.annotations?.[REVISION] ?? 0);
  if (toRevision !== undefined) {
    const rs = replicaSets.find((r) => rev(r) === toRevision);
    if (!rs)
      throw new RefusedError(`Revision ${toRevision} not found; known: ${replicaSets.map(rev).join(', ') || 'none'}.`);
    if (toRevision === current) throw new RefusedError(`Revision ${toRevision} is already the current one.`);
    return rs;
  }
  const previous = replicaSets.filter((r) => rev(r) < current).sort((a, b) => rev(b) - rev(a))[0];
  if (!previous) throw new RefusedError('There is no previous revision to roll back to.');
  return previous;
}

/**
 * Applies a confirmed plan. Refuses when the object changed in a way that makes the confirmation
 * stale (someone scaled or rolled out meanwhile); the replace carries the fresh resourceVersion, so a
 * concurrent change in between gets a 409 instead of being overwritten.
 */
export async function applyKubeWrite(plan: WritePlan, kc: KubeConfig, now: Date): Promise<string> {
  const apps = kc.makeApiClient(AppsV1Api);
  const d: V1Deployment = await apps.readNamespacedDeployment({ name: plan.name, namespace: plan.namespace });
  const stale = () =>
    new RefusedError(
      `deployment/${plan.name} changed since the confirmation was shown; run the step again to see the new plan.`,
    );
  const spec = d.spec ?? { selector: {}, template: {} };
  if (plan.kind === 'scale') {
    if ((spec.replicas ?? 1) !== plan.before.replicas) throw stale();
    spec.replicas = plan.after.replicas as number;
    await apps.replaceNamespacedDeployment({ name: plan.name, namespace: plan.namespace, body: { ...d, spec } });
    return `deployment.apps/${plan.name} scaled from ${plan.before.replicas} to ${plan.after.replicas} replicas`;
  }
  if (plan.kind === 'rollout-restart') {
    const tmeta = spec.template.metadata ?? {};
    tmeta.annotations = { ...(tmeta.annotations ?? {}), 'kubectl.kubernetes.io/restartedAt': now.toISOString() };
    spec.template.metadata = tmeta;
    await apps.replaceNamespacedDeployment({ name: plan.name, namespace: plan.namespace, body: { ...d, spec } });
    return `deployment.apps/${plan.name} restarted`;
  }
  if (Number(d.metadata?.annotations?.[REVISION] ?? 0) !== plan.before.revision) throw stale();
  const { replicaSets } = await replicaSetsOf(plan.name, plan.namespace, apps);
  const rs = replicaSets.find((r) => Number(r.metadata?.annotations?.[REVISION]) === plan.after.revision);
  if (!rs?.spec?.template) throw stale();
  const template = structuredClone(rs.spec.template);
  if (template.metadata?.labels) delete template.metadata.labels['pod-template-hash'];
  spec.template = template;
  await apps.replaceNamespacedDeployment({ name: plan.name, namespace: plan.namespace, body: { ...d, spec } });
  return `deployment.apps/${plan.name} rolled back to revision ${plan.after.revision}`;
}
