import { UserFacingError } from '../errors.js';
import { commonFlags, positiveInt, target as resourceTarget } from './kubectl-args.js';
import { takeOption } from './parse-command.js';
import { RefusedError } from './types.js';

/**
 * The kubectl writes the bot performs itself, read from a kubectl line: scale, rollout restart and rollout undo of
 * a deployment. Pure; planned and applied by write-actions.ts, and consulted by the runbook classifier so that
 * only these writes are offered as runnable.
 */

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
