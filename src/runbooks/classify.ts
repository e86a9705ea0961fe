import { cloudFindings } from './commands/cloud.js';
import { dockerFinding } from './commands/docker.js';
import { etcdctlFinding } from './commands/etcdctl.js';
import { type Finding, f, type Nested, positionals, RISK_ORDER } from './commands/finding.js';
import { helmFinding } from './commands/helm.js';
import { curlFinding, httpMethodFinding, wgetFinding } from './commands/http.js';
import { kubectlFindings } from './commands/kubectl.js';
import { looksLikePromQL } from './commands/promql.js';
import { isRedisCommand, redisCliFinding, redisFinding } from './commands/redis.js';
import { mysqlFinding, mysqlSqlFinding, psqlFinding, sqlFinding } from './commands/sql.js';
import { journalctlFinding, systemctlFinding } from './commands/systemd.js';
import { terraformFinding } from './commands/terraform.js';
import type { Executor, Risk } from './schema.js';
import { isSqlStart, parseShell, type ShellParse, type SimpleCommand } from './shell.js';

export { looksLikePromQL };

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
  /** start/end/step of a Prometheus `query_range` URL; null otherwise. */
  range?: { start: string | null; end: string | null; step: string | null } | null;
}

export interface ClassifyHint {
  /** The text is known to be SQL (an sql block, or a statement pasted into a shell block). */
  sql?: boolean;
  /** Language of the fenced block, '' for inline code. */
  lang?: string;
}

const RUNNERS = new Set<Executor>(['kubernetes', 'prometheus', 'postgres', 'redis', 'http']);

/** Chat-ops commands written in prose: `!ic page`, `/incident declare`, `.deploy rollback`. */
export const CHATOPS = /^(?:[!][a-z][\w-]*|\/[a-z][\w-]*(?=\s))(?:\s|$)/;

const nestedAt = (depth: number): Nested => ({
  inner: (words) => innerFindings(words, depth),
  text: (text) => textFindings(text, depth),
});

/**
 * Recent classifications by hint and text. Runbooks repeat commands (the same `redis-cli INFO` under every alert),
 * and a reload or a second runbook re-reads the same ones; the SQL risk check (PostgreSQL's parser) is the costly
 * part. Bounded by the characters held (oldest out), so a huge runbook cannot grow it without limit.
 */
const memo = new Map<string, Classification>();
let memoChars = 0;
const MEMO_CHARS = 2_000_000;

/**
 * Classifies one command (see the module comment). Pure: the same text and hint always give the same answer, so
 * answers are memoised; each call returns its own copy.
 */
export function classifyCommand(text: string, hint: ClassifyHint = {}): Classification {
  const key = `${hint.sql ? 's' : '-'}${hint.lang ?? ''}\u0000${text}`;
  let c = memo.get(key);
  if (!c) {
    c = classifyUncached(text, hint);
    if (key.length <= MEMO_CHARS / 100) {
      memo.set(key, c);
      memoChars += key.length;
      for (const k of memo.keys()) {
        if (memoChars <= MEMO_CHARS) break;
        memo.delete(k);
        memoChars -= k.length;
      }
    }
  }
  const copy: Classification = { ...c, placeholders: [...c.placeholders] };
  if (c.range) copy.range = { ...c.range };
  return copy;
}

function classifyUncached(text: string, hint: ClassifyHint): Classification {
  const placeholders = findPlaceholders(text);
  const lang = hint.lang ?? '';
  let findings: Finding[];
  let shellBlocker: string | null = null;
  if (lang === 'mysql') {
    findings = [mysqlSqlFinding(text)];
  } else if (/^\/incident(\s|$)/.test(text.trim())) {
    // This bot's own slash command: typed in the incident channel, nothing to run and nothing it changes by itself.
    return {
      executor: 'other',
      risk: 'read',
      runnable: false,
      placeholders,
      reason: "One of this bot's own commands: type it in the incident channel.",
      query: null,
    };
  } else if (CHATOPS.test(text.trim())) {
    return {
      executor: 'other',
      risk: 'exec',
      runnable: false,
      placeholders,
      reason: 'Chat-ops command: type it in the chat tool it belongs to; the bot does not run it.',
      query: null,
    };
  } else if (hint.sql || ['sql', 'psql', 'postgres', 'postgresql', 'pgsql'].includes(lang) || isSqlStart(text)) {
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
    range: primary.range ?? null,
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
      return kubectlFindings(rest, nestedAt(depth));
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
      return cloudFindings(head, rest, nestedAt(depth));
    case 'docker':
    case 'podman':
    case 'docker-compose':
      return [dockerFinding(head, rest)];
    case 'etcdctl':
      return [etcdctlFinding(rest)];
    case 'journalctl':
      return [journalctlFinding(rest)];
    case 'mysql':
    case 'mariadb':
      return [mysqlFinding(rest)];
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
