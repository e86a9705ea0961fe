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

/**
 * The reads the Kubernetes executor serves, as kubectl spells them: a kubectl/oc line (argv) becomes a validated
 * {@link KubeRead} or a RefusedError saying why not. Pure; the flags and names themselves are read by
 * kubectl-args.ts, the requests run by kubernetes.ts.
 */

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

export const READ_VERBS = 'get, describe, logs, top, rollout status, rollout history';

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
