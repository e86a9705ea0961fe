import { RefusedError } from './types.js';

export interface ParsedLine {
  /** Tokens of the first command, quotes removed; placeholders such as `<pod-name>` kept verbatim. */
  argv: string[];
  /** Everything from the first unquoted `|` on: shown to the user, never run. */
  dropped: string | null;
}

const PLACEHOLDER_AT = /^<[A-Za-z][A-Za-z0-9_.-]*>/;

/**
 * Splits a runbook command line into words the way a POSIX shell would quote them, without ever
 * running a shell: single/double quotes, backslash escapes and `\`-newline continuations are
 * understood; command substitution, chaining and redirects are refused; a pipe ends the command
 * and its tail is returned in `dropped` (display only).
 */
export function parseCommandLine(input: string): ParsedLine {
  const text = stripLeadingComments(input.replace(/\\\r?\n/g, ' '));
  const argv: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: "'" | '"' | null = null;
  const push = () => {
    if (inWord) argv.push(cur);
    cur = '';
    inWord = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const next = text[i + 1];
    if (quote === "'") {
      if (c === "'") quote = null;
      else cur += c;
      continue;
    }
    if (c === '`') throw new RefusedError('Command substitution with backticks is never run.');
    if (c === '$' && next === '(') throw new RefusedError('Command substitution `$(...)` is never run.');
    if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && next !== undefined && '"\\$`'.includes(next)) {
        cur += next;
        i++;
      } else cur += c;
      continue;
    }
    // Unquoted.
    if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
      continue;
    }
    if (c === '\\' && next !== undefined) {
      cur += next;
      inWord = true;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      push();
      continue;
    }
    if (c === '#' && !inWord) break; // comment to end of line
    if (c === '\n') {
      push();
      if (stripLeadingComments(text.slice(i + 1)).trim() !== '')
        throw new RefusedError('Only one command per button: this text holds several lines of commands.');
      break;
    }
    if (c === '|') {
      if (next === '|') throw new RefusedError('Chained commands (`||`) are never run; run each part separately.');
      push();
      return { argv: nonEmpty(argv), dropped: text.slice(i).trim() };
    }
    if (c === ';' || c === '&') {
      const op = c === '&' && next === '&' ? '&&' : c;
      throw new RefusedError(`Chained or background commands (\`${op}\`) are never run; run each part separately.`);
    }
    if (c === '<') {
      const m = PLACEHOLDER_AT.exec(text.slice(i));
      if (m) {
        cur += m[0];
        inWord = true;
        i += m[0].length - 1;
        continue;
      }
      throw new RefusedError('Input redirection (`<`) is never run.');
    }
    if (c === '>') throw new RefusedError('Output redirection (`>`) is never run.');
    if (c === '(' || c === ')') throw new RefusedError('Subshells `( ... )` are never run.');
    cur += c;
    inWord = true;
  }
  if (quote) throw new RefusedError(`Unterminated ${quote === '"' ? 'double' : 'single'} quote in the command.`);
  push();
  return { argv: nonEmpty(argv), dropped: null };
}

function nonEmpty(argv: string[]): string[] {
  if (!argv.length) throw new RefusedError('There is no command to run.');
  return argv;
}

/** Drops blank lines and `# comment` lines before the command (runbook blocks often start with one). */
function stripLeadingComments(s: string): string {
  const lines = s.split('\n');
  while (lines.length && (lines[0].trim() === '' || lines[0].trim().startsWith('#'))) lines.shift();
  return lines.join('\n');
}

/** Options in `--name=value`, `--name value` or `-n value` form; returns the value and the rest of argv. */
export function takeOption(argv: string[], names: string[], opts: { flag?: boolean } = {}) {
  const rest: string[] = [];
  let value: string | undefined;
  let found = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
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
