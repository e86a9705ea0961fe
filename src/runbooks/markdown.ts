/**
 * A deliberately small Markdown reader: runbooks need headings, fenced code, list items, tables and labels, each
 * with its 1-based line number — not a full CommonMark tree. Line-based, linear, never throws.
 */

export interface HeadingBlock {
  type: 'heading';
  line: number;
  level: number;
  /** Heading text with emphasis and code markers removed. */
  text: string;
  /** GitHub-style anchor, unique within the document. */
  slug: string;
}

export interface CodeBlock {
  type: 'code';
  line: number;
  /** Lower-cased first word of the info string ('' for a bare fence). */
  lang: string;
  /** Content lines with the fence's indentation removed. */
  body: string[];
  /** Line number of body[0]. */
  bodyLine: number;
  endLine: number;
  closed: boolean;
}

export type TextKind = 'paragraph' | 'bullet' | 'ordered' | 'table' | 'quote' | 'hr';

export interface TextBlock {
  type: 'text';
  line: number;
  kind: TextKind;
  /** The line without its list/quote marker, trimmed. */
  text: string;
  /** Leading spaces before the marker (tabs count as 4). */
  indent: number;
  /** Consecutive non-blank text lines share a paragraph number. */
  para: number;
  /** The number of an ordered list item. */
  number?: number;
}

export type Block = HeadingBlock | CodeBlock | TextBlock;

export interface HeadingNode {
  /** Index of the heading in `blocks`. */
  at: number;
  /** Index of the first block after this heading's subtree. */
  end: number;
  heading: HeadingBlock;
  parent: HeadingNode | null;
  children: HeadingNode[];
}

export interface MarkdownDoc {
  blocks: Block[];
  /** Top-level headings (their children hang below). */
  roots: HeadingNode[];
  /** All headings in document order. */
  headings: HeadingNode[];
}

const FENCE_OPEN = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)(.*)$/;
const ATX = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const HR = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const BULLET = /^(\s*)[-*+][ \t]+(.*)$/;
const ORDERED = /^(\s*)(\d{1,9})[.)][ \t]+(.*)$/;
const QUOTE = /^\s*>[ \t]?(.*)$/;

function indentOf(s: string): number {
  let n = 0;
  for (const ch of s) {
    if (ch === ' ') n++;
    else if (ch === '\t') n += 4;
    else break;
  }
  return n;
}

/** Removes up to `n` leading spaces (a fence nested in a list item is indented). */
function dedent(s: string, n: number): string {
  let i = 0;
  while (i < n && i < s.length && s[i] === ' ') i++;
  return s.slice(i);
}

/** Strips emphasis, code and link markup so titles read as plain text. */
export function plainText(s: string): string {
  if (!/[*_`[]/.test(s)) return s.trim();
  return s
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/`+([^`]*)`+/g, '$1')
    .replace(/(^|\W)[*_]([^*_\s][^*_]*?)[*_](?=\W|$)/g, '$1$2')
    .trim();
}

/** GitHub's anchor algorithm: lower-case, drop punctuation, spaces to hyphens. */
export function slugify(s: string): string {
  return plainText(s)
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .trim()
    .replace(/\s/g, '-');
}

export function readMarkdown(lines: readonly string[], firstLine = 1): MarkdownDoc {
  const blocks: Block[] = [];
  const slugCounts = new Map<string, number>();
  let para = 0;
  let inPara = false;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const line = i + firstLine;
    if (raw.trim() === '') {
      inPara = false;
      continue;
    }
    const fence = FENCE_OPEN.exec(raw);
    if (fence && !(fence[2]![0] === '`' && fence[4]!.includes('`'))) {
      const indent = indentOf(fence[1]!);
      const marker = fence[2]!;
      const body: string[] = [];
      let j = i + 1;
      let closed = false;
      for (; j < lines.length; j++) {
        const t = lines[j]!.trim();
        if (/^(`{3,}|~{3,})$/.test(t) && t[0] === marker[0] && t.length >= marker.length) {
          closed = true;
          break;
        }
        body.push(dedent(lines[j]!, indent).replace(/\s+$/, ''));
      }
      blocks.push({
        type: 'code',
        line,
        lang: fence[3]!
          .toLowerCase()
          .replace(/^\{?\.?/, '')
          .replace(/[},].*$/, ''),
        body,
        bodyLine: line + 1,
        endLine: (closed ? j : j - 1) + firstLine,
        closed,
      });
      i = closed ? j : lines.length;
      inPara = false;
      continue;
    }
    const atx = ATX.exec(raw);
    if (atx) {
      const text = plainText(atx[2] ?? '');
      blocks.push({
        type: 'heading',
        line,
        level: atx[1]!.length,
        text,
        slug: uniqueSlug(slugify(atx[2] ?? ''), slugCounts),
      });
      inPara = false;
      continue;
    }
    // Setext heading: "Title" underlined with "===" (only "=", so "---" stays a rule).
    if (/^ {0,3}=+\s*$/.test(raw)) {
      const prev = blocks.at(-1);
      if (prev?.type === 'text' && prev.kind === 'paragraph' && prev.line === line - 1 && inPara) {
        blocks[blocks.length - 1] = {
          type: 'heading',
          line: prev.line,
          level: 1,
          text: plainText(prev.text),
          slug: uniqueSlug(slugify(prev.text), slugCounts),
        };
        inPara = false;
        continue;
      }
    }
    if (!inPara) para++;
    inPara = true;
    const indent = indentOf(raw);
    if (HR.test(raw)) {
      blocks.push({ type: 'text', line, kind: 'hr', text: '', indent, para });
      inPara = false;
      continue;
    }
    const ordered = ORDERED.exec(raw);
    if (ordered) {
      blocks.push({
        type: 'text',
        line,
        kind: 'ordered',
        text: ordered[3]!.trim(),
        indent,
        para,
        number: Number(ordered[2]),
      });
      continue;
    }
    const bullet = BULLET.exec(raw);
    if (bullet) {
      blocks.push({ type: 'text', line, kind: 'bullet', text: bullet[2]!.trim(), indent, para });
      continue;
    }
    const quote = QUOTE.exec(raw);
    if (quote) {
      blocks.push({ type: 'text', line, kind: 'quote', text: quote[1]!.trim(), indent, para });
      continue;
    }
    const kind: TextKind = raw.trimStart().startsWith('|') ? 'table' : 'paragraph';
    blocks.push({ type: 'text', line, kind, text: raw.trim(), indent, para });
  }
  return { blocks, ...headingTree(blocks) };
}

function uniqueSlug(slug: string, counts: Map<string, number>): string {
  const n = counts.get(slug) ?? 0;
  counts.set(slug, n + 1);
  return n === 0 ? slug : `${slug}-${n}`;
}

function headingTree(blocks: Block[]): { roots: HeadingNode[]; headings: HeadingNode[] } {
  const roots: HeadingNode[] = [];
  const headings: HeadingNode[] = [];
  const stack: HeadingNode[] = [];
  blocks.forEach((b, at) => {
    if (b.type !== 'heading') return;
    while (stack.length && stack.at(-1)!.heading.level >= b.level) stack.pop()!.end = at;
    const parent = stack.at(-1) ?? null;
    const node: HeadingNode = { at, end: blocks.length, heading: b, parent, children: [] };
    (parent ? parent.children : roots).push(node);
    headings.push(node);
    stack.push(node);
  });
  return { roots, headings };
}

/** A bold label at the start of a line: `**Severity**: Warning`, `**Triage**:`, `**Step 1: Check**`. */
export interface Label {
  label: string;
  /** Text after the label (and its colon), trimmed; '' for a label on its own. */
  rest: string;
}

export function parseLabel(text: string): Label | null {
  const m = /^(\*\*|__)(.+?)\1\s*(.*)$/.exec(text);
  if (!m) return null;
  let label = m[2]!.trim();
  let rest = m[3]!;
  if (label.endsWith(':')) label = label.slice(0, -1).trim();
  else if (rest.startsWith(':')) rest = rest.slice(1);
  else if (rest !== '' && !/^[-–—]/.test(rest)) return null; // bold words inside a sentence are not a label
  return { label: plainText(label), rest: rest.replace(/^[-–—]\s*/, '').trim() };
}

/** Inline code spans in a line of prose, in order. */
export function inlineCode(text: string): string[] {
  const out: string[] = [];
  const re = /(`+)(?!`)([\s\S]*?[^`])\1(?!`)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[2]!.trim());
  return out;
}

/** Splits a `| a | b |` table row into trimmed cells. */
export function tableCells(row: string): string[] {
  const t = row.trim().replace(/^\|/, '').replace(/\|$/, '');
  return t.split(/(?<!\\)\|/).map((c) => c.trim());
}

export function isTableSeparator(row: string): boolean {
  return /^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$/.test(row.trim());
}

/** The bold words a line starts with (`**Critical alerts** require…` → "Critical alerts"), or null. */
export function leadingBold(text: string): string | null {
  const m = /^(\*\*|__)(.+?)\1/.exec(text);
  return m ? plainText(m[2]!).replace(/:$/, '').trim() : null;
}
