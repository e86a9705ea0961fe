import { type Classification, classifyCommand } from './classify.js';
import type { CodeBlock } from './markdown.js';
import { inlineCode } from './markdown.js';
import { type SourceLine, type SplitMode, splitCommands } from './shell.js';

/** A command found in the text, classified, before it gets an id from its section. */
export interface FoundCommand extends Classification {
  text: string;
  line: number;
  origin: 'block' | 'inline';
}

const SHELL_LANGS = new Set(['bash', 'sh', 'shell', 'zsh', 'ksh', 'fish', 'shell-session', 'sh-session']);
const CONSOLE_LANGS = new Set(['console', 'terminal', 'shellsession']);
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

export function commandsFromCodeBlock(block: CodeBlock): FoundCommand[] {
  const { lang } = block;
  if (!isCommandLanguage(lang)) return [];
  const lines: SourceLine[] = block.body.map((text, i) => ({ text, line: block.bodyLine + i }));
  if (LINE_LANGS.has(lang)) return lineCommands(lines, lang);
  const mode: SplitMode = SQL_LANGS.has(lang) ? 'sql' : CONSOLE_LANGS.has(lang) ? 'console' : 'shell';
  const loose = LOOSE_LANGS.has(lang);
  const out: FoundCommand[] = [];
  for (const raw of splitCommands(lines, mode)) {
    const c = classifyCommand(raw.text, { sql: raw.sql });
    // A bare fence also holds Slack messages, ASCII trees and escalation charts: only recognised commands count.
    if (loose && c.executor === 'other') continue;
    out.push({ ...c, text: raw.text, line: raw.line, origin: 'block' });
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
    if (c.executor === 'other') continue;
    // A lone word (`top`, `free`) in prose is usually a name; data stores and PromQL are clear on their own.
    const words = code.split(/\s+/).length;
    if (words < 2 && c.executor !== 'prometheus') continue;
    out.push({ ...c, text: code, line, origin: 'inline' });
  }
  return out;
}
