import { parseShellSyntax, type Redirect, type SimpleCommand } from './shell-syntax.js';

/**
 * Just enough shell lexing to read runbooks: where one command ends and the next begins (quotes spanning lines,
 * `\` continuations, here-documents, loops, SQL statements pasted into bash blocks), and the words of each command.
 */

export interface SourceLine {
  text: string;
  line: number;
}

export interface RawCommand {
  text: string;
  line: number;
  /** The text is an SQL statement (from an sql block or pasted into a shell block). */
  sql: boolean;
}

const SQL_START =
  /^(SELECT|WITH|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|TRUNCATE|VACUUM|ANALYZE|EXPLAIN|SHOW|GRANT|REVOKE|BEGIN|COMMIT|ROLLBACK|REINDEX|CLUSTER|COPY|SET|RESET|TABLE)(\s|;|$)/;

/** True when the line starts an SQL statement: upper-case keywords, so shell words like `set -e` do not count. */
export function isSqlStart(text: string): boolean {
  return SQL_START.test(text.trim());
}

interface LexState {
  quote: '' | "'" | '"' | '`';
  /** Unquoted `(` depth, so `$(` … `)` may span lines. */
  depth: number;
  /** Open `if`/`while`/`for`/`case` blocks. */
  blocks: number;
}

interface ScannedLine {
  /** The line without its comment. */
  out: string;
  /** The line ended with a `\` continuation. */
  backslash: boolean;
  /** Here-document terminators opened on this line. */
  heredocs: string[];
}

const OPENERS = /(?:^|[;&|(]|\bthen\b|\bdo\b|\belse\b)\s*(?:if|while|until|for|case|select)(?=\s|$)/g;
const CLOSERS = /(?:^|[;&|\s])(?:fi|done|esac)(?=\s*(?:$|[;&|)]))/g;

const KEYWORD = /\b(if|while|until|for|case|select|fi|done|esac)\b/;

function scanLine(src: string, st: LexState): ScannedLine {
  let end = src.length; // where the comment or trailing backslash starts
  let backslash = false;
  const wantSkeleton = KEYWORD.test(src);
  let skeleton = ''; // unquoted text only, for keyword counting
  const heredocs: string[] = [];
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (st.quote === "'" || st.quote === '`') {
      if (c === st.quote) st.quote = '';
      continue;
    }
    if (st.quote === '"') {
      if (c === '\\') i++;
      else if (c === '"') st.quote = '';
      continue;
    }
    if (c === '\\') {
      if (i === src.length - 1) {
        backslash = true;
        end = i;
        break;
      }
      i++;
      if (wantSkeleton) skeleton += 'x';
      continue;
    }
    if (c === '#' && (i === 0 || /[\s;|&(]/.test(src[i - 1]!))) {
      end = i;
      break;
    }
    if (c === "'" || c === '"' || c === '`') {
      st.quote = c;
      if (wantSkeleton) skeleton += ' Q ';
      continue;
    }
    if (c === '(') st.depth++;
    else if (c === ')') st.depth = Math.max(0, st.depth - 1);
    else if (c === '<' && src[i + 1] === '<' && src[i + 2] !== '<') {
      const m = /^<<-?\s*(['"]?)([A-Za-z_][\w-]*)\1/.exec(src.slice(i));
      if (m) heredocs.push(m[2]!);
    }
    if (wantSkeleton) skeleton += c;
  }
  if (wantSkeleton) {
    st.blocks += (skeleton.match(OPENERS)?.length ?? 0) - (skeleton.match(CLOSERS)?.length ?? 0);
    if (st.blocks < 0) st.blocks = 0;
  }
  return { out: src.slice(0, end).replace(/\s+$/, ''), backslash, heredocs };
}

function stripSqlComment(s: string): string {
  let quote = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '-' && s[i + 1] === '-') return s.slice(0, i).replace(/\s+$/, '');
  }
  return s.replace(/\s+$/, '');
}

/** Removes the indentation every line of a multi-line command shares, so continuation lines keep their shape. */
function dedentLines(parts: string[]): string {
  const [first, ...rest] = parts;
  const indents = rest.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length);
  const common = indents.reduce((m, n) => Math.min(m, n), indents.length ? Number.POSITIVE_INFINITY : 0);
  return [first!.trim(), ...rest.map((l) => l.slice(Math.min(common, /^ */.exec(l)![0].length)))].join('\n').trim();
}

export type SplitMode = 'shell' | 'sql' | 'console';

/**
 * Splits the lines of a fenced block into commands. Comments are dropped, `\` continuations joined with a space;
 * a quote, `$(`, loop or here-document that spans lines keeps its newlines.
 */
export function splitCommands(lines: readonly SourceLine[], mode: SplitMode): RawCommand[] {
  const out: RawCommand[] = [];
  let parts: string[] = [];
  let start = 0;
  let sql = false;
  let heredocs: string[] = [];
  let joinWithSpace = false;
  const st: LexState = { quote: '', depth: 0, blocks: 0 };
  const flush = () => {
    const text = dedentLines(parts);
    if (text) out.push({ text, line: start, sql });
    parts = [];
    sql = false;
    joinWithSpace = false;
    heredocs = [];
    st.quote = '';
    st.depth = 0;
    st.blocks = 0;
  };
  for (const { text: rawText, line } of lines) {
    let text = rawText;
    if (heredocs.length) {
      parts.push(text);
      if (text.trim() === heredocs[0]) heredocs.shift();
      if (!heredocs.length && !st.quote && !st.depth && !st.blocks) flush();
      continue;
    }
    if (parts.length === 0) {
      const t = text.trim();
      // `--` opens an SQL comment; no shell command starts with it.
      if (!t || t.startsWith('#') || /^--(\s|$)/.test(t)) continue;
      if (mode === 'console') {
        const prompt = /^\s*[$%]\s+(.*)$/.exec(text);
        if (!prompt) continue; // program output, not a command
        text = prompt[1]!;
      }
      start = line;
      sql = isSqlStart(t) || (mode === 'sql' && !/^(psql|pg_\w+|\\)/.test(t));
    }
    if (sql) {
      if (!text.trim()) {
        flush();
        continue;
      }
      const body = stripSqlComment(text);
      if (body.trim()) parts.push(body);
      if (/;\s*$/.test(body)) flush();
      continue;
    }
    if (!text.trim() && !st.quote) {
      if (parts.length) flush();
      continue;
    }
    const scanned = scanLine(text, st);
    if (joinWithSpace && parts.length) parts[parts.length - 1] += ` ${scanned.out.trim()}`;
    else parts.push(scanned.out);
    joinWithSpace = scanned.backslash;
    if (scanned.heredocs.length) {
      heredocs = scanned.heredocs;
      continue;
    }
    const pending = st.quote || st.depth > 0 || st.blocks > 0 || scanned.backslash || /(\||&&)\s*$/.test(scanned.out);
    if (!pending) flush();
  }
  if (parts.length) flush();
  return out;
}

export type { Redirect, SimpleCommand } from './shell-syntax.js';

export interface ShellParse {
  commands: SimpleCommand[];
  /** Operators between commands, in order (`|`, `&&`, `||`, `;`, `&`, newline as `;`). */
  operators: string[];
  /** Text of each `$(…)` or backtick substitution. */
  substitutions: string[];
  heredoc: boolean;
}

/**
 * A command's structure, read by the real shell parser (shell-syntax.ts). Text that is not valid shell — prose or
 * half a command pasted into a fence — is read by the tolerant lexer below instead, so the classifier still sees
 * its words (and stays conservative: unknown words are `exec`). Never throws.
 */
export function parseShell(text: string): ShellParse {
  // Plain words and balanced quotes, no operator, redirect, expansion or escape anywhere: bash would split it on
  // blanks and drop the quotes, which is all the tolerant lexer does. Skipping the parser here keeps a runbook of
  // hundreds of commands fast (the parser is a GopherJS build, ~0.1-1 ms a call).
  if (isPlainCommand(text)) return lexShellTolerant(text);
  const pipeline = plainPipeline(text);
  if (pipeline) return pipeline;
  const r = parseShellSyntax(text);
  if (r.ok) {
    const { commands, operators, substitutions, heredoc } = r.syntax;
    // Copies: parse results are memoised and shared.
    return {
      commands: commands.map((c) => ({ words: [...c.words], redirects: [...c.redirects] })),
      operators: [...operators],
      substitutions: [...substitutions],
      heredoc,
    };
  }
  return lexShellTolerant(text);
}

const PLACEHOLDER_WORD = /(?<!<)<[A-Za-z][\w.:/@-]*>/g;

/**
 * True when bash would read the text as one simple command whose words are the blank-separated words with quotes
 * removed: outside quotes no operator, redirect, subshell, substitution, escape, comment or newline; inside double
 * quotes no expansion other than `$NAME`. For such text the tolerant lexer gives the parser's answer.
 */
export function isPlainCommand(text: string): boolean {
  if (text.length > 2000) return false;
  const q = blankQuoted(text);
  if (q.open || q.expandsInDoubleQuotes) return false;
  const unquoted = q.skeleton;
  const u = unquoted.replace(PLACEHOLDER_WORD, 'x').replace(/\$\{?[A-Za-z_]\w*\}?/g, 'x');
  if (/[|&;<>()`\\\n\r$]|(^|\s)#/.test(u)) return false;
  // A reserved word or declaration builtin in command position makes bash read a clause, not a simple command.
  const head = u.split(/\s+/).find((w) => w && !/^[A-Za-z_]\w*=/.test(w));
  return !head || !CLAUSE_WORDS.has(head);
}

/**
 * The text with every quoted character (quotes included) replaced by a blank, so operators outside quotes keep
 * their offsets; whether a quote is left open; whether a double-quoted part holds `` ` ``, `\` or `$(`, which bash
 * would expand or unescape there. Backslashes outside quotes are left in place for the caller to refuse.
 */
function blankQuoted(text: string): { skeleton: string; open: boolean; expandsInDoubleQuotes: boolean } {
  let skeleton = '';
  let quote = '';
  let expandsInDoubleQuotes = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = '';
      else if (quote === '"' && (c === '`' || c === '\\' || (c === '$' && text[i + 1] === '('))) {
        expandsInDoubleQuotes = true;
      }
      skeleton += ' ';
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    skeleton += quote ? ' ' : c;
  }
  return { skeleton, open: quote !== '', expandsInDoubleQuotes };
}

/** Words that start something other than a simple command in bash (mvdan/sh reads them as clauses). */
const CLAUSE_WORDS = new Set(
  '! time coproc function if then elif else fi for select case esac while until do done in { } [[ ]] declare local export readonly typeset nameref let'.split(
    ' ',
  ),
);

/**
 * Plain commands joined by one kind of operator (`a | b | c`, `a && b`): the commands bash would read, each split by
 * the tolerant lexer, or null when the text is anything else (mixed operators, `|&`, `;`, an empty side…) and needs
 * the parser. The operators outside quotes are found on a copy whose quoted characters are blanked, so a `|` inside
 * `"a|b"` never splits. Equal to the parser's answer for such text (test/runbooks/shell-fast-path.test.ts).
 */
export function plainPipeline(text: string): ShellParse | null {
  if (text.length > 2000 || !/[|&]/.test(text)) return null;
  const { skeleton, open } = blankQuoted(text);
  if (open) return null;
  const ops = [...skeleton.matchAll(/\|\||&&|\||&/g)];
  const op = ops[0]?.[0];
  if (!op || op === '&' || ops.some((m) => m[0] !== op)) return null;
  const commands: SimpleCommand[] = [];
  let from = 0;
  for (const m of [...ops, null]) {
    const to = m ? m.index! : text.length;
    const part = text.slice(from, to);
    if (!part.trim() || !isPlainCommand(part)) return null;
    const lexed = lexShellTolerant(part).commands;
    if (lexed.length !== 1) return null;
    commands.push(lexed[0]!);
    from = to + op.length;
  }
  return { commands, operators: ops.map(() => op), substitutions: [], heredoc: false };
}

/** Tokenises text that is not valid shell into simple commands, operators, redirects and substitutions. Never throws. */
function lexShellTolerant(text: string): ShellParse {
  const commands: SimpleCommand[] = [];
  const operators: string[] = [];
  const substitutions: string[] = [];
  let heredoc = false;
  let words: string[] = [];
  let redirects: Redirect[] = [];
  let word = '';
  let inWord = false;
  let pendingRedirect: string | null = null;
  const heredocTags: string[] = [];
  const endWord = () => {
    if (!inWord) return;
    if (pendingRedirect !== null) {
      if (pendingRedirect.startsWith('<<')) heredocTags.push(word);
      redirects.push({ op: pendingRedirect, target: word });
      pendingRedirect = null;
    } else words.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = (op: string | null) => {
    endWord();
    if (words.length || redirects.length) commands.push({ words, redirects });
    if (op && (words.length || redirects.length || commands.length)) operators.push(op);
    words = [];
    redirects = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      const stop = end < 0 ? text.length : end;
      word += text.slice(i + 1, stop);
      inWord = true;
      i = stop;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && j + 1 < text.length) {
          j++;
          word += text[j];
          continue;
        }
        if (text[j] === '$' && text[j + 1] === '(') {
          const end = matchParen(text, j + 1);
          substitutions.push(text.slice(j + 2, end));
          word += text.slice(j, end + 1);
          j = end;
          continue;
        }
        word += text[j];
      }
      inWord = true;
      i = j;
      continue;
    }
    if (c === '\\') {
      if (text[i + 1] === '\n') i++;
      else {
        word += text[i + 1] ?? '';
        inWord = true;
        i++;
      }
      continue;
    }
    if (c === '$' && text[i + 1] === '(') {
      const end = matchParen(text, i + 1);
      substitutions.push(text.slice(i + 2, end));
      word += text.slice(i, end + 1);
      inWord = true;
      i = end;
      continue;
    }
    if (c === '`') {
      const end = text.indexOf('`', i + 1);
      const stop = end < 0 ? text.length : end;
      substitutions.push(text.slice(i + 1, stop));
      word += text.slice(i, stop + 1);
      inWord = true;
      i = stop;
      continue;
    }
    if (c === ' ' || c === '\t') {
      endWord();
      continue;
    }
    if (c === '\n' || c === ';') {
      endCommand(';');
      // A here-document's body is data, not commands: skip to its terminator line.
      while (c === '\n' && heredocTags.length) {
        const tag = heredocTags.shift()!;
        let at = i + 1;
        while (at < text.length) {
          const eol = text.indexOf('\n', at);
          const lineEnd = eol < 0 ? text.length : eol;
          const done = text.slice(at, lineEnd).trim() === tag;
          at = lineEnd + 1;
          if (done) break;
        }
        i = at - 1;
      }
      continue;
    }
    if (c === '|' || c === '&') {
      const two = text.slice(i, i + 2);
      if (c === '&' && (text[i + 1] === '>' || text[i - 1] === '>')) {
        word += c;
        inWord = true;
        continue;
      }
      if (two === '||' || two === '&&') {
        endCommand(two);
        i++;
      } else endCommand(c);
      continue;
    }
    if (c === '<') {
      // `<pod-name>` is a placeholder the author wants filled in, not a redirect.
      const placeholder = /^<[A-Za-z][\w.:/@-]*>/.exec(text.slice(i));
      if (placeholder) {
        word += placeholder[0];
        inWord = true;
        i += placeholder[0].length - 1;
        continue;
      }
    }
    if (c === '>' || c === '<') {
      // A redirect: `>`, `>>`, `2>`, `2>&1`, `<`, `<<EOF`.
      const m = /^(<<-?|>>|>&|<|>)/.exec(text.slice(i))!;
      const fd = inWord && /^\d$/.test(word) ? word : '';
      if (fd) {
        word = '';
        inWord = false;
      } else endWord();
      if (m[1]!.startsWith('<<')) heredoc = true;
      pendingRedirect = fd + m[1]!;
      i += m[1]!.length - 1;
      // `2>&1` and friends: the target follows directly.
      continue;
    }
    word += c;
    inWord = true;
  }
  endCommand(null);
  if (pendingRedirect !== null) redirects.push({ op: pendingRedirect, target: '' });
  return { commands, operators, substitutions, heredoc };
}

function matchParen(text: string, open: number): number {
  let depth = 0;
  let quote = '';
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = '';
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return text.length - 1;
}
