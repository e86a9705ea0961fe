import { CHATOPS } from './classify.js';
import {
  type AlertEvidence,
  type AlertTableRow,
  alertEvidence,
  alertTables,
  headingAlert,
  isAlertIdentifier,
} from './extract-alerts.js';
import { commandsFromCodeBlock, commandsFromInline, type FoundCommand } from './extract-commands.js';
import { extractTemplates } from './extract-templates.js';
import { dedupeTimers, extractTimers } from './extract-timers.js';
import { type FrontMatter, readFrontMatter, type SectionFacts } from './front-matter.js';
import {
  type Block,
  type HeadingNode,
  type MarkdownDoc,
  parseLabel,
  readMarkdown,
  slugify,
  type TextBlock,
} from './markdown.js';
import { normalizeAlertName } from './match.js';
import { repairMojibake } from './mojibake.js';
import {
  type Command,
  normalizeSeverity,
  type RunbookDocument,
  type RunbookSection,
  type SectionKind,
  type Severity,
  type Timer,
  type Warning,
} from './schema.js';
import { buildSteps, META_HEADING } from './steps.js';

/**
 * Markdown runbook → RunbookDocument. Pure: no I/O, no clock, never throws (a parser bug becomes a warning).
 *
 * A runbook section is one alert or one procedure: a heading that owns alert names (labels, tables, YAML rules,
 * or the heading itself when it is an alert identifier), a P1..P4 heading, or a `Runbook:` heading. Sections do
 * not nest; the outermost heading that qualifies wins, so a file about one alert is one section.
 */
export function parseRunbook(text: string, source: string): RunbookDocument {
  try {
    return parseDocument(text, source);
  } catch (err) {
    return {
      source,
      title: source,
      runbooks: [],
      timers: [],
      commands: [],
      templates: { communication: null, postIncident: null },
      warnings: [
        {
          line: 0,
          level: 'error',
          code: 'internal',
          message: `Could not parse this runbook: ${(err as Error).message}`,
        },
      ],
      frontMatter: false,
      timersOverride: false,
    };
  }
}

const SEVERITY_HEADING = /^(P[0-4]|SEV[- ]?[0-4]|Priority[- ]?[0-4])\b/i;
const RUNBOOK_HEADING = /^runbook\s*[:\-–]\s*/i;
const stripNumber = (s: string) => s.replace(/^\d+[.)]\s*/, '');

interface Plan {
  from: number;
  to: number;
  heading: HeadingNode | null;
  id: string;
  title: string;
  line: number;
  alerts: string[];
  severity: Severity | null;
  severityText: string | null;
  kind: SectionKind;
  description: string | null;
  timers?: Timer[];
  condition?: string | null;
  /** Distinct severities the text gives for the section's alerts, when it names several alerts. */
  mixedSeverities?: { text: string; line: number }[];
}

function parseDocument(input: string, source: string): RunbookDocument {
  const warnings: Warning[] = [];
  const repaired = repairMojibake(input.replace(/^\uFEFF/, ''));
  // One warning per distinct repair, at its first line, naming the other lines.
  const byText = new Map<string, { from: string; to: string; lines: number[] }>();
  for (const r of repaired.repairs) {
    const entry = byText.get(r.from) ?? { from: r.from, to: r.to, lines: [] };
    entry.lines.push(r.line);
    byText.set(r.from, entry);
  }
  for (const r of byText.values()) {
    const more =
      r.lines.length > 1 ? ` (also on lines ${r.lines.slice(1, 8).join(', ')}${r.lines.length > 8 ? ', …' : ''})` : '';
    warnings.push({
      line: r.lines[0]!,
      level: 'warning',
      code: 'mojibake',
      message: `Repaired mojibake (UTF-8 read as Latin-1): "${r.from}" → "${r.to}"${more}. Re-save the file as UTF-8.`,
    });
  }
  const lines = repaired.text.split(/\r\n|\r|\n/);
  const fm = readFrontMatter(lines);
  warnings.push(...fm.warnings);
  const md = readMarkdown(lines.slice(fm.bodyStart), fm.bodyStart + 1);
  const { blocks } = md;
  for (const b of blocks) {
    if (b.type === 'code' && !b.closed) {
      warnings.push({
        line: b.line,
        level: 'warning',
        code: 'unclosed-fence',
        message: 'Code block is never closed; everything after it was read as code.',
      });
    }
  }
  const h1 = md.headings.find((h) => h.heading.level === 1) ?? null;
  const title = fm.frontMatter?.title ?? h1?.heading.text ?? md.headings[0]?.heading.text ?? source;
  const templates = extractTemplates(blocks);

  // Commands, found once per block. A firing condition in a table of alerts is not a command.
  const tableRows = new Map<number, AlertTableRow>(alertTables(blocks).map((r) => [r.at, r]));
  const found = new Map<Block, FoundCommand[]>();
  blocks.forEach((b, i) => {
    if (templates.blocks.has(b)) return;
    const text = tableRows.get(i)?.textWithoutCondition ?? (b.type === 'text' ? b.text : '');
    const cmds =
      b.type === 'code' ? commandsFromCodeBlock(b) : b.type === 'text' ? commandsFromInline(text, b.line) : [];
    if (cmds.length) found.set(b, cmds);
  });

  let plans = planSections(md, source, fm.frontMatter?.title ?? null, tableRows);
  let fmDocTimers: Timer[] = [];
  if (fm.frontMatter) {
    plans = applyFrontMatter(plans, fm.frontMatter, md, source, title, warnings);
    const consumed = plans.some((p) => p.timers === fm.frontMatter!.timers);
    if (!consumed) fmDocTimers = fm.frontMatter.timers ?? [];
  }
  if (!plans.length) {
    warnings.push({
      line: 1,
      level: 'warning',
      code: 'no-sections',
      message:
        'No runbook section found: name the alert (**Alert Name**: X), use P1..P4 headings, or add front matter `alerts:`.',
    });
  }

  const covered = new Set<number>();
  const runbooks: RunbookSection[] = plans.map((p) => {
    for (let i = p.from; i < p.to; i++) covered.add(i);
    return buildSection(p, md, found, templates.blocks, source, warnings);
  });

  const outside = blocks.filter((_, i) => !covered.has(i));
  const docCommands = withIds('doc', outside, found).all;
  const docScan = extractTimers(outside, { skip: templates.blocks });
  for (const u of docScan.unparsed) warnings.push(unparsedWarning(u));
  // A severity procedure's response SLA is policy for every incident of that severity.
  const hoisted = runbooks
    .filter((r) => r.kind === 'severity')
    .flatMap((r) => r.timers.filter((t) => (t.kind === 'acknowledge' || t.kind === 'resolve') && t.severity));

  for (const c of [...docCommands, ...runbooks.flatMap((r) => r.commands)]) {
    if (c.executor === 'other' && c.origin === 'block' && !CHATOPS.test(c.text)) {
      warnings.push({
        line: c.line,
        level: 'warning',
        code: 'unknown-executor',
        message: `Unknown command \`${c.text.split(/\s/)[0]}\`: no executor can run it; check the spelling or fence it as text.`,
      });
    }
  }
  duplicateAlertsWithin(runbooks, warnings);
  warnings.sort((a, b) => a.line - b.line);

  return {
    source,
    title,
    runbooks,
    timers: fmDocTimers.length
      ? fmDocTimers
      : dedupeTimers([...docScan.timers, ...hoisted]).sort((a, b) => a.line - b.line),
    commands: docCommands,
    templates: { communication: templates.communication, postIncident: templates.postIncident },
    warnings,
    frontMatter: fm.frontMatter !== null,
    timersOverride: fm.frontMatter?.timersOverride ?? false,
  };
}

function unparsedWarning(u: { line: number; text: string }): Warning {
  const short = u.text.length > 80 ? `${u.text.slice(0, 77)}…` : u.text;
  return {
    line: u.line,
    level: 'warning',
    code: 'timer-unparsed',
    message: `Could not read a timer from "${short}"; write e.g. "Acknowledge within 30 minutes".`,
  };
}

/** Blocks between a heading and its first sub-heading. */
function ownBlocks(md: MarkdownDoc, node: HeadingNode): Block[] {
  return md.blocks.slice(node.at + 1, node.children[0]?.at ?? node.end);
}

/** Alert evidence of a heading: its own text plus children such as "Alert Details" that describe it. */
function headingEvidence(md: MarkdownDoc, node: HeadingNode): AlertEvidence {
  const ev = alertEvidence(ownBlocks(md, node));
  for (const kid of node.children) {
    const t = stripNumber(kid.heading.text);
    if (!/^alert\b/i.test(t) || !META_HEADING.test(t)) continue;
    const kidBlocks = md.blocks.slice(kid.at + 1, kid.end);
    // A table of alerts is one runbook per row, not a description of this heading.
    if (alertTables(kidBlocks).length >= 2) continue;
    alertEvidence(kidBlocks, ev);
  }
  return ev;
}

function mergeNames(fromHeading: string[], explicit: string[]): string[] {
  if (!fromHeading.length) return explicit;
  const norm = new Set(explicit.map(normalizeAlertName));
  if (explicit.length && !fromHeading.some((h) => norm.has(normalizeAlertName(h)))) return explicit;
  const out = [...fromHeading];
  for (const e of explicit) if (!out.some((o) => normalizeAlertName(o) === normalizeAlertName(e))) out.push(e);
  return out;
}

/** Sub-headings of a runbook written for one alert (the kube-prometheus layout and its relatives). */
const RUNBOOK_VOCABULARY =
  /^(meaning|impact|diagnosis|mitigation|symptoms?|resolution|remediation|troubleshooting|investigation|possible causes|likely causes|causes?|how to (fix|resolve|investigate)|fix|next steps|verification)$/i;

function vocabularyChildren(node: HeadingNode): number {
  return node.children.filter((k) => RUNBOOK_VOCABULARY.test(stripNumber(k.heading.text).replace(/:$/, ''))).length;
}

function planFor(md: MarkdownDoc, node: HeadingNode, tableRows: ReadonlyMap<number, AlertTableRow>): Plan[] {
  const title = node.heading.text;
  const head = headingAlert(title);
  // A table of alerts with a severity per row is one runbook per row.
  const ownEnd = node.children[0]?.at ?? node.end;
  const rows: AlertTableRow[] = [];
  for (let i = node.at + 1; i < ownEnd; i++) {
    const r = tableRows.get(i);
    if (r) rows.push(r);
  }
  if (rows.length >= 2 && !head.names.length) return rows.map(rowPlan);
  const ev = headingEvidence(md, node);
  const evidence = ev.evidence || head.labelled || head.severityText !== null || vocabularyChildren(node) > 0;
  const alerts = mergeNames(
    evidence || ev.names.length ? head.names : [],
    ev.names.map((n) => n.name),
  );
  const sevHeading = SEVERITY_HEADING.exec(title);
  const kind: SectionKind | null = alerts.length
    ? 'alert'
    : sevHeading
      ? 'severity'
      : RUNBOOK_HEADING.test(title)
        ? 'procedure'
        : null;
  if (!kind) return [];
  const severityText = ev.severity?.text ?? (alerts.length ? head.severityText : null) ?? sevHeading?.[1] ?? null;
  const distinct = new Map<string, { text: string; line: number }>();
  for (const sv of ev.severities ?? []) {
    const n = normalizeSeverity(sv.text);
    if (n && !distinct.has(n)) distinct.set(n, sv);
  }
  const cleanTitle =
    head.labelled && alerts.length === 1 ? alerts[0]! : stripNumber(title).replace(RUNBOOK_HEADING, '') || title;
  return [
    {
      from: node.at,
      to: node.end,
      heading: node,
      id: node.heading.slug,
      title: cleanTitle,
      line: node.heading.line,
      alerts,
      severity: severityText ? normalizeSeverity(severityText) : null,
      severityText,
      kind,
      description: ev.description,
      mixedSeverities: alerts.length > 1 && distinct.size > 1 ? [...distinct.values()] : undefined,
    },
  ];
}

function rowPlan(r: AlertTableRow): Plan {
  return {
    from: r.at,
    to: r.at + 1,
    heading: null,
    id: slugify(r.names[0]!),
    title: r.names.join(' / '),
    line: r.line,
    alerts: r.names,
    severity: r.severityText ? normalizeSeverity(r.severityText) : null,
    severityText: r.severityText,
    kind: 'alert',
    description: r.description,
    condition: r.condition,
  };
}

/** `QueueConsumerStalled.md` → QueueConsumerStalled; '' when the file name is not an alert name. */
function fileAlertName(source: string): string {
  const stem = source.replace(/^.*[/\\]/, '').replace(/\.(md|markdown|txt|html?)$/i, '');
  return isAlertIdentifier(stem) ? stem : '';
}

function planSections(
  md: MarkdownDoc,
  source: string,
  fmTitle: string | null,
  tableRows: ReadonlyMap<number, AlertTableRow>,
): Plan[] {
  const plans: Plan[] = [];
  const visit = (node: HeadingNode) => {
    const found = planFor(md, node, tableRows);
    if (!found.length) {
      node.children.forEach(visit);
      return;
    }
    plans.push(...found);
    // An alert heading written under another alert's section (`##### Alert Name: "B"` after `## A (warning)`) is
    // B's own runbook: A's section ends where it starts, and the headings from there on are read on their own.
    const own = found.length === 1 && found[0]!.kind === 'alert' ? found[0]! : null;
    if (!own) return;
    const at = node.children.findIndex((kid) => nestedAlert(kid, own.alerts));
    if (at < 0) return;
    own.to = node.children[at]!.at;
    node.children.slice(at).forEach(visit);
  };
  md.roots.forEach(visit);
  if (plans.length) return plans;
  // A table of alerts outside any qualifying heading.
  if (tableRows.size >= 2) return [...tableRows.values()].map(rowPlan);
  // No heading qualifies, but the text names alerts: the whole file is one runbook.
  const ev = alertEvidence(md.blocks);
  if (ev.names.length) {
    return [
      wholeDocument(md, source, {
        alerts: ev.names.map((n) => n.name),
        severityText: ev.severity?.text,
        description: ev.description,
      }),
    ];
  }
  // One alert per file: the alert's name is the title (front matter or the single top heading) or the file name,
  // and the headings are those of a runbook for one alert (Meaning, Impact, Diagnosis, Mitigation…).
  const tops = md.roots.filter((r) => r.heading.level === (md.roots[0]?.heading.level ?? 1));
  const top = tops.length === 1 ? tops[0]! : null;
  const vocabulary = top
    ? vocabularyChildren(top)
    : md.headings.filter((h) => RUNBOOK_VOCABULARY.test(h.heading.text)).length;
  if (!vocabulary) return [];
  const name =
    [top?.heading.text ?? '', fmTitle ?? ''].map((t) => headingAlert(t).names).find((n) => n.length === 1)?.[0] ??
    fileAlertName(source) ??
    '';
  if (!name) return [];
  return [
    wholeDocument(md, source, {
      alerts: [name],
      severityText: ev.severity?.text,
      description: ev.description,
    }),
  ];
}

/** A heading that names, with a label or a severity beside it, alerts other than `parentAlerts`. */
function nestedAlert(kid: HeadingNode, parentAlerts: readonly string[]): boolean {
  const head = headingAlert(kid.heading.text);
  if (!head.names.length || !(head.labelled || head.severityText !== null)) return false;
  const parent = new Set(parentAlerts.map(normalizeAlertName));
  return head.names.every((n) => !parent.has(normalizeAlertName(n)));
}

function wholeDocument(
  md: MarkdownDoc,
  source: string,
  facts: {
    alerts: string[];
    severityText?: string | null;
    severity?: Severity | null;
    description?: string | null;
    title?: string;
  },
): Plan {
  const top = md.headings[0] ?? null;
  // A single top heading is the runbook's own title; its sub-headings become steps.
  const own = top && md.headings.filter((h) => h.heading.level <= top.heading.level).length === 1 ? top : null;
  const severityText = facts.severityText ?? null;
  return {
    from: own ? own.at : 0,
    to: md.blocks.length,
    heading: own,
    id: own?.heading.slug || slugify(source.replace(/\.[^.]+$/, '').replace(/^.*\//, '')) || 'runbook',
    title: facts.title ?? own?.heading.text ?? source,
    line: own?.heading.line ?? md.blocks[0]?.line ?? 1,
    alerts: facts.alerts,
    severity: facts.severity ?? (severityText ? normalizeSeverity(severityText) : null),
    severityText,
    kind: facts.alerts.length ? 'alert' : facts.severity || severityText ? 'severity' : 'procedure',
    description: facts.description ?? null,
  };
}

function applyFacts(plan: Plan, facts: SectionFacts): Plan {
  const out = { ...plan };
  if (facts.alerts?.length) {
    out.alerts = facts.alerts;
    out.kind = 'alert';
  }
  if (facts.severity) {
    out.severity = facts.severity;
    out.severityText = facts.severityText ?? facts.severity;
    if (out.kind === 'procedure') out.kind = 'severity';
  }
  if (facts.timers?.length) out.timers = facts.timers;
  return out;
}

/** Front matter states what the heuristics would guess; where it speaks, it wins. */
function applyFrontMatter(
  plans: Plan[],
  fm: FrontMatter,
  md: MarkdownDoc,
  source: string,
  title: string,
  warnings: Warning[],
): Plan[] {
  let out = plans;
  const docLevel = fm.alerts?.length || fm.severity || fm.timers?.length;
  if (fm.alerts?.length || (docLevel && plans.length !== 1 && !fm.sections.length)) {
    // The file is one runbook: everything in it belongs to that section.
    const base = wholeDocument(md, source, {
      alerts: [],
      title: fm.title ?? undefined,
      description: fm.summary ?? plans[0]?.description,
    });
    out = [applyFacts({ ...base, title: fm.title ?? base.title ?? title }, fm)];
  } else if (docLevel && plans.length === 1) {
    out = [applyFacts(plans[0]!, fm)];
  }
  for (const s of fm.sections) {
    const i = out.findIndex((p) => p.id === s.id);
    if (i >= 0) {
      out[i] = applyFacts(out[i]!, s);
      continue;
    }
    const node = md.headings.find((h) => h.heading.slug === s.id);
    if (!node) {
      warnings.push({
        line: s.line,
        level: 'error',
        code: 'front-matter',
        message: `Front matter runbooks: no heading has the anchor "${s.id}".`,
      });
      continue;
    }
    const base: Plan = planFor(md, node, new Map())[0] ?? {
      from: node.at,
      to: node.end,
      heading: node,
      id: node.heading.slug,
      title: stripNumber(node.heading.text),
      line: node.heading.line,
      alerts: [],
      severity: null,
      severityText: null,
      kind: 'procedure',
      description: null,
    };
    // The declared section replaces any detected section it overlaps.
    out = out.filter((p) => p.to <= node.at || p.from >= node.end);
    out.push(applyFacts(base, s));
  }
  if (fm.summary && out.length === 1) out[0] = { ...out[0]!, description: fm.summary };
  return out.sort((a, b) => a.from - b.from);
}

/** Gives each command an id unique in the document: `${scope}:${line}`, then `.2`, `.3` on a shared line. */
function withIds(scope: string, blocks: readonly Block[], found: ReadonlyMap<Block, FoundCommand[]>) {
  const byBlock = new Map<Block, Command[]>();
  const all: Command[] = [];
  const perLine = new Map<number, number>();
  for (const b of blocks) {
    const cmds = found.get(b);
    if (!cmds) continue;
    const list = cmds.map((c): Command => {
      const n = (perLine.get(c.line) ?? 0) + 1;
      perLine.set(c.line, n);
      return {
        id: n === 1 ? `${scope}:${c.line}` : `${scope}:${c.line}.${n}`,
        text: c.text,
        line: c.line,
        executor: c.executor,
        risk: c.risk,
        runnable: c.runnable,
        placeholders: c.placeholders,
        reason: c.reason,
        query: c.query,
        range: c.range ?? null,
        origin: c.origin,
      };
    });
    byBlock.set(b, list);
    all.push(...list);
  }
  return { byBlock, all };
}

function buildSection(
  p: Plan,
  md: MarkdownDoc,
  found: ReadonlyMap<Block, FoundCommand[]>,
  templateBlocks: ReadonlySet<Block>,
  source: string,
  warnings: Warning[],
): RunbookSection {
  const blocks = md.blocks.slice(p.from, p.to);
  const { byBlock, all } = withIds(p.id, blocks, found);
  const body = p.heading ? blocks.slice(1) : blocks;
  const scan = extractTimers(body, { sectionSeverity: p.severity, skip: templateBlocks });
  for (const u of scan.unparsed) warnings.push(unparsedWarning(u));
  // A table row is the alert's definition (name, condition, severity, description), not a procedure.
  const steps =
    p.condition !== undefined
      ? []
      : buildSteps({
          blocks: md.blocks,
          from: p.from,
          to: p.to,
          title: p.title,
          headingLevel: p.heading?.heading.level ?? 0,
          commandsOf: (b) => byBlock.get(b) ?? [],
        });
  if (p.mixedSeverities) {
    warnings.push({
      line: p.line,
      level: 'warning',
      code: 'mixed-severity',
      message: `Section "${p.title}" applies one severity (${p.severityText ?? p.severity}) to ${p.alerts.length} alerts, but the text rates them differently (${p.mixedSeverities.map((s) => `${s.text} on line ${s.line}`).join(', ')}); give each alert its own section or a table row with its severity.`,
    });
  }
  if (!p.alerts.length) {
    warnings.push({
      line: p.line,
      level: 'warning',
      code: 'no-alerts',
      message:
        p.kind === 'severity'
          ? `Section "${p.title}" names no alert; it is only used as the ${p.severity ?? 'severity'} fallback. Add **Alert Name**: … to match alerts.`
          : `Section "${p.title}" names no alert, so no alert can match it. Add **Alert Name**: … or front matter alerts:.`,
    });
  }
  return {
    id: p.id,
    title: p.title,
    alerts: p.alerts,
    severity: p.severity,
    line: p.line,
    timers: p.timers ?? scan.timers,
    commands: all,
    steps,
    summary: summaryOf(p, md),
    source,
    kind: p.kind,
    severityText: p.severityText,
    condition: p.condition ?? null,
  };
}

/** Labels that describe the alert or the document rather than summarising the problem. */
const METADATA_LABEL =
  /^(severity|priority|alert ?names?|alerts?|alertname|trigger|threshold|condition|business hours( only)?|owner|status|version|document version|last updated|response sla)$/i;

/** Labels whose text is a summary of the problem. */
const SUMMARY_LABEL =
  /^(summary|description|overview|problem|what happened|what it means|meaning|message|issue|impact|symptoms?|user impact|business impact)$/i;

/** The section's description: a Summary/Description sub-section, the alert's description, else its first paragraph. */
function summaryOf(p: Plan, md: MarkdownDoc): string | null {
  const blocks = md.blocks.slice(p.heading ? p.from + 1 : p.from, p.to);
  const paragraph = (from: number, kinds: TextBlock['kind'][] = ['paragraph']): string | null => {
    for (const b of blocks.slice(from)) {
      if (b.type === 'heading') return null;
      if (b.type !== 'text' || !kinds.includes(b.kind) || /^(\*\*|__)[^*_]+\1\s*:?\s*$/.test(b.text)) continue;
      const label = parseLabel(b.text);
      if (METADATA_LABEL.test(label?.label ?? '')) continue;
      // A field (`**SLA**: 30 minutes`, `**On-Call**: Backend`) describes the runbook, it does not summarise it.
      if (label && !SUMMARY_LABEL.test(label.label)) continue;
      const lines =
        b.kind === 'paragraph'
          ? blocks.filter(
              (x): x is TextBlock =>
                x.type === 'text' && x.para === b.para && x.kind === 'paragraph' && (x === b || !parseLabel(x.text)),
            )
          : [b];
      const text = lines.map((x) => x.text).join(' ');
      return text.replace(/^(\*\*|__)[^*_]+\1\s*:?\s*/, '').trim() || null;
    }
    return null;
  };
  const summaryHeading = blocks.findIndex(
    (b) => b.type === 'heading' && /^(summary|description|overview|meaning|what it means)$/i.test(stripNumber(b.text)),
  );
  if (summaryHeading >= 0) {
    const s = paragraph(summaryHeading + 1);
    if (s) return s;
  }
  if (p.description) return p.description;
  const first = paragraph(0);
  if (first) return first;
  const impact = blocks.findIndex((b) => b.type === 'heading' && /^(impact|symptoms)$/i.test(stripNumber(b.text)));
  return impact >= 0 ? paragraph(impact + 1, ['bullet', 'paragraph']) : null;
}

/**
 * One alert name in two sections of one file. Rated differently (warning and critical, as Prometheus mixins write
 * a rule once per threshold), the alert's severity label picks the section: nothing to say. Rated the same (or
 * unrated), the file holds two rules of one name with different conditions or `for:` durations — also a mixin
 * habit — and matching deterministically takes the first of them (match.ts: file order), so lint warns, naming
 * both lines, rather than failing the file. Across files the choice depends on file names: that stays an error
 * (match.ts, duplicateAlertWarnings).
 */
function duplicateAlertsWithin(runbooks: RunbookSection[], warnings: Warning[]): void {
  const seen = new Map<string, RunbookSection[]>();
  for (const r of runbooks) {
    for (const a of r.alerts) {
      const key = normalizeAlertName(a);
      const earlier = seen.get(key) ?? [];
      const first = earlier.find((e) => e !== r && (!e.severity || !r.severity || e.severity === r.severity));
      if (first) {
        const same = first.severity === r.severity;
        const rated = same && first.severityText ? ` rated ${first.severityText}` : '';
        // Matching prefers the section rated like the alert's severity label, else the first (match.ts).
        const picks =
          same || first.severity
            ? `an alert of that name is matched to line ${first.line}, the first`
            : `an alert labelled ${r.severityText ?? r.severity} is matched to line ${r.line}, any other to line ${first.line}`;
        warnings.push({
          line: r.line,
          level: 'warning',
          code: 'duplicate-alert',
          message: `Alert "${a}" has two sections${rated}: line ${first.line} ("${first.title}") and line ${r.line}; ${picks}. Name the second rule differently, or merge the two.`,
        });
      } else seen.set(key, [...earlier, r]);
    }
  }
}
