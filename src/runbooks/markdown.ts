import MarkdownIt from 'markdown-it';

/**
 * The runbook's Markdown as a flat list of blocks (headings, fenced code, list items, paragraphs, table rows), each
 * with its 1-based line number. Block structure comes from markdown-it; inline markup is read by small helpers.
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

const md = new MarkdownIt('commonmark', { html: true }).enable(['table', 'strikethrough']);
// Block structure only: inline markup is read by the small linear helpers below, so no inline rule can go
// super-linear on a pathological line (a run of `[`, backticks, `|`, `*`).
md.core.ruler.disable(['inline', 'text_join']);

function indentOf(s: string): number {
  let n = 0;
  for (const ch of s) {
    if (ch === ' ') n++;
    else if (ch === '\t') n += 4;
    else break;
  }
  return n;
}

/** Longest input the regex-based inline helpers look at; longer text is only trimmed (linear on any input). */
const INLINE_LIMIT = 600;

/** Strips emphasis, code and link markup so titles read as plain text. */
export function plainText(s: string): string {
  if (!/[*_`[]/.test(s)) return s.trim();
  if (s.length > INLINE_LIMIT) return s.replace(/[*`]+/g, '').trim();
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

/** A line that starts a new logical line inside a CommonMark paragraph: a label (`**Severity**: P1`, `Owner: x`). */
const LINE_START = /^(\*\*|__|[+*-]\s|\|)|^[A-Z][\w /()-]{0,30}:\s/;

/**
 * Markdown → blocks with 1-based line numbers, on markdown-it (CommonMark + GFM tables) with its source maps:
 * fences inside list items, setext headings, HTML blocks and tables behave as on GitHub. A hard-wrapped paragraph
 * or list item is one text block (its lines joined); a line that starts a label starts a new block. Never throws.
 */
export function readMarkdown(lines: readonly string[], firstLine = 1): MarkdownDoc {
  const blocks: Block[] = [];
  const slugCounts = new Map<string, number>();
  const tokens = md.parse(lines.join('\n'), {});
  let para = 0;
  let depth = 0; // list nesting
  let quote = 0;
  const items: { ordered: boolean; first: boolean }[] = [];
  const lists: boolean[] = [];
  const src = (i: number) => lines[i] ?? '';
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    const map = t.map;
    switch (t.type) {
      case 'bullet_list_open':
      case 'ordered_list_open':
        if (depth === 0 && !quote) para++;
        lists.push(t.type === 'ordered_list_open');
        depth++;
        continue;
      case 'bullet_list_close':
      case 'ordered_list_close':
        lists.pop();
        depth--;
        continue;
      case 'list_item_open':
        items.push({ ordered: lists.at(-1) ?? false, first: true });
        continue;
      case 'list_item_close':
        items.pop();
        continue;
      case 'blockquote_open':
        if (!quote && depth === 0) para++;
        quote++;
        continue;
      case 'blockquote_close':
        quote--;
        continue;
      case 'heading_open': {
        if (!map) continue;
        const raw = tokens[k + 1]?.type === 'inline' ? tokens[k + 1]!.content : '';
        blocks.push({
          type: 'heading',
          line: map[0] + firstLine,
          level: Number(t.tag.slice(1)) || 1,
          text: plainText(raw),
          slug: uniqueSlug(slugify(raw), slugCounts),
        });
        continue;
      }
      case 'fence':
      case 'code_block': {
        if (!map) continue;
        const body = t.content.replace(/\n$/, '').split('\n');
        if (body.length === 1 && body[0] === '') body.pop();
        let closed = t.type === 'code_block';
        if (t.type === 'fence') {
          const last = src(map[1] - 1)
            .replace(/^[\s>]*/, '')
            .trim();
          closed = map[1] - 1 > map[0] && last.startsWith(t.markup) && /^(`+|~+)$/.test(last);
        }
        blocks.push({
          type: 'code',
          line: map[0] + firstLine,
          lang: (t.info.trim().split(/\s/)[0] ?? '')
            .toLowerCase()
            .replace(/^\{?\.?/, '')
            .replace(/[},].*$/, ''),
          body: body.map((l) => l.replace(/\s+$/, '')),
          bodyLine: map[0] + (t.type === 'fence' ? 1 : 0) + firstLine,
          endLine: map[1] - 1 + firstLine,
          closed,
        });
        continue;
      }
      case 'hr':
        if (map) blocks.push({ type: 'text', line: map[0] + firstLine, kind: 'hr', text: '', indent: 0, para: ++para });
        continue;
      case 'table_open': {
        if (!map) continue;
        para++;
        for (let i = map[0]; i < map[1]; i++) {
          const row = src(i).replace(/^\s*(>\s?)*/, '');
          if (row.trim())
            blocks.push({ type: 'text', line: i + firstLine, kind: 'table', text: row.trim(), indent: 0, para });
        }
        continue;
      }
      case 'html_block': {
        if (!map) continue;
        const start = blocks.length;
        for (let i = map[0]; i < map[1]; i++) {
          const text = src(i)
            .replace(/<[^<>]{0,200}>/g, ' ')
            .replace(/\s+/g, ' ')
            .trim();
          if (text) {
            if (blocks.length === start) para++;
            blocks.push({ type: 'text', line: i + firstLine, kind: 'paragraph', text, indent: 0, para });
          }
        }
        continue;
      }
      case 'paragraph_open': {
        const inline = tokens[k + 1];
        if (!map || inline?.type !== 'inline') continue;
        const item = items.at(-1);
        const firstOfItem = item?.first === true;
        if (item) item.first = false;
        if (depth === 0 && !quote) para++;
        const contentLines = inline.content.split('\n');
        let current: TextBlock | null = null;
        for (let j = 0; j < contentLines.length; j++) {
          const lineNo = map[0] + j;
          const text = contentLines[j]!.trim();
          const rawLine = src(lineNo);
          if (j === 0 && firstOfItem && item) {
            const ordered = /^[\s>]*(\d{1,9})[.)]/.exec(rawLine);
            // The item's own words as written: `- >30% of nodes` is a list item about ">30%", not a quote.
            const marker = /^[\s>]*(?:[-*+]|\d{1,9}[.)])[ \t]+(.*)$/.exec(rawLine);
            current = {
              type: 'text',
              line: lineNo + firstLine,
              kind: item.ordered ? 'ordered' : 'bullet',
              text: marker?.[1]?.trim() || text,
              indent: indentOf(rawLine.replace(/^(\s*>)+/, '')),
              para,
              ...(item.ordered ? { number: Number(ordered?.[1] ?? 1) } : {}),
            };
            blocks.push(current);
            continue;
          }
          const prevRaw = j > 0 ? src(lineNo - 1) : '';
          const hardBreak = /( {2,}|\\)$/.test(prevRaw);
          if (current && !hardBreak && !LINE_START.test(text) && text) {
            current.text = `${current.text} ${text}`;
            continue;
          }
          if (!text) continue;
          current = {
            type: 'text',
            line: lineNo + firstLine,
            kind: quote ? 'quote' : 'paragraph',
            text,
            indent: depth ? indentOf(rawLine) : indentOf(rawLine),
            para,
          };
          blocks.push(current);
        }
        continue;
      }
      default:
        continue;
    }
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
  // `**Severity**: x`, and the single-emphasis form `*Severity*: x` (its colon required).
  const m = /^(\*\*|__)(.+?)\1\s*(.*)$/.exec(text) ?? /^([*_])([A-Za-z][\w ./-]{0,40}?)\1(\s*:.*)$/.exec(text);
  if (!m) return null;
  let label = m[2]!.trim();
  let rest = m[3]!;
  if (label.endsWith(':')) label = label.slice(0, -1).trim();
  else if (rest.startsWith(':')) rest = rest.slice(1);
  else if (rest !== '' && !/^[-–—]/.test(rest)) return null; // bold words inside a sentence are not a label
  return { label: plainText(label), rest: rest.replace(/^[-–—]\s*/, '').trim() };
}

/**
 * Inline code spans in a line of prose, in order (CommonMark: a run of n backticks closes at the next run of exactly
 * n). One pass over the text plus one pointer per run length, so linear on any input.
 */
export function inlineCode(text: string): string[] {
  if (!text.includes('`')) return [];
  const runs: { at: number; len: number }[] = [];
  for (let i = 0; i < text.length; ) {
    if (text[i] !== '`') {
      i++;
      continue;
    }
    let j = i;
    while (j < text.length && text[j] === '`') j++;
    runs.push({ at: i, len: j - i });
    i = j;
  }
  const byLen = new Map<number, number[]>();
  runs.forEach((r, idx) => {
    const list = byLen.get(r.len) ?? [];
    list.push(idx);
    byLen.set(r.len, list);
  });
  const cursor = new Map<number, number>();
  const out: string[] = [];
  for (let r = 0; r < runs.length; r++) {
    const open = runs[r]!;
    const list = byLen.get(open.len)!;
    let c = cursor.get(open.len) ?? 0;
    while (c < list.length && list[c]! <= r) c++;
    cursor.set(open.len, c);
    if (c >= list.length) continue;
    const closeIdx = list[c]!;
    const close = runs[closeIdx]!;
    const body = text.slice(open.at + open.len, close.at);
    if (body.trim()) out.push(body.trim());
    r = closeIdx;
  }
  return out;
}

/** Splits a `| a | b |` table row into trimmed cells. */
export function tableCells(row: string): string[] {
  const t = row.trim().replace(/^\|/, '').replace(/\|$/, '');
  return t.split(/(?<!\\)\|/).map((c) => c.trim());
}

export function isTableSeparator(row: string): boolean {
  if (row.length > INLINE_LIMIT) return /^[\s|:-]+$/.test(row) && row.includes('--');
  return /^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$/.test(row.trim());
}

/** The bold words a line starts with (`**Critical alerts** require…` → "Critical alerts"), or null. */
export function leadingBold(text: string): string | null {
  const m = /^(\*\*|__)(.+?)\1/.exec(text);
  return m ? plainText(m[2]!).replace(/:$/, '').trim() : null;
}
