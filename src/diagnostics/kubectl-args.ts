import { credentialFlag, KUBECTL_STREAM_FLAGS } from '../runbooks/commands/kubectl-flags.js';
import { takeOption } from './parse-command.js';
import { RefusedError } from './types.js';

export type ResourceKind = 'pods' | 'deployments' | 'nodes' | 'events' | 'hpa' | 'pvc' | 'certificates';

const RESOURCE_ALIASES: Record<string, ResourceKind> = {
  po: 'pods',
  pod: 'pods',
  pods: 'pods',
  deploy: 'deployments',
  deployment: 'deployments',
  deployments: 'deployments',
  'deployment.apps': 'deployments',
  'deployments.apps': 'deployments',
  no: 'nodes',
  node: 'nodes',
  nodes: 'nodes',
  ev: 'events',
  event: 'events',
  events: 'events',
  hpa: 'hpa',
  horizontalpodautoscaler: 'hpa',
  horizontalpodautoscalers: 'hpa',
  pvc: 'pvc',
  persistentvolumeclaim: 'pvc',
  persistentvolumeclaims: 'pvc',
  cert: 'certificates',
  certs: 'certificates',
  certificate: 'certificates',
  certificates: 'certificates',
  'certificates.cert-manager.io': 'certificates',
};

export const SUPPORTED_RESOURCES = 'pods, deployments, nodes, events, hpa, pvc, certificates';

export function resourceKind(word: string): ResourceKind {
  const kind = RESOURCE_ALIASES[word.toLowerCase()];
  if (!kind)
    throw new RefusedError(`kubectl resource "${word}" is not supported here; supported: ${SUPPORTED_RESOURCES}.`);
  return kind;
}

const RFC1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const RFC1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Label selectors: keys, values, =, ==, !=, in/notin sets; nothing else. */
const SELECTOR = /^[A-Za-z0-9._/=!,()\s-]{1,512}$/;
const FIELD_SELECTOR = /^[A-Za-z0-9._/=!,-]{1,512}$/;

export function checkName(name: string, what = 'name'): string {
  if (name.length > 253 || !RFC1123_SUBDOMAIN.test(name))
    throw new RefusedError(`"${name.slice(0, 80)}" is not a valid Kubernetes ${what} (RFC 1123).`);
  return name;
}

export function checkNamespace(ns: string): string {
  if (ns.length > 63 || !RFC1123_LABEL.test(ns))
    throw new RefusedError(`"${ns.slice(0, 80)}" is not a valid namespace (RFC 1123 label).`);
  return ns;
}

/** Splits kubectl flags common to every verb from the rest; refuses flags that would change where or how it runs. */
export interface CommonFlags {
  namespace?: string;
  allNamespaces: boolean;
  selector?: string;
  fieldSelector?: string;
  output?: string;
  sortBy?: string;
  rest: string[];
  notes: string[];
}

const IGNORED_FLAGS = new Set([
  ...KUBECTL_STREAM_FLAGS,
  '--show-labels',
  '--no-headers',
  '--timestamps',
  '--use-protocol-buffers',
  '--ignore-not-found',
  '--show-kind',
  '--show-events',
]);
const IGNORED_VALUE_FLAGS = ['--timeout', '--request-timeout', '--chunk-size', '--max-log-requests'];

export function commonFlags(args: string[]): CommonFlags {
  const credentials = credentialFlag(args);
  if (credentials)
    throw new RefusedError(
      `kubectl ${credentials} is not allowed: diagnostics always use the bot's own cluster credentials.`,
    );
  const notes: string[] = [];
  const ns = takeOption(args, ['-n', '--namespace']);
  const all = takeOption(ns.rest, ['-A', '--all-namespaces'], { flag: true });
  const sel = takeOption(all.rest, ['-l', '--selector']);
  const fsel = takeOption(sel.rest, ['--field-selector']);
  const out = takeOption(fsel.rest, ['-o', '--output']);
  const sort = takeOption(out.rest, ['--sort-by']);
  let rest = sort.rest;
  for (const f of IGNORED_VALUE_FLAGS) rest = takeOption(rest, [f]).rest;
  rest = rest.filter((a) => {
    const key = a.split('=')[0]!;
    if (!IGNORED_FLAGS.has(key)) return true;
    if (KUBECTL_STREAM_FLAGS.has(key)) notes.push(`(${key} ignored: showing the current state once)`);
    return false;
  });
  if (ns.value !== undefined) checkNamespace(ns.value);
  if (sel.value !== undefined && !SELECTOR.test(sel.value))
    throw new RefusedError(`Label selector "${sel.value.slice(0, 80)}" has characters a selector cannot contain.`);
  if (fsel.value !== undefined && !FIELD_SELECTOR.test(fsel.value))
    throw new RefusedError(`Field selector "${fsel.value.slice(0, 80)}" has characters a selector cannot contain.`);
  return {
    namespace: ns.value,
    allNamespaces: all.found && all.value !== 'false',
    selector: sel.value,
    fieldSelector: fsel.value,
    output: out.value,
    sortBy: sort.value,
    rest,
    notes,
  };
}

/** `deployment/api`, `deploy api`, `pods` -> kind and optional name. */
export function target(positional: string[]): { kind: ResourceKind; name?: string } {
  const [first, second, ...more] = positional;
  if (first === undefined) throw new RefusedError(`Which resource? Supported: ${SUPPORTED_RESOURCES}.`);
  if (first.includes(','))
    throw new RefusedError('Several resource types at once are not supported; use one per command.');
  if (first.includes('/')) {
    const [kindWord, name] = first.split('/', 2);
    if (second !== undefined) throw new RefusedError(`Unexpected argument "${second}".`);
    return { kind: resourceKind(kindWord!), name: checkName(name!) };
  }
  if (more.length) throw new RefusedError(`Only one object name is supported; got "${second} ${more.join(' ')}".`);
  return { kind: resourceKind(first), name: second === undefined ? undefined : checkName(second) };
}

/** `30s`, `5m`, `2h30m`, `1d` -> seconds. */
export function durationSeconds(s: string): number {
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(s);
  if (!m || s === '') throw new RefusedError(`"${s}" is not a duration like 30s, 5m or 2h.`);
  const [, d = 0, h = 0, mi = 0, se = 0] = m.map((x) => Number(x ?? 0));
  return d * 86400 + h * 3600 + mi * 60 + se;
}

export function positiveInt(s: string, what: string, max = 100000): number {
  if (!/^\d{1,9}$/.test(s) || Number(s) > max)
    throw new RefusedError(`${what} must be a whole number up to ${max}; got "${s}".`);
  return Number(s);
}

export function refuseUnknownFlags(args: string[], verb: string): string[] {
  const bad = args.find((a) => a.startsWith('-'));
  if (bad) throw new RefusedError(`kubectl ${verb} option ${bad.split('=')[0]} is not supported here.`);
  return args;
}
