import { type Block, leadingBold, parseLabel, plainText, type TextBlock } from './markdown.js';
import type { Command, Step } from './schema.js';

/**
 * Cuts a runbook section into the steps the bot renders: sub-headings, stand-alone bold labels
 * (`**Step 1: Check logs**`, `**Triage**:`), step labels with text (`**Resolution**: …`) and top-level numbered
 * items each start a step. Descriptive parts (alert details, summary, impact) are not steps.
 */

const STEP_LABEL =
  /^(triage|resolution|remediation|mitigation|fix|workaround|verification|verify|investigation|diagnosis|detection|checks?|actions?|steps|debug|rollback|recovery|escalation|common causes|root cause|prevention|immediate actions?|next steps|follow[- ]up|clean[- ]?up|validation)$/i;
export const META_HEADING =
  /^(alert( (name|details|description|definition|info|rules?|summary))?|summary|description|overview|impact|severity|trigger|threshold|table of contents|contents|toc|contacts?( information)?|related (docs|documentation|links|runbooks)|references|see also|links|.*\btemplate)$/i;
const META_LABEL =
  /^(alert( (name|details|description|definition|info|rules?))?|severity|trigger|threshold|impact|summary|description)$/i;

interface Boundary {
  at: number;
  title: string;
  group: string | null;
  meta: boolean;
  /** Text on the boundary's own line that belongs to the step (a label's value, an item's text). */
  lead: string;
  kind: 'heading' | 'label' | 'item';
}

const stripNumber = (s: string) => s.replace(/^\d+[.)]\s*/, '');

/** Title of a numbered item: its bold lead, else the words before a colon, else the first ~80 characters. */
function itemTitle(text: string): { title: string; lead: string } {
  const bold = leadingBold(text);
  if (bold) {
    const lead = text
      .replace(/^(\*\*|__)(.+?)\1\s*/, '')
      .replace(/^[:\-–—]\s*/, '')
      .trim();
    return { title: bold, lead };
  }
  const colon = /^([^:`]{3,80}?):\s+(.*)$/.exec(text);
  if (colon && !/https?$/.test(colon[1]!)) return { title: plainText(colon[1]!), lead: text };
  const plain = plainText(text);
  return { title: plain.length > 80 ? `${plain.slice(0, 79)}…` : plain, lead: text };
}

function findBoundaries(blocks: readonly Block[], from: number, to: number, baseLevel: number): Boundary[] {
  const out: Boundary[] = [];
  const headings: { level: number; text: string }[] = [];
  let group: string | null = null; // the current heading or label, for numbered items
  for (let i = from; i < to; i++) {
    const b = blocks[i]!;
    if (b.type === 'heading') {
      while (headings.length && headings.at(-1)!.level >= b.level) headings.pop();
      const parent = headings.at(-1)?.text ?? null;
      headings.push({ level: b.level, text: b.text });
      out.push({
        at: i,
        title: b.text,
        group: b.level > baseLevel ? parent : null,
        meta: META_HEADING.test(stripNumber(b.text)),
        lead: '',
        kind: 'heading',
      });
      group = b.text;
      continue;
    }
    if (b.type !== 'text') continue;
    if (b.kind === 'paragraph') {
      const label = parseLabel(b.text);
      if (!label) continue;
      if (label.rest === '') {
        out.push({
          at: i,
          title: label.label,
          group: headings.at(-1)?.text ?? null,
          meta: META_LABEL.test(label.label),
          lead: '',
          kind: 'label',
        });
        group = label.label;
      } else if (STEP_LABEL.test(label.label)) {
        out.push({
          at: i,
          title: label.label,
          group: headings.at(-1)?.text ?? null,
          meta: false,
          lead: label.rest,
          kind: 'label',
        });
      }
    } else if (b.kind === 'ordered' && b.indent < 2) {
      const { title, lead } = itemTitle(b.text);
      out.push({ at: i, title, group, meta: false, lead, kind: 'item' });
    }
  }
  return out;
}

/** Markdown for a run of text blocks: list markers restored, paragraphs separated by blank lines. */
export function blocksMarkdown(blocks: readonly Block[]): string {
  const texts = blocks.filter((b): b is TextBlock => b.type === 'text' && b.kind !== 'hr');
  const lists = texts.filter((b) => b.kind === 'bullet' || b.kind === 'ordered');
  const base = lists.reduce((m, b) => Math.min(m, b.indent), lists.length ? Number.POSITIVE_INFINITY : 0);
  let out = '';
  let prev: TextBlock | null = null;
  for (const b of texts) {
    const pad = ' '.repeat(Math.max(0, b.indent - base));
    const line =
      b.kind === 'bullet'
        ? `${pad}- ${b.text}`
        : b.kind === 'ordered'
          ? `${pad}${b.number}. ${b.text}`
          : b.kind === 'quote'
            ? `> ${b.text}`
            : b.text;
    out += prev === null ? line : prev.para === b.para ? `\n${line}` : `\n\n${line}`;
    prev = b;
  }
  return out.trim();
}

export interface StepInput {
  blocks: readonly Block[];
  /** Range of the section's blocks; `from` is the section heading when there is one. */
  from: number;
  to: number;
  title: string;
  headingLevel: number;
  commandsOf: (b: Block) => Command[];
}

export function buildSteps({ blocks, from, to, title, headingLevel, commandsOf }: StepInput): Step[] {
  const start = blocks[from]?.type === 'heading' && from < to ? from + 1 : from;
  const bounds = findBoundaries(blocks, start, to, headingLevel);
  const steps: (Step & { meta: boolean })[] = [];
  const loose: Block[] = [];
  const looseCommands: Command[] = [];
  const firstAt = bounds[0]?.at ?? to;
  for (let i = start; i < firstAt; i++) {
    loose.push(blocks[i]!);
    looseCommands.push(...commandsOf(blocks[i]!));
  }
  bounds.forEach((bd, k) => {
    const end = bounds[k + 1]?.at ?? to;
    const own = blocks.slice(bd.at + 1, end);
    const commands = [bd.at, ...own.map((_, j) => bd.at + 1 + j)].flatMap((j) => commandsOf(blocks[j]!));
    if (bd.meta) {
      // A label such as **Alert Definition** describes only what follows it directly; later text is loose.
      if (bd.kind === 'label') {
        let j = 0;
        while (
          j < own.length &&
          (own[j]!.type === 'code' || (own[j]!.type === 'text' && (own[j] as TextBlock).kind !== 'paragraph'))
        )
          j++;
        loose.push(...own.slice(j));
        looseCommands.push(...own.slice(j).flatMap((b) => commandsOf(b)));
      }
      return;
    }
    const text = [bd.lead, blocksMarkdown(own)].filter(Boolean).join('\n\n').trim();
    steps.push({
      title: stripTrailing(bd.title),
      line: blocks[bd.at]!.line,
      text,
      commands,
      group: bd.group,
      meta: false,
    });
  });
  // An empty heading or label that only groups the steps below it is not a step of its own.
  const kept = steps.filter((s, k) => s.text || s.commands.length || steps[k + 1]?.group !== s.title);
  const result: Step[] = kept.map(({ meta: _meta, ...s }) => s);
  if (looseCommands.length && result.length) {
    result.unshift({
      title: stripTrailing(title),
      line: blocks[start]?.line ?? blocks[from]?.line ?? 1,
      text: blocksMarkdown(loose),
      commands: looseCommands,
      group: null,
    });
  }
  if (!result.length) {
    const text = blocksMarkdown(loose);
    if (text || looseCommands.length) {
      result.push({
        title: stripTrailing(title),
        line: blocks[from]?.line ?? 1,
        text,
        commands: looseCommands,
        group: null,
      });
    }
  }
  return result;
}

const stripTrailing = (s: string) => s.replace(/[\s:]+$/, '');
