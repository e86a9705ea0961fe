import { CHATOPS, type Classification, classifyCommand } from './classify.js';
import type { CodeBlock } from './markdown.js';
import { inlineCode } from './markdown.js';
import { isSqlStart, type SourceLine, type SplitMode, splitCommands } from './shell.js';

/** A command found in the text, classified, before it gets an id from its section. */
export interface FoundCommand extends Classification {
  text: string;
  line: number;
  origin: 'block' | 'inline';
}

const SHELL_LANGS = new Set(['bash', 'sh', 'shell', 'zsh', 'ksh', 'fish', 'powershell', 'ps1', 'cmd', 'bat']);
const CONSOLE_LANGS = new Set([
  'console',
  'terminal',
  'shellsession',
  'shell-session',
  'sh-session',
  'session',
  'psql-session',
  'pycon',
]);
const SQL_LANGS = new Set(['sql', 'psql', 'postgres', 'postgresql', 'pgsql', 'plpgsql']);
/** Fences with no (or a plain-text) language: keep only lines that are recognisably commands. */
const LOOSE_LANGS = new Set(['', 'text', 'txt', 'plain', 'plaintext']);
const LINE_LANGS = new Set(['redis', 'http', 'promql']);

/** Languages whose fenced blocks hold commands at all (yaml, json, javascript… do not). */
export function isCommandLanguage(lang: string): boolean {
  return (
    SHELL_LANGS.has(lang) ||
    CONSOLE_LANGS.has(lang) ||
    SQL_LANGS.has(lang) ||
    LOOSE_LANGS.has(lang) ||
    LINE_LANGS.has(lang)
  );
}

/** Fences that hold data or configuration, never commands (an alert rule's `expr:` is a firing condition). */
const DATA_LANGS = new Set([
  'yaml',
  'yml',
  'json',
  'jsonc',
  'json5',
  'toml',
  'ini',
  'cfg',
  'conf',
  'properties',
  'env',
  'dotenv',
  'xml',
  'html',
  'csv',
  'tsv',
  'diff',
  'patch',
  'log',
  'logs',
  'hcl',
  'tf',
  'terraform',
  'dockerfile',
  'nginx',
  'apache',
  'markdown',
  'md',
  'mermaid',
  'proto',
  'graphql',
  'jsonnet',
  'libsonnet',
  'rego',
  'cue',
]);

/** Shell plumbing a responder does not run on its own: waiting, leaving, moving around, setting variables. */
const PLUMBING =
  /^(sleep|exit|logout|cd|pushd|popd|clear|set|unset|export|source|\.|alias|true|false|:|history|shopt)$/;

/** True for a line that is shell plumbing or only assigns variables (`FOO=bar`, `export X=1`, `sleep 5`). */
export function isPlumbing(text: string): boolean {
  const t = text.trim();
  if (/^[A-Za-z_]\w*=\S*$/.test(t) || /^[A-Za-z_]\w*=(["']).*\1$/.test(t)) return true;
  const first = /^\S+/.exec(t)?.[0] ?? '';
  return PLUMBING.test(first) && !/[|;&]/.test(t);
}

export function commandsFromCodeBlock(block: CodeBlock): FoundCommand[] {
  const { lang } = block;
  if (DATA_LANGS.has(lang)) return [];
  const lines: SourceLine[] = block.body.map((text, i) => ({ text, line: block.bodyLine + i }));
  const session = readSession(lines, lang);
  if (session) return session.filter((c) => !isPlumbing(c.text));
  if (LINE_LANGS.has(lang)) return lineCommands(lines, lang);
  // A fence tagged with another language (python, go…) may still hold a pasted shell command.
  const known = isCommandLanguage(lang);
  const mode: SplitMode = SQL_LANGS.has(lang) ? 'sql' : 'shell';
  const loose = LOOSE_LANGS.has(lang) || CONSOLE_LANGS.has(lang) || !known;
  const out: FoundCommand[] = [];
  for (const raw of splitCommands(lines, mode)) {
    if (isPlumbing(raw.text)) continue;
    const c = classifyCommand(raw.text, { sql: raw.sql });
    // A bare fence also holds Slack messages, ASCII trees, config files and escalation charts: only recognised
    // commands count. In another language's fence, only a known CLI counts.
    if (loose && c.executor === 'other') continue;
    if (!known && !LOOSE_LANGS.has(lang) && !CONSOLE_LANGS.has(lang) && !KNOWN_CLI.test(raw.text.trim())) continue;
    out.push({ ...c, text: raw.text, line: raw.line, origin: 'block' });
  }
  return out;
}

/** First words of CLIs the classifier knows, for commands pasted into a fence of another language. */
const KNOWN_CLI =
  /^(sudo\s+)?(kubectl|oc|helm|etcdctl|docker|docker-compose|podman|systemctl|journalctl|service|aws|gcloud|az|psql|mysql|redis-cli|curl|wget|promtool|terraform|tofu|pg_isready|pg_dump)\b/;

interface Prompt {
  /** What the prompt says about the command after it. */
  kind: 'shell' | 'sql' | 'mysql' | 'redis';
  command: string;
}

/**
 * Prompts people paste with their commands. `# ` (a root prompt) only counts in a block that is visibly a
 * session (another prompt, or a console/text fence), since in a bash block it starts a comment.
 */
const PROMPTS: [RegExp, Prompt['kind']][] = [
  [/^\s*(?:\([\w.-]+\)\s*)?[\w.-]+@[\w.-]+(?::\s*[^\s$#]*)?\s*[$#%]\s?(.*)$/, 'shell'],
  [/^\s*\[[\w.-]+@[\w.-]+[^\]]*\]\s*[$#]\s?(.*)$/, 'shell'],
  [/^\s*[$%❯➜»]\s+(.*)$/, 'shell'],
  [/^\s*PS(?:\s+[A-Za-z]:[^>]*)?>\s+(.*)$/, 'shell'],
  [/^\s*[\w-]*=[#>]\s*(.*)$/, 'sql'],
  [/^\s*mysql>\s*(.*)$/, 'mysql'],
  [/^\s*(?:redis(?:-cli)?|[\w.-]+:\d{2,5}(?:\[\d+\])?)>\s*(.*)$/, 'redis'],
];
const ROOT_PROMPT = /^\s*#\s+(.*)$/;
/** Continuation prompts: psql `db-#`/`db->`, mysql `    ->`, shell `> `. */
const CONTINUATION = /^\s*(?:[\w-]*-[#>]|->|>)\s?(.*)$/;

function promptOf(text: string, rootAllowed: boolean): Prompt | null {
  for (const [re, kind] of PROMPTS) {
    const m = re.exec(text);
    if (m) return { kind, command: m[1] ?? '' };
  }
  if (rootAllowed) {
    const m = ROOT_PROMPT.exec(text);
    if (m && KNOWN_CLI.test(m[1]!.trim())) return { kind: 'shell', command: m[1]! };
  }
  return null;
}

/**
 * A pasted terminal session: commands after prompts, output after them. Returns null when no line of the block
 * carries a prompt (the block is then read as a script). Lines after a prompted command are its output, except
 * continuation lines of a command that is not finished yet.
 */
function readSession(lines: readonly SourceLine[], lang: string): FoundCommand[] | null {
  const sessionish = CONSOLE_LANGS.has(lang) || LOOSE_LANGS.has(lang);
  const prompts = lines.map((l) => promptOf(l.text, false));
  const prompted = prompts.filter(Boolean).length;
  if (!prompted && !sessionish) return null;
  const rootAllowed = prompted > 0 || sessionish;
  const all = lines.map((l, i) => prompts[i] ?? promptOf(l.text, rootAllowed));
  if (!all.some(Boolean)) return CONSOLE_LANGS.has(lang) ? [] : null;
  const out: FoundCommand[] = [];
  for (let i = 0; i < lines.length; i++) {
    const p = all[i];
    if (!p?.command.trim()) continue;
    const parts = [p.command];
    // Continuation: a `\` at the end, an open quote, an SQL statement without its `;`.
    const unfinished = () => {
      const text = parts.join('\n');
      if (p.kind === 'sql' || p.kind === 'mysql')
        return !/;\s*$/.test(text) && !/^\\/.test(text.trim()) && isSqlStart(text);
      return /\\$/.test(text) || /(\||&&)\s*$/.test(text) || (text.split("'").length - 1) % 2 === 1;
    };
    while (i + 1 < lines.length && !all[i + 1] && unfinished()) {
      const next = lines[i + 1]!.text;
      const cont = CONTINUATION.exec(next);
      const body = cont ? cont[1]! : next;
      if (!cont && p.kind !== 'shell' && !/^\s/.test(next) && !isSqlStart(next) && !/^\s*[\w(*,]/.test(next)) break;
      parts.push(body);
      i++;
    }
    const text = (p.kind === 'shell' ? parts.join('\n').replace(/\\\n\s*/g, ' ') : parts.join('\n')).trim();
    if (!text) continue;
    const c =
      p.kind === 'sql'
        ? classifyCommand(text, { sql: true })
        : p.kind === 'mysql'
          ? classifyCommand(text, { lang: 'mysql' })
          : p.kind === 'redis'
            ? classifyCommand(text, { lang: 'redis' })
            : classifyCommand(text, {});
    out.push({ ...c, text, line: lines[i - parts.length + 1]!.line, origin: 'block' });
  }
  return out;
}

/** PromQL, Redis and HTTP blocks: one command per non-blank, non-comment line. */
function lineCommands(lines: SourceLine[], lang: string): FoundCommand[] {
  const out: FoundCommand[] = [];
  for (const { text, line } of lines) {
    const t = text.trim();
    if (!t || t.startsWith('#') || t.startsWith('//')) continue;
    out.push({ ...classifyCommand(t, { lang }), text: t, line, origin: 'block' });
  }
  return out;
}

/** Inline code that is a command (`kubectl get pods`, `SELECT 1;`, `CONFIG GET save`), not a name or a path. */
export function commandsFromInline(text: string, line: number): FoundCommand[] {
  const out: FoundCommand[] = [];
  for (const code of inlineCode(text)) {
    if (!code || code.length < 3) continue;
    const c = classifyCommand(code, { lang: '' });
    if (CHATOPS.test(code)) {
      out.push({ ...c, text: code, line, origin: 'inline' });
      continue;
    }
    if (c.executor === 'other') continue;
    // A lone word (`top`, `free`) in prose is usually a name; data stores and PromQL are clear on their own.
    const words = code.split(/\s+/).length;
    if (words < 2 && c.executor !== 'prometheus') continue;
    out.push({ ...c, text: code, line, origin: 'inline' });
  }
  return out;
}
