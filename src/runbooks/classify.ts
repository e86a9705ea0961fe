import { checkRedis, REDIS_KNOWN } from '../diagnostics/guards/redis.js';
import { checkSql } from '../diagnostics/guards/sql.js';
import type { Executor, Risk } from './schema.js';
import { isSqlStart, parseShell, type ShellParse, type SimpleCommand } from './shell.js';

/**
 * Classifies one command: which executor can run it, how risky it is, whether the bot may run it without a shell,
 * and why — in a sentence a responder can act on. Conservative by design: anything unknown is `exec`.
 */

export interface Classification {
  executor: Executor;
  risk: Risk;
  runnable: boolean;
  placeholders: string[];
  reason: string;
  query: string | null;
}

export interface ClassifyHint {
  /** The text is known to be SQL (an sql block, or a statement pasted into a shell block). */
  sql?: boolean;
  /** Language of the fenced block, '' for inline code. */
  lang?: string;
}

/** One thing a command does. A command's risk is the highest of its findings. */
interface Finding {
  executor: Executor;
  risk: Risk;
  /** What it does, as a clause: "reads container logs (kubectl logs)". */
  what: string;
  /** Why the bot cannot run it, even when the executor exists; null when nothing stands in the way. */
  blocker: string | null;
  query: string | null;
}

const RISK_ORDER: Record<Risk, number> = { read: 0, write: 1, exec: 2, destructive: 3 };
const RUNNERS = new Set<Executor>(['kubernetes', 'prometheus', 'postgres', 'redis', 'http']);

const f = (executor: Executor, risk: Risk, what: string, blocker: string | null = null, query: string | null = null) =>
  ({ executor, risk, what, blocker, query }) satisfies Finding;

export function classifyCommand(text: string, hint: ClassifyHint = {}): Classification {
  const placeholders = findPlaceholders(text);
  const lang = hint.lang ?? '';
  let findings: Finding[];
  let shellBlocker: string | null = null;
  if (hint.sql || ['sql', 'psql', 'postgres', 'postgresql', 'pgsql'].includes(lang) || isSqlStart(text)) {
    findings = [sqlFinding(text)];
  } else if (lang === 'promql' || (lang === '' && looksLikePromQL(text))) {
    findings = [f('prometheus', 'read', 'runs a PromQL query', null, text.trim())];
  } else if (lang === 'redis' || isRedisCommand(text)) {
    findings = [redisFinding(splitWords(text))];
  } else if (lang === 'http' && /^(GET|HEAD|POST|PUT|PATCH|DELETE)\s+\S+/.test(text)) {
    findings = [httpMethodFinding(text.split(/\s+/)[0]!, text.split(/\s+/)[1]!)];
  } else {
    const parsed = parseShell(text);
    findings = shellFindings(parsed, 0);
    shellBlocker = shellFeatures(parsed);
  }
  if (findings.length === 0) findings = [f('other', 'exec', 'is not a command the bot recognises')];
  const primary = findings[0]!;
  const worst = findings.reduce((a, b) => (RISK_ORDER[b.risk] > RISK_ORDER[a.risk] ? b : a));
  const risk = worst.risk;
  const blocker =
    shellBlocker ??
    findings.find((x) => x.blocker)?.blocker ??
    (RUNNERS.has(primary.executor)
      ? null
      : primary.executor === 'other'
        ? 'it is not a known command'
        : 'it needs a shell');
  const runnable = (risk === 'read' || risk === 'write') && RUNNERS.has(primary.executor) && blocker === null;
  return {
    executor: primary.executor,
    risk,
    runnable,
    placeholders,
    reason: explain(risk, worst.what, runnable, blocker),
    query: primary.query,
  };
}

function explain(risk: Risk, what: string, runnable: boolean, blocker: string | null): string {
  const does = what.charAt(0).toUpperCase() + what.slice(1);
  switch (risk) {
    case 'read':
      return runnable
        ? `Read-only: ${what}. The bot can run it for you.`
        : `Read-only: ${what}, but ${blocker}, so run it yourself.`;
    case 'write':
      return runnable
        ? `Changes state: ${what}. The bot runs it only after someone approves.`
        : `Changes state: ${what}; ${blocker}, so run it yourself when you mean to.`;
    case 'exec':
      return `${does}: it can do anything, so the bot never runs it.`;
    case 'destructive':
      return `Destructive: ${what}. The bot never runs it; double-check the target before running it yourself.`;
  }
}

/** Why a shell is needed (pipes, redirects, loops…), or null when the command is a single plain invocation. */
function shellFeatures(p: ShellParse): string | null {
  if (p.heredoc) return 'it feeds a here-document through the shell';
  const pipeAt = p.operators.indexOf('|');
  if (pipeAt >= 0) {
    const next = p.commands[pipeAt + 1]?.words[0] ?? 'another command';
    return `it pipes into ${next}, which needs a shell`;
  }
  if (p.operators.some((o) => o !== '|')) return 'it chains several commands in a shell';
  if (p.substitutions.length) return 'it uses shell command substitution $(…)';
  const redirect = p.commands.flatMap((c) => c.redirects).find((r) => !/^2>&?$/.test(r.op) || r.target !== '1');
  if (redirect)
    return redirect.op.includes('<') ? `it reads ${redirect.target} from disk` : 'it writes to a local file';
  return null;
}

function splitWords(text: string): string[] {
  return parseShell(text).commands[0]?.words ?? [];
}

const KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'do', 'while', 'until', '!', 'time', 'nohup', 'exec']);
const CLOSERS = new Set(['fi', 'done', 'esac', '{', '}', ';;']);

/** Findings for every simple command (and substitution) in a parsed command line, the first one leading. */
function shellFindings(p: ShellParse, depth: number): Finding[] {
  const out: Finding[] = [];
  for (const cmd of p.commands) out.push(...simpleFindings(cmd, depth));
  if (depth < 3) for (const s of p.substitutions) out.push(...shellFindings(parseShell(s), depth + 1));
  return out;
}

function textFindings(text: string, depth: number): Finding[] {
  if (depth > 3) return [];
  if (isSqlStart(text)) return [sqlFinding(text)];
  return shellFindings(parseShell(text), depth + 1);
}

function simpleFindings(cmd: SimpleCommand, depth: number): Finding[] {
  let words = cmd.words;
  // Skip shell keywords, `VAR=value` prefixes and `env`.
  while (words.length && (KEYWORDS.has(words[0]!) || /^[A-Za-z_]\w*=/.test(words[0]!) || words[0] === 'env')) {
    words = words.slice(1);
  }
  if (!words.length || CLOSERS.has(words[0]!)) return [];
  if (['for', 'case', 'select', 'while', 'until'].includes(words[0]!)) return [];
  const head = words[0]!.replace(/^.*\//, '');
  const rest = words.slice(1);
  const inputFile = cmd.redirects.find((r) => r.op === '<');
  switch (head) {
    case 'kubectl':
    case 'oc':
      return kubectlFindings(rest, depth);
    case 'helm':
      return [helmFinding(rest)];
    case 'curl':
      return [curlFinding(rest)];
    case 'wget':
      return [wgetFinding(rest)];
    case 'psql':
      return [psqlFinding(rest, inputFile?.target ?? null)];
    case 'pg_isready':
      return [f('postgres', 'read', 'checks that PostgreSQL accepts connections (pg_isready)')];
    case 'pg_dump':
    case 'pg_dumpall':
      return [f('postgres', 'read', `dumps the database (${head})`, 'pg_dump output has to go somewhere on disk')];
    case 'pg_restore':
      return [f('postgres', 'destructive', 'restores a dump over the live database (pg_restore)')];
    case 'redis-cli':
      return [redisCliFinding(rest)];
    case 'promtool':
      return [f('prometheus', 'read', 'checks Prometheus rules or queries (promtool)', 'promtool is a local CLI')];
    case 'sudo':
      return [f('shell', 'exec', 'runs a command as root (sudo)'), ...innerFindings(rest, depth)];
    case 'ssh':
      return [f('shell', 'exec', 'opens a shell on a remote machine (ssh)'), ...sshInner(rest, depth)];
    case 'watch':
      return watchFindings(rest, depth);
    case 'gcloud':
    case 'aws':
    case 'az':
      return cloudFindings(head, rest, depth);
    case 'docker':
    case 'podman':
      return [dockerFinding(head, rest)];
    case 'systemctl':
    case 'service':
      return [systemctlFinding(head, rest)];
    case 'git':
      return [
        /^(log|status|diff|show|blame|branch|tag|remote|rev-parse|describe)$/.test(rest[0] ?? '')
          ? f('shell', 'read', `reads git history (git ${rest[0]})`)
          : f('shell', 'write', `changes the git repository (git ${rest[0] ?? ''})`.trim()),
      ];
    case 'find':
      return [
        words.includes('-delete') || /\brm\b/.test(words.join(' '))
          ? f('shell', 'destructive', 'deletes files matched by find')
          : f('shell', 'read', 'lists files (find)'),
      ];
    case 'sed':
      return [
        rest.some((w) => /^-i/.test(w))
          ? f('shell', 'write', 'edits files in place (sed -i)')
          : f('shell', 'read', 'filters text (sed)'),
      ];
    case 'terraform':
    case 'tofu':
      return [terraformFinding(head, rest)];
    case 'kill':
    case 'pkill':
    case 'killall':
      return [f('shell', 'write', `stops processes (${head})`)];
    case 'iptables':
    case 'ufw':
      return [f('shell', 'write', `changes firewall rules (${head})`)];
  }
  // gzip/gunzip with no file arguments only filter a stream.
  if (/^(gzip|gunzip|zcat|bzip2|xz)$/.test(head) && !rest.some((w) => !w.startsWith('-'))) {
    return [f('shell', 'read', `compresses or decompresses a stream (${head})`)];
  }
  if (READ_TOOLS.has(head)) return [f('shell', 'read', `${READ_TOOLS.get(head)} (${head})`)];
  if (WRITE_TOOLS.has(head)) return [f('shell', 'write', `${WRITE_TOOLS.get(head)} (${head})`)];
  if (DESTRUCTIVE_TOOLS.has(head)) return [f('shell', 'destructive', `${DESTRUCTIVE_TOOLS.get(head)} (${head})`)];
  if (SCRIPT_TOOLS.has(head) || /\.(sh|bash|py|rb|pl|js|ts)$/.test(head) || words[0]!.startsWith('./')) {
    return [f('shell', 'exec', `runs a script or program (${words[0]})`)];
  }
  return [f('other', 'exec', `runs \`${head}\`, which the bot does not recognise`)];
}

const READ_TOOLS = new Map([
  ['cat', 'prints a file'],
  ['head', 'prints the start of its input'],
  ['tail', 'prints the end of its input'],
  ['less', 'pages through a file'],
  ['grep', 'searches text'],
  ['egrep', 'searches text'],
  ['zgrep', 'searches text'],
  ['jq', 'filters JSON'],
  ['yq', 'filters YAML'],
  ['awk', 'filters text'],
  ['wc', 'counts lines'],
  ['sort', 'sorts text'],
  ['uniq', 'de-duplicates text'],
  ['cut', 'cuts columns'],
  ['column', 'formats columns'],
  ['echo', 'prints text'],
  ['printf', 'prints text'],
  ['date', 'prints the date'],
  ['df', 'shows disk space'],
  ['du', 'shows disk usage'],
  ['free', 'shows memory'],
  ['top', 'shows processes'],
  ['htop', 'shows processes'],
  ['ps', 'lists processes'],
  ['iostat', 'shows disk I/O'],
  ['vmstat', 'shows memory and CPU'],
  ['uptime', 'shows load'],
  ['dmesg', 'reads the kernel log'],
  ['journalctl', 'reads the system journal'],
  ['ls', 'lists files'],
  ['stat', 'shows file details'],
  ['nslookup', 'resolves DNS'],
  ['dig', 'resolves DNS'],
  ['host', 'resolves DNS'],
  ['ping', 'checks reachability'],
  ['traceroute', 'traces a network path'],
  ['mtr', 'traces a network path'],
  ['nc', 'checks a port'],
  ['telnet', 'checks a port'],
  ['netstat', 'lists sockets'],
  ['ss', 'lists sockets'],
  ['lsof', 'lists open files'],
  ['openssl', 'inspects certificates'],
  ['env', 'prints the environment'],
  ['printenv', 'prints the environment'],
  ['which', 'locates a program'],
  ['hostname', 'prints the host name'],
  ['uname', 'prints the system name'],
  ['id', 'prints the user'],
  ['whoami', 'prints the user'],
  ['test', 'tests a condition'],
  ['[', 'tests a condition'],
  ['true', 'does nothing'],
  ['sleep', 'waits'],
  ['read', 'reads input'],
  ['nvidia-smi', 'shows GPU state'],
]);

const WRITE_TOOLS = new Map([
  ['cp', 'copies files'],
  ['mv', 'moves files'],
  ['mkdir', 'creates directories'],
  ['touch', 'creates files'],
  ['tee', 'writes files'],
  ['chmod', 'changes permissions'],
  ['chown', 'changes ownership'],
  ['ln', 'creates links'],
  ['tar', 'packs or unpacks files'],
  ['gzip', 'compresses files'],
  ['gunzip', 'decompresses files'],
  ['zip', 'compresses files'],
  ['unzip', 'decompresses files'],
  ['certbot', 'requests certificates'],
  ['crontab', 'changes scheduled jobs'],
  ['reboot', 'reboots the machine'],
  ['shutdown', 'shuts the machine down'],
]);

const DESTRUCTIVE_TOOLS = new Map([
  ['rm', 'deletes files'],
  ['rmdir', 'deletes directories'],
  ['shred', 'destroys files'],
  ['truncate', 'empties files'],
  ['dd', 'overwrites raw disks or files'],
  ['mkfs', 'formats a filesystem'],
  ['wipefs', 'wipes a filesystem'],
]);

const SCRIPT_TOOLS = new Set([
  'bash',
  'sh',
  'zsh',
  'node',
  'python',
  'python3',
  'ruby',
  'perl',
  'npm',
  'npx',
  'yarn',
  'pnpm',
  'go',
  'make',
  'java',
  'deno',
  'bun',
  'php',
  'source',
  '.',
  'eval',
  'xargs',
]);

/** Skips `-n ns`, `--context=x` style flags; returns positional words (flags that take a value eat it). */
function positionals(words: string[], valued: RegExp): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '--') break;
    if (w.startsWith('-')) {
      if (!w.includes('=') && valued.test(w)) i++;
      continue;
    }
    out.push(w);
  }
  return out;
}

const hasFlag = (words: string[], re: RegExp) => words.some((w) => re.test(w));

const KUBECTL_VALUED =
  /^(-n|--namespace|--context|--cluster|--kubeconfig|--user|-s|--server|--token|-l|--selector|-o|--output|-c|--container|-f|--filename|-p|--patch|--type|--replicas|--tail|--since|--field-selector|--sort-by|--image|--timeout|--for|-k|--limits|--requests|--from-literal|--from-file|--cert|--key|--dry-run|--grace-period|--zone|--revision|--to-revision|--min|--max|--cpu-percent|-L|--label-columns)$/;

function kubectlFindings(args: string[], depth: number): Finding[] {
  const pos = positionals(args, KUBECTL_VALUED);
  const verb = pos[0] ?? '';
  const sub = pos[1] ?? '';
  const streaming = hasFlag(args, /^(-f|--follow|-w|--watch|--watch-only)$/) && verb !== 'apply' && verb !== 'create';
  const stream = streaming ? 'it streams until you stop it' : null;
  const dryRun = hasFlag(args, /^--dry-run(=(client|server))?$/);
  const fileArg = args.find((w, i) => (args[i - 1] === '-f' || args[i - 1] === '--filename') && w !== '-');
  const needsFile = fileArg ? `it needs the local file ${fileArg}` : null;
  const k = (risk: Risk, what: string, blocker: string | null = null) =>
    f(
      'kubernetes',
      risk,
      `${what} (kubectl ${verb}${sub && /^(rollout|set|auth|config)$/.test(verb) ? ` ${sub}` : ''})`,
      blocker,
    );
  switch (verb) {
    case 'get':
      return [k('read', 'lists Kubernetes resources', stream)];
    case 'describe':
      return [k('read', 'describes Kubernetes resources')];
    case 'logs':
      return [k('read', 'reads container logs', stream)];
    case 'top':
      return [k('read', 'shows CPU and memory use')];
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
      const inner = at >= 0 ? innerFindings(args.slice(at + 1), depth) : [];
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

/** Classifies the words of a wrapped command (`kubectl exec -- …`, `sudo …`, `sh -c "…"`). */
function innerFindings(words: string[], depth: number): Finding[] {
  if (!words.length || depth > 3) return [];
  if (/^(ba|z)?sh$/.test(words[0]!) && words[1] === '-c' && words[2]) return textFindings(words[2], depth + 1);
  return simpleFindings({ words, redirects: [] }, depth + 1);
}

function sshInner(args: string[], depth: number): Finding[] {
  const pos = positionals(args, /^(-i|-p|-l|-o|-J|-F|-L|-R|-D)$/);
  return pos.length > 1 ? textFindings(pos.slice(1).join(' '), depth) : [];
}

function watchFindings(args: string[], depth: number): Finding[] {
  const pos: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (/^(-n|--interval|-d)$/.test(args[i]!)) i++;
    else if (!args[i]!.startsWith('-') || pos.length) pos.push(args[i]!);
  }
  const inner = textFindings(pos.join(' '), depth);
  if (!inner.length) return [f('shell', 'read', 'repeats a command (watch)', 'it repeats until you stop it')];
  const [first, ...more] = inner;
  return [{ ...first!, what: `${first!.what}, repeated by watch`, blocker: 'it repeats until you stop it' }, ...more];
}

function helmFinding(args: string[]): Finding {
  const verb = positionals(args, /^(-n|--namespace|--kube-context|--revision|-o|--output)$/)[0] ?? '';
  const blocker = 'the bot has no helm executor';
  if (/^(history|list|ls|status|get|show|template|search|version|env|lint)$/.test(verb)) {
    return f('kubernetes', 'read', `reads Helm release state (helm ${verb})`, blocker);
  }
  if (/^(uninstall|delete|del)$/.test(verb))
    return f('kubernetes', 'destructive', `removes a Helm release (helm ${verb})`);
  return f('kubernetes', 'write', `changes a Helm release (helm ${verb})`, blocker);
}

const CURL_VALUED =
  /^(-X|--request|-H|--header|-d|--data|--data-raw|--data-binary|--data-urlencode|--data-ascii|-o|--output|-w|--write-out|-u|--user|-A|--user-agent|-e|--referer|-m|--max-time|--connect-timeout|-F|--form|--cacert|--cert|--key|-b|--cookie|-c|--cookie-jar|--retry|-x|--proxy|-T|--upload-file|--resolve)$/;

function curlFinding(args: string[]): Finding {
  const flagValue = (re: RegExp) => {
    for (let i = 0; i < args.length; i++) {
      const w = args[i]!;
      const eq = /^(--?[\w-]+)=(.*)$/.exec(w);
      if (eq && re.test(eq[1]!)) return eq[2]!;
      if (re.test(w)) return args[i + 1] ?? '';
    }
    return null;
  };
  const url = positionals(args, CURL_VALUED).find((w) => /^(https?:\/\/|[\w.-]+(:\d+)?\/|<)/.test(w)) ?? '';
  const data = args.filter((_, i) =>
    /^(-d|--data|--data-raw|--data-binary|--data-urlencode|-F|--form)$/.test(args[i - 1] ?? ''),
  );
  const explicit = flagValue(/^(-X|--request)$/);
  const head = hasFlag(args, /^(-I|--head)$/);
  const method = (
    explicit ?? (head ? 'HEAD' : data.length && !hasFlag(args, /^(-G|--get)$/) ? 'POST' : 'GET')
  ).toUpperCase();
  const output = flagValue(/^(-o|--output)$/);
  const localFile =
    (output && output !== '/dev/null' && output !== '-' ? `it saves the response to ${output}` : null) ??
    ([...data, flagValue(/^(-w|--write-out)$/) ?? '', flagValue(/^(-T|--upload-file)$/) ?? ''].some((d) =>
      d.startsWith('@'),
    )
      ? 'it reads a local file (@file)'
      : null);
  const prom = /\/api\/v1\/(query|query_range|series|labels?|targets|rules|alerts|metadata|status)\b/.exec(url);
  if (prom || /^https?:\/\/prometheus\b/.test(url)) {
    const inUrl = /[?&]query=([^&]*)/.exec(url)?.[1];
    const inData = data.map((d) => /^query=([\s\S]*)$/.exec(d)?.[1]).find((q) => q !== undefined);
    const query = inData ?? (inUrl !== undefined ? safeDecode(inUrl) : null);
    return f('prometheus', 'read', query ? 'runs a PromQL query' : 'reads the Prometheus API', localFile, query);
  }
  return httpMethodFinding(method, url, localFile);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

function httpMethodFinding(method: string, url: string, blocker: string | null = null): Finding {
  const host = /^(?:https?:\/\/)?([^/?#]+)/.exec(url)?.[1] ?? 'a URL';
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') {
    return f('http', 'read', `sends an HTTP ${method} to ${host}`, blocker);
  }
  if (method === 'DELETE') return f('http', 'destructive', `sends an HTTP DELETE to ${host}`);
  return f('http', 'write', `sends an HTTP ${method} to ${host}`, blocker);
}

function wgetFinding(args: string[]): Finding {
  const toStdout = args.some((w, i) => /^-[a-zA-Z]*O-$/.test(w) || (/^-[a-zA-Z]*O$/.test(w) && args[i + 1] === '-'));
  const url = args.find((w) => /^https?:\/\//.test(w)) ?? '';
  return httpMethodFinding('GET', url, toStdout ? null : 'it saves the response to a file');
}

function psqlFinding(args: string[], inputFile: string | null): Finding {
  const sql =
    args.find((_, i) => /^(-c|--command)$/.test(args[i - 1] ?? '')) ?? /^--command=(.*)$/s.exec(args.join(' '))?.[1];
  if (sql) return sqlFinding(sql);
  const file = args.find((_, i) => /^(-f|--file)$/.test(args[i - 1] ?? '')) ?? inputFile;
  if (file) return f('postgres', 'exec', `runs every statement in ${file} (psql)`);
  return f('postgres', 'exec', 'opens an interactive psql session');
}

/** Classifies SQL with the diagnostics SQL policy (PostgreSQL's parser; see diagnostics/guards/sql.ts). */
function sqlFinding(sql: string): Finding {
  const v = checkSql(sql);
  return f('postgres', v.risk, v.what, null, sql.trim());
}

const REDIS_ALL = REDIS_KNOWN;

/** A bare upper-case Redis command such as `CONFIG GET maxmemory` or `SLOWLOG GET 10`. */
function isRedisCommand(text: string): boolean {
  const first = /^([A-Z]+)(\s|$)/.exec(text.trim())?.[1];
  return !!first && REDIS_ALL.has(first) && first !== 'SET' && !/\n/.test(text.trim());
}

function redisCliFinding(args: string[]): Finding {
  const pos = positionals(
    args,
    /^(-h|-p|-a|-n|-u|--user|--pass|--tls-cert|--tls-key|--cacert|-r|-i|--pattern|--count)$/,
  );
  if (!pos.length) {
    const mode = args.find((w) => /^--(bigkeys|memkeys|hotkeys|scan|latency|latency-history|stat|rdb|pipe)$/.test(w));
    if (mode === '--pipe') return f('redis', 'write', 'pipes raw commands into Redis (redis-cli --pipe)');
    if (mode)
      return f(
        'redis',
        'read',
        `samples the keyspace (redis-cli ${mode})`,
        `${mode} is a redis-cli feature, not a Redis command`,
      );
    return f('redis', 'exec', 'opens an interactive redis-cli session');
  }
  return redisFinding(pos);
}

/** Classifies a Redis command with the diagnostics Redis policy (see diagnostics/guards/redis.ts). */
function redisFinding(words: string[]): Finding {
  const v = checkRedis(words);
  const streams = /streams server activity/.test(v.what) ? 'it streams until you stop it' : null;
  return f('redis', v.risk, v.what, streams, words.join(' '));
}

const OPEN_TO_WORLD = /(^|[\s=,])(0\.0\.0\.0\/0|::\/0)(\s|,|$)/;

function cloudFindings(cli: string, args: string[], depth: number): Finding[] {
  const pos = positionals(
    args,
    /^(--zone|--region|--project|--profile|--command|--filter|--format|--query|--output|-o)$/,
  );
  const line = args.join(' ');
  const label = `${cli} ${pos.slice(0, 3).join(' ')}`.trim();
  const blocker = `the bot has no ${cli} executor`;
  if (pos.includes('ssh') || (cli === 'aws' && pos.includes('start-session'))) {
    const command = args.find((_, i) => args[i - 1] === '--command') ?? /--command=(.*)$/s.exec(line)?.[1];
    return [
      f('shell', 'exec', `opens a shell on a machine (${label})`),
      ...(command ? textFindings(command, depth) : []),
    ];
  }
  if (OPEN_TO_WORLD.test(line) && /(ingress|firewall|security-group|source-ranges|cidr)/.test(line)) {
    return [f('shell', 'destructive', `opens the network to the whole internet (0.0.0.0/0) (${label})`)];
  }
  const verbs = pos.map((w) => w.toLowerCase());
  if (
    verbs.some((v) => /^(delete|destroy|remove|rm|rb|terminate|purge|wipe)(-|$)/.test(v)) ||
    (verbs.includes('sync') && line.includes('--delete'))
  ) {
    return [f('shell', 'destructive', `deletes cloud resources (${label})`)];
  }
  if (verbs.some((v) => /^(list|ls|describe|get|show|info|read|logs|tail|status|head-object|lookup)(-|$)/.test(v))) {
    return [f('shell', 'read', `reads cloud resources (${label})`, blocker)];
  }
  return [f('shell', 'write', `changes cloud resources (${label})`, blocker)];
}

function dockerFinding(cli: string, args: string[]): Finding {
  const pos = positionals(args, /^(-f|--filter|--format|-n|--tail|--since)$/);
  const [a = '', b = ''] = pos;
  const label = `${cli} ${pos.slice(0, 2).join(' ')}`.trim();
  if (/^(prune)$/.test(b) || /^(rm|rmi)$/.test(a) || (a === 'volume' && /^(rm|prune)$/.test(b))) {
    return f(
      'shell',
      'destructive',
      `deletes containers, images or volumes (${label}${args.includes('-a') ? ' -a' : ''})`,
    );
  }
  if (/^(ps|stats|logs|inspect|images|info|version|top|events|port|diff)$/.test(a))
    return f('shell', 'read', `inspects containers (${label})`);
  if (/^(exec|run|attach|cp)$/.test(a)) return f('shell', 'exec', `runs code in a container (${label})`);
  return f('shell', 'write', `changes containers (${label})`);
}

function systemctlFinding(cli: string, args: string[]): Finding {
  const pos = positionals(args, /^(-n|--lines|-p|--property)$/);
  const verb = cli === 'service' ? (pos[1] ?? '') : (pos[0] ?? '');
  if (/^(status|is-active|is-enabled|is-failed|show|list-units|list-unit-files|cat)$/.test(verb)) {
    return f('shell', 'read', `reads service state (${cli} ${verb})`);
  }
  return f('shell', 'write', `${verb || 'changes'}s a system service (${cli} ${verb})`.replace('ss a', 's a'));
}

function terraformFinding(cli: string, args: string[]): Finding {
  const verb = positionals(args, /^(-var|-var-file|-target)$/)[0] ?? '';
  if (verb === 'destroy' || (verb === 'apply' && args.includes('-destroy')))
    return f('shell', 'destructive', `destroys infrastructure (${cli} destroy)`);
  if (/^(plan|show|output|validate|fmt|version|state)$/.test(verb))
    return f('shell', 'read', `reads infrastructure state (${cli} ${verb})`);
  return f('shell', 'write', `changes infrastructure (${cli} ${verb})`);
}

/** A PromQL expression written as inline code: a function call or a selector on a metric-like name. */
export function looksLikePromQL(text: string): boolean {
  const t = text.trim();
  if (/\s(-\w|--\w)/.test(t) || /^[a-z-]+\s+[a-z]/.test(t)) return false;
  return (
    /^(sum|avg|min|max|count|rate|irate|increase|delta|histogram_quantile|topk|bottomk|absent|predict_linear|quantile|label_replace|sort|sort_desc|changes|deriv|time|vector|clamp_max|clamp_min)\s*(by|without)?\s*\(/.test(
      t,
    ) || /^[a-zA-Z_:][\w:]*_[\w:]*\s*\{[^}]*\}/.test(t)
  );
}

/**
 * Values the responder must fill in: `<pod-name>`, `$DB_HOST`, `${NAMESPACE}`, `YOUR_API_KEY`.
 * Shell variables the command assigns itself (`for pod in`, `memory=$(…)`, `read pod`) are not placeholders.
 */
export function findPlaceholders(text: string): string[] {
  const own = new Set<string>();
  for (const m of text.matchAll(/(?:^|[\s;(])([A-Za-z_]\w*)=/g)) own.add(m[1]!);
  for (const m of text.matchAll(/\b(?:for|read|select)\s+([A-Za-z_]\w*)/g)) own.add(m[1]!);
  const found = new Set<string>();
  const re =
    /<([A-Za-z][\w.:/@-]*)>|\$\{([A-Za-z_]\w*)[^}]*\}|\$([A-Za-z_]\w*)|\b(YOUR_[A-Z0-9_]+|REPLACE_ME|CHANGEME)\b/g;
  for (const m of text.matchAll(re)) {
    if (m[1] !== undefined) {
      if (text[m.index! - 1] === '<') continue; // `<<EOF`
      found.add(m[0]);
    } else {
      const name = m[2] ?? m[3] ?? m[4]!;
      if (!own.has(name)) found.add(m[0]);
    }
  }
  return [...found];
}
