/** Source scanning shared by the ship tests: which Slack methods and Kubernetes APIs the bot's code uses. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export const ROOT = new URL('../../', import.meta.url).pathname;

/** .ts files under dir (recursively), skipping any path containing one of `skip`. */
export function tsFiles(dir: string, skip: string[] = []): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const rel = relative(ROOT, p);
    if (skip.some((s) => rel.startsWith(s))) continue;
    if (statSync(p).isDirectory()) out.push(...tsFiles(p, skip));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

export interface Use {
  name: string;
  file: string;
  line: number;
}

const NS = '(?:chat|conversations|views|users|usergroups|pins|bookmarks|reactions|files|auth|team|apps)';
/** `client.chat.postMessage(` / `app.client.views.open(` / `slack.users.info(` */
const CALL = new RegExp(`\\b(?:[A-Za-z_$]*[cC]lient|web|slack)\\.(${NS}(?:\\.[A-Za-z]+)+)\\s*\\(`, 'g');
/** 'chat.postMessage' as a string (the outbox sender calls methods by name). */
const LITERAL = new RegExp(`['"\`](${NS}\\.[A-Za-z][A-Za-z.]*)['"\`]`, 'g');
const NOT_A_METHOD = /\.(?:js|ts|json|ya?ml|md|sql|html|css)$/;
/** WebClient convenience wrappers that call Web API methods under another name. */
const WRAPPERS: Record<string, string> = { filesUploadV2: 'files.uploadV2' };
const WRAPPER_CALL = new RegExp(`\\.(${Object.keys(WRAPPERS).join('|')})\\s*\\(`, 'g');

function lineOf(text: string, index: number): number {
  let n = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

/**
 * Slack Web API methods the bot's code calls. The local Slack emulator (src/emulator/) implements the API
 * rather than calling it, so it is not the bot's usage and is skipped.
 */
export function slackMethodUses(files: string[]): Use[] {
  const uses: Use[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const re of [CALL, LITERAL]) {
      for (const m of text.matchAll(re)) {
        const name = m[1]!;
        if (NOT_A_METHOD.test(name)) continue;
        uses.push({ name, file: relative(ROOT, file), line: lineOf(text, m.index ?? 0) });
      }
    }
    for (const m of text.matchAll(WRAPPER_CALL)) {
      uses.push({ name: WRAPPERS[m[1]!]!, file: relative(ROOT, file), line: lineOf(text, m.index ?? 0) });
    }
  }
  return uses;
}

/** Not the bot's calls: the local workspace, and Slack's table of rate-limit tiers for every method. */
export const BOT_SOURCE_SKIP = ['src/emulator', 'src/slack/tiers.ts'];

export interface ApiAccess {
  group: string;
  resource: string;
  verb: string;
  file: string;
  line: number;
}

/** @kubernetes/client-node kind (as in method names) -> API group and resource. */
const KINDS: Record<string, [group: string, resource: string]> = {
  Pod: ['', 'pods'],
  PodLog: ['', 'pods/log'],
  Event: ['', 'events'],
  Node: ['', 'nodes'],
  Namespace: ['', 'namespaces'],
  PersistentVolumeClaim: ['', 'persistentvolumeclaims'],
  PersistentVolume: ['', 'persistentvolumes'],
  Service: ['', 'services'],
  Endpoints: ['', 'endpoints'],
  ConfigMap: ['', 'configmaps'],
  Secret: ['', 'secrets'],
  Deployment: ['apps', 'deployments'],
  DeploymentScale: ['apps', 'deployments/scale'],
  DeploymentStatus: ['apps', 'deployments/status'],
  ReplicaSet: ['apps', 'replicasets'],
  StatefulSet: ['apps', 'statefulsets'],
  StatefulSetScale: ['apps', 'statefulsets/scale'],
  DaemonSet: ['apps', 'daemonsets'],
  HorizontalPodAutoscaler: ['autoscaling', 'horizontalpodautoscalers'],
  Job: ['batch', 'jobs'],
  CronJob: ['batch', 'cronjobs'],
  Ingress: ['networking.k8s.io', 'ingresses'],
};
const VERBS: Record<string, string> = {
  list: 'list',
  read: 'get',
  patch: 'patch',
  replace: 'update',
  create: 'create',
  delete: 'delete',
  deleteCollection: 'deletecollection',
};
const K8S_CALL =
  /\.(list|read|patch|replace|create|deleteCollection|delete)(Namespaced)?([A-Z][A-Za-z]*?)(ForAllNamespaces)?\s*\(/g;
/** REST paths: /api/v1/namespaces/${ns}/pods/${name}/log, /apis/metrics.k8s.io/v1beta1/pods, ... */
const K8S_PATH =
  /['"`]\/(?:api\/v1|apis\/([a-z0-9.-]+)\/v[0-9a-z]+)\/(?:namespaces\/[^/'"`]+\/)?([a-z]+)(?:\/[^/'"`]+\/([a-z]+))?/g;
/** CustomObjectsApi / metrics calls: `plural: 'pods'` belongs to the nearest `group: 'metrics.k8s.io'` before it. */
const GROUP = /group:\s*['"]([a-z0-9.-]+)['"]/g;
const PLURAL = /plural:\s*['"]([a-z]+)['"]/g;

/** Kubernetes API accesses found in the diagnostics executor's source (best effort, conservative). */
export function kubernetesAccesses(files: string[]): ApiAccess[] {
  const out: ApiAccess[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const rel = relative(ROOT, file);
    if (!/@kubernetes\/client-node|\/api\/v1|apis\//.test(text)) continue;
    for (const m of text.matchAll(K8S_CALL)) {
      const kind = KINDS[m[3]!];
      if (!kind) continue; // not a Kubernetes API method (e.g. readFile)
      out.push({ group: kind[0], resource: kind[1], verb: VERBS[m[1]!]!, file: rel, line: lineOf(text, m.index ?? 0) });
    }
    for (const m of text.matchAll(K8S_PATH)) {
      const resource = m[3] ? `${m[2]}/${m[3]}` : m[2]!;
      if (resource === 'namespaces') continue;
      out.push({ group: m[1] ?? '', resource, verb: 'get', file: rel, line: lineOf(text, m.index ?? 0) });
    }
    const groups = [...text.matchAll(GROUP)];
    for (const m of text.matchAll(PLURAL)) {
      const group = groups.filter((g) => (g.index ?? 0) < (m.index ?? 0)).at(-1)?.[1];
      if (group) out.push({ group, resource: m[1]!, verb: 'list', file: rel, line: lineOf(text, m.index ?? 0) });
    }
  }
  return out;
}

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
}

export function allows(rules: PolicyRule[], group: string, resource: string, verb: string): boolean {
  return rules.some(
    (r) =>
      (r.apiGroups ?? []).some((g) => g === group || g === '*') &&
      (r.resources ?? []).some((x) => x === resource || x === '*') &&
      r.verbs.some((v) => v === verb || v === '*'),
  );
}
