import { parseShellSyntax } from '../runbooks/shell-syntax.js';
import { RefusedError } from './types.js';

export interface ParsedLine {
  /** Tokens of the first command, quotes removed; placeholders such as `<pod-name>` kept verbatim. */
  argv: string[];
  /** Everything from the first unquoted `|` on: shown to the user, never run. */
  dropped: string | null;
}

/**
 * Splits a runbook command line into words the way bash would quote them — read by the project's one shell
 * parser (runbooks/shell-syntax.ts, mvdan/sh) — without ever running a shell. `\`-newline continuations are
 * joined; command substitution, chaining, background jobs, redirects, here-documents, subshells and compound
 * commands are refused; a pipe ends the command and its tail is returned in `dropped` (display only).
 * Throws RefusedError with a sentence the responder can act on.
 */
export function parseCommandLine(input: string): ParsedLine {
  const text = stripLeadingComments(input.replace(/\\\r?\n/g, ' '));
  const parsed = parseShellSyntax(text);
  if (!parsed.ok) {
    if (/quote/i.test(parsed.error)) throw new RefusedError(`Unterminated quote in the command (${parsed.error}).`);
    throw new RefusedError(`This is not a command the bot can read: ${parsed.error}.`);
  }
  const s = parsed.syntax;
  if (s.statements > 1) {
    if (/\n/.test(text.trim()))
      throw new RefusedError('Only one command per button: this text holds several lines of commands.');
    throw new RefusedError('Chained commands (`;`) are never run; run each part separately.');
  }
  if (s.backticks) throw new RefusedError('Command substitution with backticks is never run.');
  if (s.substitutions.length) throw new RefusedError('Command substitution `$(...)` is never run.');
  if (s.compound) throw new RefusedError('Subshells `( ... )`, groups and loops are never run.');
  if (s.operators.includes('&'))
    throw new RefusedError('Chained or background commands (`&`) are never run; run each part separately.');
  const chain = s.operators.find((o) => o === '&&' || o === '||' || o === ';');
  if (chain) throw new RefusedError(`Chained commands (\`${chain}\`) are never run; run each part separately.`);
  const first = s.commands[0];
  if (s.heredoc) throw new RefusedError('Input redirection (here-document `<<`) is never run.');
  for (const r of first?.redirects ?? []) {
    if (r.op.includes('<')) throw new RefusedError('Input redirection (`<`) is never run.');
    throw new RefusedError('Output redirection (`>`) is never run.');
  }
  if (!first?.words.length) throw new RefusedError('There is no command to run.');
  return { argv: [...first.words], dropped: s.pipeAt === null ? null : text.slice(s.pipeAt).trim() };
}

/** Drops blank lines and `# comment` lines before the command (runbook blocks often start with one). */
function stripLeadingComments(s: string): string {
  const lines = s.split('\n');
  while (lines.length && (lines[0]!.trim() === '' || lines[0]!.trim().startsWith('#'))) lines.shift();
  return lines.join('\n');
}

/** Options in `--name=value`, `--name value` or `-n value` form; returns the value and the rest of argv. */
export function takeOption(argv: string[], names: string[], opts: { flag?: boolean } = {}) {
  const rest: string[] = [];
  let value: string | undefined;
  let found = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const key = a.startsWith('-') && eq > 0 ? a.slice(0, eq) : a;
    if (!names.includes(key)) {
      rest.push(a);
      continue;
    }
    found = true;
    if (opts.flag) {
      value = eq > 0 && key !== a ? a.slice(eq + 1) : 'true';
    } else if (key !== a) {
      value = a.slice(eq + 1);
    } else {
      if (i + 1 >= argv.length) throw new RefusedError(`Option ${a} needs a value.`);
      value = argv[++i];
    }
  }
  return { value, found, rest };
}
