import { type Block, type CodeBlock, parseLabel, plainText } from './markdown.js';
import type { Template } from './schema.js';

/**
 * Finds the communication template (the status message responders post) and the post-incident review template.
 * A template is a fenced block under a heading or label that says so; unlabelled blocks are recognised by shape.
 */

const COMMUNICATION =
  /communicat|status (update|message)|announcement|stakeholder|incident (alert|update|notification|message)|slack (message|update)|customer (update|notification)/i;
const POST_INCIDENT = /post[- ]?incident|post[- ]?mortem|retrospective|\bPIR\b|incident review|after[- ]action/i;
const TEMPLATE_LANGS = new Set(['', 'text', 'txt', 'plain', 'plaintext', 'markdown', 'md', 'slack', 'mrkdwn']);

export interface Templates {
  communication: Template | null;
  postIncident: Template | null;
  /** The fenced blocks used as templates, so commands and timers skip them. */
  blocks: Set<Block>;
}

export function extractTemplates(blocks: readonly Block[]): Templates {
  const out: Templates = { communication: null, postIncident: null, blocks: new Set() };
  let heading = '';
  let label = '';
  for (const b of blocks) {
    if (b.type === 'heading') {
      heading = b.text;
      label = '';
      continue;
    }
    if (b.type === 'text') {
      const l = parseLabel(b.text);
      if (l && b.kind === 'paragraph') label = l.label;
      continue;
    }
    if (!TEMPLATE_LANGS.has(b.lang) || !b.body.some((l) => l.trim())) continue;
    const context = `${heading} ${label}`;
    const named = /template/i.test(context);
    const kind =
      (named || isPostIncidentShape(b)) && POST_INCIDENT.test(`${context} ${b.body[0] ?? ''}`)
        ? 'postIncident'
        : (named && COMMUNICATION.test(context)) || isCommunicationShape(b)
          ? 'communication'
          : null;
    if (!kind || out[kind]) continue;
    out[kind] = { line: b.bodyLine, fields: templateFields(b.body), text: b.body.join('\n').replace(/\s+$/, '') };
    out.blocks.add(b);
  }
  return out;
}

function isPostIncidentShape(b: CodeBlock): boolean {
  return /^#\s*(post[- ]?incident|post[- ]?mortem|incident review|retrospective)/i.test(
    b.body.find((l) => l.trim()) ?? '',
  );
}

/** A status message: several `Label: value` lines including a status or severity. */
function isCommunicationShape(b: CodeBlock): boolean {
  const labels = b.body.filter((l) => /^\s*[A-Z][\w ]{1,30}:\s/.test(l)).map((l) => l.trim().toLowerCase());
  return (
    labels.length >= 3 &&
    labels.some((l) => /^(status|severity|impact)\b/.test(l)) &&
    /incident/i.test(b.body.join(' '))
  );
}

/** The labels and section headings a responder fills in, in order, without duplicates. */
export function templateFields(body: readonly string[]): string[] {
  const fields: string[] = [];
  const add = (f: string) => {
    const t = plainText(f)
      .replace(/\s*\([^)]*\)\s*$/, '')
      .trim();
    if (t && t.length <= 40 && !fields.some((x) => x.toLowerCase() === t.toLowerCase())) fields.push(t);
  };
  for (const raw of body) {
    const line = raw.trim().replace(/^[-*+]\s+/, '');
    const heading = /^#{2,6}\s+(.+)$/.exec(line);
    if (heading) {
      add(heading[1]!);
      continue;
    }
    const bold = parseLabel(line);
    if (bold && (bold.rest || line.includes(':'))) {
      add(bold.label);
      continue;
    }
    const plain = /^([A-Z][\w /&'-]{0,38}?(?:\s*\([^)]*\))?)\s*:(?!\/\/)/.exec(line);
    if (plain) add(plain[1]!);
  }
  return fields;
}
