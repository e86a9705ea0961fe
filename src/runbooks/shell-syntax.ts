import { createRequire } from 'node:module';

/**
 * The one shell parser of the project: mvdan/sh (the parser behind shfmt, compiled to JavaScript as the
 * `mvdan-sh` package) reads a command the way bash would — pipes, `&&`/`||`, `;`, background `&`, redirects,
 * subshells, `{ …; }` groups, `$(…)` and backticks, here-documents, every quoting form. The runbook classifier
 * (`parseShell` in shell.ts) and the executors (`parseCommandLine` in diagnostics/parse-command.ts) both read
 * commands through `parseShellSyntax`; the executors then apply their own, stricter checks.
 *
 * Runbook placeholders such as `<pod-name>` would read as redirects, so they are swapped for inert words before
 * parsing and restored in the words afterwards. Nothing here runs anything.
 */

interface MvdanNode {
  Pos(): { Offset(): number };
  End(): { Offset(): number };
  [key: string]: unknown;
}
interface MvdanSyntax {
  NewParser(...opts: unknown[]): { Parse(src: string, name: string): MvdanNode };
  KeepComments(keep: boolean): unknown;
  Variant(lang: unknown): unknown;
  LangBash: unknown;
  Walk(node: MvdanNode, fn: (n: MvdanNode | null) => boolean): void;
  NodeType(node: MvdanNode): string;
}

const require = createRequire(import.meta.url);
let syntax: MvdanSyntax | null = null;
let parser: { Parse(src: string, name: string): MvdanNode } | null = null;

function getParser() {
  if (!parser) {
    syntax = (require('mvdan-sh') as { syntax: MvdanSyntax }).syntax;
    parser = syntax.NewParser(syntax.KeepComments(false), syntax.Variant(syntax.LangBash));
  }
  return { syntax: syntax!, parser };
}

export interface Redirect {
  /** `>`, `>>`, `<`, `<<`, `<<-`, `<<<`, `>&`, `&>`…, prefixed with the file descriptor when one is written (`2>&`). */
  op: string;
  target: string;
}

export interface SimpleCommand {
  /** Words with quotes removed; `$(…)`, `$VAR` and placeholders kept as written. */
  words: string[];
  redirects: Redirect[];
}

export interface ShellSyntax {
  commands: SimpleCommand[];
  /** Operators between commands, in order (`|`, `|&`, `&&`, `||`, `;`, `&`). */
  operators: string[];
  /** Text of each `$(…)` or backtick substitution. */
  substitutions: string[];
  heredoc: boolean;
  /** A `( … )` subshell or `{ …; }` group, or a compound command (if/for/while/case). */
  compound: boolean;
  /** Character offset of the first top-level pipe (`|`), or null. */
  pipeAt: number | null;
  /** Backtick substitutions (as opposed to `$(…)`). */
  backticks: boolean;
  /** Top-level statements (lines or `;`-separated commands). */
  statements: number;
}

export type ShellSyntaxResult = { ok: true; syntax: ShellSyntax } | { ok: false; error: string };

/** Longest text handed to the parser (the GopherJS build is not linear on pathological input). */
export const MAX_SHELL_SYNTAX = 4000;

const BINARY_OPS: Record<number, string> = { 10: '&&', 11: '||', 12: '|', 13: '|&' };
const REDIRECT_OPS: Record<number, string> = {
  54: '>',
  55: '>>',
  56: '<',
  57: '<>',
  58: '<&',
  59: '>&',
  60: '>|',
  61: '<<',
  62: '<<-',
  63: '<<<',
  64: '&>',
  65: '&>>',
};
const PLACEHOLDER = /(?<!<)<([A-Za-z][\w.:/@-]*)>/g;

/** Recent results by text: runbooks repeat commands, and a reload re-reads the same ones (bounded, oldest out). */
const memo = new Map<string, ShellSyntaxResult>();
const MEMO_SIZE = 4096;

/**
 * Parses a command as bash would. Never throws: a syntax error comes back as `{ ok: false, error }`. Results are
 * memoised by text (treat them as read-only).
 */
export function parseShellSyntax(text: string): ShellSyntaxResult {
  if (text.length > MAX_SHELL_SYNTAX) return { ok: false, error: 'the command is too long to read' };
  const hit = memo.get(text);
  if (hit) return hit;
  const result = parseUncached(text);
  if (memo.size >= MEMO_SIZE) memo.delete(memo.keys().next().value as string);
  memo.set(text, result);
  return result;
}

function parseUncached(text: string): ShellSyntaxResult {
  const placeholders: string[] = [];
  const src = text.replace(PLACEHOLDER, (m) => {
    placeholders.push(m);
    return `__ibph${placeholders.length - 1}__`;
  });
  const restore = (s: string) => s.replace(/__ibph(\d+)__/g, (m, i: string) => placeholders[Number(i)] ?? m);
  // mvdan/sh reports byte offsets into the UTF-8 text.
  const bytes = Buffer.from(src, 'utf8');
  const slice = (from: number, to: number) => bytes.subarray(from, to).toString('utf8');
  const charAt = (byteOffset: number) => bytes.subarray(0, byteOffset).toString('utf8').length;
  let file: MvdanNode;
  const { syntax: sx, parser: p } = getParser();
  try {
    file = p.Parse(src, 'command');
  } catch (err) {
    return { ok: false, error: shellError(err) };
  }
  const type = (n: MvdanNode) => sx.NodeType(n);
  const out: ShellSyntax = {
    commands: [],
    operators: [],
    substitutions: [],
    heredoc: false,
    compound: false,
    pipeAt: null,
    backticks: false,
    statements: (file.Stmts as MvdanNode[] | undefined)?.length ?? 0,
  };

  const partText = (part: MvdanNode, quoted: boolean): string => {
    switch (type(part)) {
      case 'Lit': {
        const v = String(part.Value);
        // Inside double quotes only \$ \` \" \\ and \newline are escapes; outside, any backslash escapes.
        return quoted ? v.replace(/\\([$`"\\\n])/g, (_, c: string) => (c === '\n' ? '' : c)) : unescapeShell(v);
      }
      case 'SglQuoted':
        return String(part.Value);
      case 'DblQuoted':
        return ((part.Parts as MvdanNode[] | null) ?? []).map((x) => partText(x, true)).join('');
      default:
        return slice(part.Pos().Offset(), part.End().Offset());
    }
  };
  const wordText = (w: MvdanNode | null | undefined) =>
    w ? restore(((w.Parts as MvdanNode[] | null) ?? []).map((x) => partText(x, false)).join('')) : '';
  const redirectsOf = (stmt: MvdanNode): Redirect[] =>
    ((stmt.Redirs as MvdanNode[] | null) ?? []).map((r) => {
      const op = REDIRECT_OPS[Number(r.Op)] ?? '>';
      if (op === '<<' || op === '<<-') out.heredoc = true;
      const n = r.N as MvdanNode | null;
      return { op: `${n ? String(n.Value) : ''}${op}`, target: wordText(r.Word as MvdanNode) };
    });

  let listStatements = 0;
  const visitStmt = (stmt: MvdanNode, inList: boolean) => {
    if (inList) listStatements++;
    if (stmt.Background) out.operators.push('&');
    const cmd = stmt.Cmd as MvdanNode | null;
    const redirects = redirectsOf(stmt);
    if (!cmd) {
      if (redirects.length) out.commands.push({ words: [], redirects });
      return;
    }
    const t = type(cmd);
    if (t === 'CallExpr') {
      const assigns = ((cmd.Assigns as MvdanNode[] | null) ?? []).map(
        (a) => `${String((a.Name as MvdanNode).Value)}=${wordText(a.Value as MvdanNode | null)}`,
      );
      const words = ((cmd.Args as MvdanNode[] | null) ?? []).map((w) => wordText(w));
      collectSubstitutions(cmd);
      out.commands.push({ words: [...assigns, ...words], redirects });
      return;
    }
    if (redirects.length) out.commands.push({ words: [], redirects });
    if (t === 'BinaryCmd') {
      const op = BINARY_OPS[Number(cmd.Op)] ?? ';';
      out.operators.push(op);
      if ((op === '|' || op === '|&') && out.pipeAt === null && !out.compound) {
        out.pipeAt = restore(src.slice(0, charAt((cmd.OpPos as { Offset(): number }).Offset()))).length;
      }
      visitStmt(cmd.X as MvdanNode, false);
      visitStmt(cmd.Y as MvdanNode, false);
      return;
    }
    // Subshells, groups, if/for/while/case, functions, [[ ]], (( )), declarations: read every statement inside.
    out.compound = true;
    collectSubstitutions(cmd);
    sx.Walk(cmd, (n) => {
      if (!n || n === cmd) return true;
      if (type(n) === 'Stmt') {
        visitStmt(n, true);
        return false;
      }
      return type(n) !== 'CmdSubst';
    });
  };
  const collectSubstitutions = (node: MvdanNode) => {
    sx.Walk(node, (n) => {
      if (!n) return true;
      if (type(n) === 'CmdSubst') {
        const whole = slice(n.Pos().Offset(), n.End().Offset());
        const backtick = whole.startsWith('`');
        if (backtick) out.backticks = true;
        out.substitutions.push(restore(backtick ? whole.slice(1, -1) : whole.slice(2, -1)));
        return false;
      }
      return true;
    });
  };
  for (const stmt of (file.Stmts as MvdanNode[] | undefined) ?? []) visitStmt(stmt, true);
  for (let i = 1; i < listStatements; i++) out.operators.push(';');
  return { ok: true, syntax: out };
}

/** Removes shell backslash escapes outside quotes (`a\ b` → `a b`, `\` + newline → nothing). */
function unescapeShell(v: string): string {
  return v.replace(/\\(\n|[\s\S])/g, (_, c: string) => (c === '\n' ? '' : c));
}

function shellError(err: unknown): string {
  const e = err as { Error?: () => string; message?: string; Text?: string };
  const msg = (typeof e?.Error === 'function' ? e.Error() : (e?.Text ?? e?.message)) ?? String(err);
  return String(msg)
    .replace(/^command:\d+:\d+:\s*/, '')
    .slice(0, 200);
}
