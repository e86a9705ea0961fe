import { ValidationError } from '../errors.js';

/** `<pod-name>`, `${NAMESPACE}` and `$DB_HOST` style placeholders, in order of first appearance. */
const PATTERN = /<([A-Za-z][A-Za-z0-9_.-]*)>|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** Names as written, without the brackets: `pod-name`, `NAMESPACE`, `DB_HOST`. */
export function findPlaceholders(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(PATTERN)) {
    const name = (m[1] ?? m[2] ?? m[3])!;
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

/** One spelling for `POD_NAME`, `pod-name`, `pod_name`. */
export function canonical(name: string): string {
  return name.toLowerCase().replace(/_/g, '-');
}

/** Label -> extra placeholder names it answers (canonical). */
const ALIASES: Record<string, string[]> = {
  pod: ['pod-name', 'podname', 'pod-id'],
  namespace: ['ns', 'namespace-name', 'k8s-namespace', 'kubernetes-namespace'],
  deployment: ['deployment-name', 'deploy', 'deploy-name'],
  statefulset: ['statefulset-name', 'sts'],
  daemonset: ['daemonset-name', 'ds'],
  service: ['service-name', 'svc', 'svc-name'],
  container: ['container-name'],
  node: ['node-name', 'nodename', 'kubernetes-node'],
  instance: ['instance-name', 'target'],
  job: ['job-name'],
  persistentvolumeclaim: ['pvc', 'pvc-name'],
  horizontalpodautoscaler: ['hpa', 'hpa-name'],
  certificate: ['cert', 'cert-name', 'certificate-name'],
  ingress: ['ingress-name'],
  configmap: ['configmap-name'],
  cluster: ['cluster-name'],
};
/** Labels that, when present, fill a placeholder of another label's name (kube-state-metrics style). */
const LABEL_SYNONYMS: Record<string, string> = {
  kubernetes_namespace: 'namespace',
  exported_namespace: 'namespace',
  kubernetes_pod_name: 'pod',
  pod_name: 'pod',
  exported_pod: 'pod',
  kubernetes_node: 'node',
  nodename: 'node',
  exported_service: 'service',
  container_name: 'container',
};

/** Placeholder values from alert labels: every label by its canonical name, plus the aliases above. */
export function valuesFromLabels(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const set = (k: string, v: string) => {
    if (out[k] === undefined && v !== '') out[k] = v;
  };
  // Direct labels win over synonyms and aliases.
  for (const [k, v] of Object.entries(labels)) set(canonical(k), v);
  for (const [k, v] of Object.entries(labels)) {
    const base = LABEL_SYNONYMS[k];
    if (base) set(base, v);
  }
  for (const [base, aliases] of Object.entries(ALIASES)) {
    const v = out[base];
    if (v !== undefined) for (const a of aliases) set(a, v);
  }
  return out;
}

/** Looks a placeholder up by its spelling as written, then canonically. */
export function lookup(values: Record<string, string>, name: string): string | undefined {
  const direct = values[name] ?? values[`<${name}>`];
  if (direct !== undefined && direct !== '') return direct;
  const c = canonical(name);
  for (const [k, v] of Object.entries(values)) if (canonical(k) === c && v !== '') return v;
  return undefined;
}

/** Kubernetes object kinds whose names are DNS-1123 (subdomain) names. */
const K8S_NAME_WORDS =
  /^(pod|deployment|deploy|statefulset|sts|daemonset|ds|replicaset|rs|service|svc|node|container|pvc|persistentvolumeclaim|pv|hpa|horizontalpodautoscaler|cert|certificate|configmap|cm|secret|ingress|job|cronjob|serviceaccount|sa|release|issuer|clusterissuer)([-.](name|id))?$|-(pod|deployment|service|svc|node|pvc|hpa|cert|configmap|secret|ingress|container)$/;
const NAMESPACE_WORDS = /^(namespace|ns|namespace-name|k8s-namespace|kubernetes-namespace)$/;

const RFC1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const RFC1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Anything else: no whitespace, quotes, shell metacharacters, or a leading '-' (option injection). */
const SAFE_VALUE = /^[A-Za-z0-9._:/=@+][A-Za-z0-9._:/=@+-]*$/;

export type ValueKind = 'namespace' | 'k8s-name' | 'generic';

export function kindOf(name: string): ValueKind {
  const c = canonical(name);
  if (NAMESPACE_WORDS.test(c)) return 'namespace';
  if (K8S_NAME_WORDS.test(c)) return 'k8s-name';
  return 'generic';
}

/** Throws a ValidationError naming the placeholder when the value is not safe for its kind. */
export function validateValue(name: string, value: string, kind: ValueKind = kindOf(name)): string {
  const v = value.trim();
  const bad = (why: string) =>
    new ValidationError(`<${name}> = ${JSON.stringify(value.slice(0, 80))} is not allowed: ${why}`, name);
  if (!v) throw bad('it is empty');
  if (kind === 'namespace') {
    if (v.length > 63 || !RFC1123_LABEL.test(v))
      throw bad('a namespace is a DNS-1123 label (lowercase letters, digits and "-", at most 63 characters)');
  } else if (kind === 'k8s-name') {
    if (v.length > 253 || !RFC1123_SUBDOMAIN.test(v))
      throw bad('a Kubernetes name is a DNS-1123 subdomain (lowercase letters, digits, "-" and ".")');
  } else if (v.length > 256 || !SAFE_VALUE.test(v)) {
    throw bad('only letters, digits and . _ : / = @ + - are allowed (no spaces, quotes or shell characters)');
  } else if (v.includes('..')) {
    throw bad('".." is not allowed');
  }
  return v;
}

/** Fills every placeholder in `text` from `values` (all must be present and already validated). */
export function fill(text: string, values: Record<string, string>): string {
  return text.replace(PATTERN, (whole, a?: string, b?: string, c?: string) => {
    const name = a ?? b ?? c ?? '';
    const v = values[name];
    return v === undefined ? whole : v;
  });
}
