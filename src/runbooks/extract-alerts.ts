import { type Block, isTableSeparator, parseLabel, plainText, tableCells } from './markdown.js';
import { normalizeSeverity } from './schema.js';

/** What a stretch of a runbook says about the alerts it handles. */
export interface AlertEvidence {
  names: { name: string; line: number }[];
  severity: { text: string; line: number } | null;
  /** Every severity the text gives, in order (a section naming several alerts may rate them differently). */
  severities?: { text: string; line: number }[];
  /** It reads like an alert runbook: an alert rule, or an Alert / Trigger / Threshold / Severity label. */
  evidence: boolean;
  /** Prose given as the alert's description (`**Alert**: API 5xx error rate exceeds 5%…`). */
  description: string | null;
}

const ALERT_LABEL = /^(alerts?|alert ?names?|alertname|prometheus alerts?|alert ?rules?|alerting rules?)$/i;
/** Labels that name alerts even without bold (a plain `Alert:` is too common in prose). */
const PLAIN_ALERT_LABEL = /^(alert ?names?|alertname)$/i;
const SEVERITY_LABEL = /^(severity|priority|sev|alert severity)$/i;
const EVIDENCE_LABEL =
  /^(trigger|threshold|condition|expr|expression|alert condition|fires when|description|message|summary)$/i;

/** Words that look like identifiers but are prose headings. */
const NOT_ALERTS = /^(p[0-5]|sev-?[0-5]|todo|faq|n\/a|tbd|none)$/i;

/** An alert name as Prometheus and friends write them: `HighCPUUsage`, `high-api-error-rate`, `Kube_Pod_Down`. */
export function isAlertIdentifier(s: string): boolean {
  if (!/^[A-Za-z][\w.:-]*[A-Za-z0-9]$/.test(s) || s.length > 120 || NOT_ALERTS.test(s)) return false;
  return /[-_:]/.test(s) || /[a-z0-9][A-Z]/.test(s) || /[A-Z]{2}[a-z]/.test(s);
}

/** Splits `` `A` / `B` ``, "A, B", "A or B" into names; [] when the value is prose rather than names. */
export function splitAlertNames(value: string): string[] {
  const v = plainText(value)
    .replace(/[.;]\s*$/, '')
    .trim();
  if (!v) return [];
  const parts = v
    .split(/\s*(?:\/|,|;|\||&|\band\b|\bor\b)\s*/)
    .map((p) => p.replace(/^["'*_]+|["'*_]+$/g, '').trim())
    .filter(Boolean);
  if (!parts.length || !parts.every((p) => /^[A-Za-z][\w.:-]*$/.test(p))) return [];
  // A single lower-case word ("none", "various") is not an alert name.
  if (parts.length === 1 && /^[a-z]+$/.test(parts[0]!)) return [];
  return parts;
}

/** Alert names a heading consists of: `## high-api-error-rate`, `### 15. HPAScaledUp / HPAScaledDown`. */
export function headingAlertNames(title: string): string[] {
  return headingAlert(title).names;
}

/** A label in front of an alert name in a heading: `Alert Name: "X"`, `Alert: X`, `Alertname - X`. */
const HEADING_ALERT_LABEL = /^(?:prometheus\s+)?(?:alert\s*name|alertname|alert\s*rule|alert|runbook)\s*[:\-–—]\s*/i;
/** Severity written after the name: `X (critical)`, `X [warning]`, `X - P2`. */
const HEADING_SEVERITY =
  /\s*(?:[([]\s*([A-Za-z]+[- ]?\d?)\s*[)\]]|\s[-–—:]\s*([A-Za-z]+[- ]?\d?)|:\s*([A-Za-z]+[- ]?\d?))\s*$/;

/**
 * What a heading says about the alert it is for: the names (`## X`, `##### Alert Name: "X"`, `### Alert: X`,
 * `## X (critical)`), the severity written beside them, and whether a label marks it as an alert (then the heading
 * alone is evidence). `names` is [] when the heading is prose.
 */
export function headingAlert(title: string): { names: string[]; severityText: string | null; labelled: boolean } {
  let t = plainText(title)
    .replace(/^\d+[.)]\s*/, '')
    .trim();
  const labelled = /^(?:prometheus\s+)?(?:alert\s*name|alertname|alert\s*rule|alert)\s*[:\-–—]/i.test(t);
  t = t.replace(HEADING_ALERT_LABEL, '').trim();
  let severityText: string | null = null;
  const sev = HEADING_SEVERITY.exec(t);
  if (sev) {
    const word = (sev[1] ?? sev[2] ?? sev[3] ?? '').trim();
    if (normalizeSeverity(word)) {
      severityText = word;
      t = t.slice(0, sev.index).trim();
    }
  }
  const parts = t
    .split(/\s*(?:\/|,|&|\band\b|\bor\b)\s*/)
    .map((p) => p.replace(/^["'`]+|["'`]+$/g, '').trim())
    .filter(Boolean);
  const names = parts.length && parts.every(isAlertIdentifier) ? parts : [];
  return { names, severityText: names.length ? severityText : null, labelled: labelled && names.length > 0 };
}

export function emptyEvidence(): AlertEvidence {
  return { names: [], severity: null, evidence: false, description: null };
}

/** Collects alert names, severity and evidence from blocks (text labels, tables and YAML alert rules). */
export function alertEvidence(blocks: readonly Block[], into: AlertEvidence = emptyEvidence()): AlertEvidence {
  const add = (name: string, line: number) => {
    if (!into.names.some((n) => n.name === name)) into.names.push({ name, line });
  };
  const setSeverity = (text: string, line: number) => {
    if (!text.trim()) return;
    const entry = { text: plainText(text).trim(), line };
    if (!into.severity) into.severity = entry;
    into.severities = [...(into.severities ?? []), entry];
  };
  let table: { cells: string[]; line: number }[] = [];
  const flushTable = () => {
    if (table.length) tableEvidence(table, add, setSeverity, into);
    table = [];
  };
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    if (b.type === 'text' && b.kind === 'table') {
      if (table.length && blocks[i - 1]?.type === 'text' && (blocks[i - 1] as { para: number }).para !== b.para)
        flushTable();
      if (!isTableSeparator(b.text)) table.push({ cells: tableCells(b.text), line: b.line });
      continue;
    }
    flushTable();
    if (b.type === 'code') {
      if (/^(ya?ml|prometheus|promql-rules)$/.test(b.lang)) yamlEvidence(b.body, b.bodyLine, add, setSeverity, into);
      continue;
    }
    if (b.type !== 'text') continue;
    const bold = parseLabel(b.text);
    const plain = bold ? null : /^([A-Za-z][A-Za-z ]{1,24}?)\s*:\s+(.+)$/.exec(b.text);
    const label = bold?.label ?? plain?.[1] ?? null;
    const rest = bold?.rest ?? plain?.[2] ?? '';
    if (!label) continue;
    if (bold ? ALERT_LABEL.test(label) : PLAIN_ALERT_LABEL.test(label)) {
      into.evidence = true;
      const names = splitAlertNames(rest);
      for (const n of names) add(n, b.line);
      if (!names.length && rest && !into.description) into.description = plainText(rest);
    } else if (SEVERITY_LABEL.test(label)) {
      into.evidence = true;
      setSeverity(rest, b.line);
    } else if (bold && EVIDENCE_LABEL.test(label)) {
      into.evidence = true;
      if (/^(description|message|summary)$/i.test(label) && rest && !into.description)
        into.description = plainText(rest);
    }
  }
  flushTable();
  return into;
}

function yamlEvidence(
  body: string[],
  bodyLine: number,
  add: (name: string, line: number) => void,
  setSeverity: (text: string, line: number) => void,
  into: AlertEvidence,
): void {
  body.forEach((text, i) => {
    const alert = /^\s*-?\s*alert\s*:\s*["']?([A-Za-z][\w.:-]*)["']?\s*(#.*)?$/.exec(text);
    if (alert) {
      into.evidence = true;
      add(alert[1]!, bodyLine + i);
    }
    const sev = /^\s*severity\s*:\s*["']?([\w-]+)["']?/.exec(text);
    if (sev) setSeverity(sev[1]!, bodyLine + i);
  });
}

function tableEvidence(
  rows: { cells: string[]; line: number }[],
  add: (name: string, line: number) => void,
  setSeverity: (text: string, line: number) => void,
  into: AlertEvidence,
): void {
  const header = rows[0]!.cells.map((c) => plainText(c));
  const alertCol = header.findIndex((h) => /^(alert|alert ?name|alertname|prometheus alert)s?$/i.test(h));
  const sevCol = header.findIndex((h) => SEVERITY_LABEL.test(h));
  if (alertCol >= 0 && rows.length > 1) {
    into.evidence = true;
    for (const row of rows.slice(1)) {
      for (const n of splitAlertNames(row.cells[alertCol] ?? '')) add(n, row.line);
      if (sevCol >= 0) setSeverity(row.cells[sevCol] ?? '', row.line);
    }
    return;
  }
  // Key/value tables ("| Alert Name | HighCPU |"), the header row included.
  for (const row of rows) {
    const [key = '', value = ''] = row.cells.map((c) => plainText(c));
    if (ALERT_LABEL.test(key)) {
      into.evidence = true;
      for (const n of splitAlertNames(row.cells[1] ?? '')) add(n, row.line);
    } else if (SEVERITY_LABEL.test(key)) {
      into.evidence = true;
      setSeverity(value, row.line);
    } else if (EVIDENCE_LABEL.test(key)) into.evidence = true;
  }
}

/** One row of a table of alerts (a table with an Alert/Name column and a Severity column). */
export interface AlertTableRow {
  /** Index of the row's block in the blocks given to `alertTables`. */
  at: number;
  line: number;
  names: string[];
  severityText: string | null;
  /** The firing condition (Expression / Condition / Query column), shown as written; never a command. */
  condition: string | null;
  description: string | null;
  /** The row's text without the condition cell, for finding the commands written in it. */
  textWithoutCondition: string;
}

const TABLE_ALERT_COL = /^(alert|alert ?name|alertname|prometheus alert|alert rule|rule ?name|name)s?$/i;
const TABLE_CONDITION_COL =
  /^(expr|expression|condition|alert condition|query|promql|rule|trigger|threshold|fires when)\b/i;
const TABLE_DESCRIPTION_COL = /^(description|summary|meaning|message|impact|what it means)\b/i;
/** What the row tells the responder to do: the row's summary when it has no description column. */
const TABLE_ACTION_COL =
  /^(what to do|actions?|response|responder action|runbook action|mitigation|remediation|resolution|next steps?)\b/i;

/**
 * Tables of alerts: one entry per row, each with its own severity. Only tables whose header has both an alert
 * column and a severity column count (a list of alert names alone stays one section).
 */
export function alertTables(blocks: readonly Block[]): AlertTableRow[] {
  const out: AlertTableRow[] = [];
  let rows: { cells: string[]; at: number; line: number; text: string }[] = [];
  const flush = () => {
    if (rows.length > 1) out.push(...tableRows(rows));
    rows = [];
  };
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    if (b.type !== 'text' || b.kind !== 'table') {
      flush();
      continue;
    }
    const prev = blocks[i - 1];
    if (rows.length && prev?.type === 'text' && prev.para !== b.para) flush();
    if (!isTableSeparator(b.text)) rows.push({ cells: tableCells(b.text), at: i, line: b.line, text: b.text });
  }
  flush();
  return out;
}

function tableRows(rows: { cells: string[]; at: number; line: number; text: string }[]): AlertTableRow[] {
  const header = rows[0]!.cells.map((c) => plainText(c).replace(/[*_]/g, '').trim());
  const alertCol = header.findIndex((h) => TABLE_ALERT_COL.test(h));
  const sevCol = header.findIndex((h) => SEVERITY_LABEL.test(h));
  if (alertCol < 0 || sevCol < 0) return [];
  const condCol = header.findIndex((h, i) => i !== alertCol && TABLE_CONDITION_COL.test(h));
  const descCol = header.findIndex((h, i) => i !== alertCol && TABLE_DESCRIPTION_COL.test(h));
  const actionCol = header.findIndex((h, i) => i !== alertCol && i !== condCol && TABLE_ACTION_COL.test(h));
  const out: AlertTableRow[] = [];
  for (const row of rows.slice(1)) {
    const names = splitAlertNames(row.cells[alertCol] ?? '');
    if (!names.length) continue;
    const cell = (i: number) => (i >= 0 ? plainText(row.cells[i] ?? '').trim() || null : null);
    out.push({
      at: row.at,
      line: row.line,
      names,
      severityText: cell(sevCol),
      condition: cell(condCol),
      description: cell(descCol) ?? cell(actionCol),
      textWithoutCondition:
        condCol >= 0 ? row.cells.filter((_, i) => i !== condCol).join(' | ') : row.cells.join(' | '),
    });
  }
  return out;
}
