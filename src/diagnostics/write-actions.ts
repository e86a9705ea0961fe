import { AppsV1Api, type KubeConfig, type V1Deployment, type V1ReplicaSet } from '@kubernetes/client-node';
import { UserFacingError } from '../errors.js';
import { commonFlags, positiveInt, target as resourceTarget } from './kubectl-args.js';
import { replicaSetsOf } from './kubernetes.js';
import { takeOption } from './parse-command.js';
import { RefusedError, type WritePlan } from './types.js';

export type KubeWrite =
  | { kind: 'scale'; name: string; namespace?: string; replicas: number }
  | { kind: 'rollout-restart'; name: string; namespace?: string }
  | { kind: 'rollout-undo'; name: string; namespace?: string; toRevision?: number };

export const SUPPORTED_WRITES =
  'kubectl scale deployment NAME --replicas=N, kubectl rollout restart deployment/NAME, kubectl rollout undo deployment/NAME [--to-revision=N]';

const MAX_REPLICAS = 500;

/** The write actions the bot performs itself; anything else is shown as copyable text. */
export function parseKubectlWrite(argv: string[]): KubeWrite {
  const unsupported = () =>
    new UserFacingError(
      `The bot does not run this write itself; copy the command and run it yourself. Supported: ${SUPPORTED_WRITES}.`,
      'unsupported_write',
    );
  if (!/^(kubectl|oc|k)$/.test(argv[0] ?? '')) throw unsupported();
  const target = (words: string[]) => {
    try {
      return resourceTarget(words);
    } catch {
      throw unsupported();
    }
  };
  const flags = commonFlags(argv.slice(1));
  if (flags.allNamespaces || flags.selector || flags.output) throw unsupported();
  const [verb, ...rest] = flags.rest;
  if (verb === 'scale') {
    const r = takeOption(rest, ['--replicas']);
    const cur = takeOption(r.rest, ['--current-replicas']);
    if (r.value === undefined) throw new RefusedError('kubectl scale needs --replicas=N.');
    if (cur.rest.some((a) => a.startsWith('-'))) throw unsupported();
    const t = target(cur.rest);
    if (t.kind !== 'deployments' || !t.name) throw unsupported();
    return {
      kind: 'scale',
      name: t.name,
      namespace: flags.namespace,
      replicas: positiveInt(r.value, '--replicas', MAX_REPLICAS),
    };
  }
  if (verb === 'rollout' && (rest[0] === 'restart' || rest[0] === 'undo')) {
    const rev = takeOption(rest.slice(1), ['--to-revision']);
    if (rev.rest.some((a) => a.startsWith('-'))) throw unsupported();
    const t = target(rev.rest);
    if (t.kind !== 'deployments' || !t.name) throw unsupported();
    if (rest[0] === 'restart') {
      if (rev.found) throw unsupported();
      return { kind: 'rollout-restart', name: t.name, namespace: flags.namespace };
    }
    const toRevision =
      rev.value === undefined || rev.value === '0' ? undefined : positiveInt(rev.value, '--to-revision');
    return { kind: 'rollout-undo', name: t.name, namespace: flags.namespace, toRevision };
  }
  throw unsupported();
}

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
