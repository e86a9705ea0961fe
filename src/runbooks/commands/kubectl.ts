import { parseKubectlRead } from '../../diagnostics/kubectl-read.js';
import { parseKubectlWrite } from '../../diagnostics/kubectl-write.js';
import { RefusedError } from '../../diagnostics/types.js';
import type { Risk } from '../schema.js';
import { type Finding, f, hasFlag, type Nested, positionals } from './finding.js';
import { credentialFlag, KUBECTL_STREAM_FLAGS } from './kubectl-flags.js';

export { credentialFlag, KUBECTL_CREDENTIAL_FLAG, KUBECTL_STREAM_FLAGS } from './kubectl-flags.js';

/**
 * Grammar of kubectl/oc, shared with the Kubernetes executor's argument reader (diagnostics/kubectl-args.ts): the
 * flags that take a value, the flags that stream, and the flags that pick other credentials than the bot's.
 */

/** kubectl flags whose value is the next word (`-n shop`); `--flag=value` is one word anyway. */
export const KUBECTL_VALUED =
  /^(-n|--namespace|--context|--cluster|--kubeconfig|--user|-s|--server|--token|-l|--selector|-o|--output|-c|--container|-f|--filename|-p|--patch|--type|--replicas|--tail|--since|--field-selector|--sort-by|--image|--timeout|--for|-k|--limits|--requests|--from-literal|--from-file|--cert|--key|--dry-run|--grace-period|--zone|--revision|--to-revision|--min|--max|--cpu-percent|-L|--label-columns)$/;

/** `kubectl` and `oc`: classified by verb (get/describe/logs read; scale/rollout write; delete destructive). */
export function kubectlFindings(args: string[], nested: Nested): Finding[] {
  const pos = positionals(args, KUBECTL_VALUED);
  const verb = pos[0] ?? '';
  const sub = pos[1] ?? '';
  const streaming = args.some((w) => KUBECTL_STREAM_FLAGS.has(w)) && verb !== 'apply' && verb !== 'create';
  const credentials = credentialFlag(args);
  const stream = credentials
    ? `it picks other cluster credentials (${credentials}); the bot only uses its own`
    : streaming
      ? 'it streams until you stop it'
      : executorRefusal(args);
  const dryRun = hasFlag(args, /^--dry-run(=(client|server))?$/);
  const fileArg = args.find((w, i) => (args[i - 1] === '-f' || args[i - 1] === '--filename') && w !== '-');
  const needsFile = fileArg ? `it needs the local file ${fileArg}` : null;
  const k = (risk: Risk, what: string, blocker: string | null = null) =>
    f(
      'kubernetes',
      risk,
      `${what} (kubectl ${verb}${sub && /^(rollout|set|auth|config)$/.test(verb) ? ` ${sub}` : ''})`,
      blocker ?? (risk === 'write' ? writeRefusal(args) : null),
    );
  switch (verb) {
    case 'get':
      return [k('read', 'lists Kubernetes resources', stream)];
    case 'describe':
      return [k('read', 'describes Kubernetes resources', stream)];
    case 'logs':
      return [k('read', 'reads container logs', stream)];
    case 'top':
      return [k('read', 'shows CPU and memory use', stream)];
    case 'events':
      return [k('read', 'lists cluster events', stream)];
    case 'explain':
    case 'api-resources':
    case 'api-versions':
    case 'version':
    case 'cluster-info':
      return [k('read', 'reads cluster metadata')];
    case 'wait':
      return [k('read', 'waits for a condition', 'it blocks until the condition or timeout')];
    case 'diff':
      return [k('read', 'diffs manifests against the cluster', needsFile)];
    case 'auth':
      return [k('read', 'checks permissions')];
    case 'config':
      return /^(view|get-contexts|current-context|get-clusters)$/.test(sub)
        ? [k('read', 'reads kubeconfig', 'it reads your local kubeconfig')]
        : [k('write', 'changes your kubeconfig', 'it changes local files')];
    case 'rollout':
      if (sub === 'status') return [k('read', 'shows rollout progress', 'it waits for the rollout')];
      if (sub === 'history') return [k('read', 'lists rollout revisions')];
      if (sub === 'restart') return [k('write', 'restarts every pod of the workload')];
      if (sub === 'undo') return [k('write', 'rolls the workload back to its previous revision')];
      return [k('write', 'changes a rollout')];
    case 'scale':
      return [k('write', 'changes the replica count')];
    case 'autoscale':
      return [k('write', 'creates or changes an autoscaler')];
    case 'set':
      return [
        k('write', `changes the workload's ${sub === 'env' ? 'environment' : sub || 'spec'}, restarting its pods`),
      ];
    case 'patch':
      return [k('write', 'patches a live object', needsFile)];
    case 'label':
    case 'annotate':
    case 'taint':
      return [k('write', `changes ${verb === 'taint' ? 'node taints' : `${verb}s`}`)];
    case 'cordon':
      return [k('write', 'stops new pods being scheduled on the node')];
    case 'uncordon':
      return [k('write', 'lets pods be scheduled on the node again')];
    case 'edit':
      return [k('write', 'edits a live object in an editor', 'it opens an interactive editor')];
    case 'apply':
    case 'create':
    case 'replace':
    case 'expose':
      if (verb === 'replace' && hasFlag(args, /^--force$/)) return [k('destructive', 'deletes and recreates objects')];
      if (dryRun) return [k('read', 'renders objects without changing the cluster (--dry-run)', needsFile)];
      return [
        k('write', verb === 'apply' ? 'applies manifests to the cluster' : 'creates Kubernetes objects', needsFile),
      ];
    case 'drain':
      return hasFlag(args, /^--force(=true)?$/)
        ? [k('destructive', 'force-evicts every pod on the node, deleting pods no controller will recreate')]
        : [k('write', 'evicts every pod from the node', 'draining needs the kubectl eviction loop')];
    case 'delete':
      return [k('destructive', 'deletes Kubernetes objects')];
    case 'exec':
    case 'debug':
    case 'attach': {
      const at = args.indexOf('--');
      const inner = at >= 0 ? nested.inner(args.slice(at + 1)) : [];
      return [k('exec', 'runs a command inside a container'), ...inner];
    }
    case 'run':
      return [k('exec', 'starts a pod running an arbitrary image')];
    case 'cp':
      return [k('exec', 'copies files in or out of a container')];
    case 'port-forward':
    case 'proxy':
      return [k('exec', 'opens a tunnel into the cluster')];
  }
  return [f('kubernetes', 'exec', `runs kubectl ${verb}, which the bot does not recognise`)];
}

/**
 * Why the Kubernetes executor would refuse this read (diagnostics/kubectl-read.ts, the same reader the *Run*
 * button uses), or null when it would run it: a read it cannot serve (`kubectl logs job/x`, `get services`) is
 * shown as one to run yourself rather than offered as a button that always fails. Placeholders are tried with a
 * sample value, as `incident-bot diagnostics check` does.
 */
function executorRefusal(args: readonly string[]): string | null {
  try {
    accepts(parseKubectlRead, args);
    return null;
  } catch (e) {
    const why = e instanceof Error ? e.message.replace(/\.$/, '') : 'it is not a read it serves';
    return `the bot's Kubernetes reader refuses it (${why})`;
  }
}

/**
 * Why the bot would not perform this write itself (diagnostics/kubectl-write.ts: scale, rollout restart and
 * rollout undo of a deployment), or null when it would, after approval. Placeholders are tried with a sample value.
 */
function writeRefusal(args: readonly string[]): string | null {
  try {
    accepts(parseKubectlWrite, args);
    return null;
  } catch (e) {
    if (e instanceof RefusedError) return `the bot refuses it (${e.message.replace(/\.$/, '')})`;
    return 'the bot itself only scales, restarts or rolls back a deployment';
  }
}

/**
 * Runs an executor's reader on the args with placeholders (`<pod>`, `$NS`, `${NS}`) given a sample value, a name
 * and then a number (`--replicas=<n>`); throws the reader's error when neither sample passes.
 */
function accepts(read: (argv: string[]) => unknown, args: readonly string[]): void {
  const placeholder = /<[A-Za-z][\w.:/@-]*>|\$\{?[A-Za-z_]\w*\}?/g;
  try {
    read(['kubectl', ...args.map((w) => w.replace(placeholder, 'example'))]);
  } catch (e) {
    if (!args.some((w) => w.replace(placeholder, '') !== w)) throw e;
    read(['kubectl', ...args.map((w) => w.replace(placeholder, '1'))]);
  }
}
