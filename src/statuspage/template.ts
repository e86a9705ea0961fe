import {
  eventMarkdown,
  formatDate,
  formatMinutes,
  formatTime,
  formatUtc,
  mention,
  type UserName,
} from '../incidents/markdown.js';
import { durations, type Incident, incidentRef, minutesBetween } from '../incidents/model.js';
import type { TimelineEvent } from '../incidents/timeline.js';
import { publicValues } from './public.js';

/**
 * Fills a runbook's communication template from an incident. Pure: no clock, no I/O.
 *
 * Runbooks write templates by hand, so detection is forgiving: `**Service**: [name]`, `Service: <name>`,
 * `- Severity: {{severity}}`, `Severity: P[1-4]`, `Status: INVESTIGATING / IDENTIFIED`, a label with an empty
 * value followed by a `[placeholder]` line, and free-standing `[...]`, `<...>` or `{{...}}` placeholders.
 * Literal values (`Service: Checkout API`) are the team's own words and are kept.
 */

/** Structurally the runbook engine's `Template` ({ line, fields, text }); only `text` is needed. */
export interface TemplateLike {
  line?: number;
  fields?: string[];
  text: string;
}

/** What the lead's alerts store returns for an incident's alerts. */
export interface AlertLike {
  alertname: string;
  status: 'firing' | 'resolved';
  severity: string | null;
  labels: Record<string, string>;
  startsAt: Date | null;
  endsAt: Date | null;
  fingerprint: string;
}

/** A timeline event (StoredEvent from src/store/incidents.ts fits). */

export interface CommunicationContext {
  incident: Incident;
  events?: TimelineEvent[];
  alerts?: AlertLike[];
  now: Date;
  /** Answers from the modal (or any override), keyed by field key; blank answers count as missing. */
  values?: Record<string, string | null | undefined>;
  userName?: UserName;
  /** Public component names from STATUSPAGE_COMPONENTS (see public.ts); the status-page draft names only these. */
  components?: readonly string[];
}

export interface RenderedCommunication {
  text: string;
  /** The public incident name (renderCommunication only; fillTemplate leaves the `title` value). */
  title: string;
  /** Every field found in the template: its filled value, the template's literal value, or null. */
  fields: Record<string, string | null>;
  /** Field keys still unknown, in template order: ask these in the modal. */
  missing: string[];
  /** Key -> what the template asks for ("Estimated % of customers"): modal labels and hints. */
  prompts: Record<string, string>;
}

/**
 * Shipped when a runbook has no communication template; same text as templates/default-communication.md. Public
 * fields only: the incident name is published separately, so the body starts with what customers need.
 */
export const DEFAULT_COMMUNICATION_TEMPLATE: TemplateLike = {
  line: 0,
  fields: ['affected', 'customers', 'status', 'started', 'eta', 'update'],
  text: `Affected: {{affected}}
Customer impact: {{customers}}
Status: {{status}}
Started: {{started}}
Next update: [When to expect the next update or the fix]

Update ({{update_time}} UTC):
[1-2 sentences for customers: what they see and what we are doing about it]
`,
};

// ---------------------------------------------------------------------------------------------------------------
// Field keys

/** Label or placeholder wording -> canonical key. Order matters: the first match wins. */
const SYNONYMS: [string, RegExp][] = [
  ['summary', /summary/],
  ['eta', /\beta\b|expected (time|resolution|fix)|next update|estimated (resolution|fix)|when to expect/],
  ['update', /^(latest |current |last |status )?update\b|status update|^message$|^details$|what is happening/],
  ['customers', /customer|user impact|^users?( affected| impacted)?$|^impact$|% of (users|requests)|who is affected/],
  ['affected', /affected|impacted|^components?$|endpoints|features|^scope$|which (components|services)/],
  ['started', /^start|^began|^detected|timestamp|^since\b|start time|^begin/],
  ['resolved_at', /^resolved( at)?$|^ended?( at)?$|^end time/],
  ['severity', /sever|^sev\b|^priority/],
  ['status', /^(current |incident )?status$|^state$/],
  ['service', /^(affected )?service( name)?$|^system$|^application$|^app$|^product$/],
  ['commander', /commander|^ic$|incident lead/],
  ['duration', /duration|how long/],
  ['title', /title|^incident( name)?$/],
  ['date', /^date$/],
  ['id', /^(incident )?(id|ref|reference|number)$/],
];

const norm = (s: string) => s.toLowerCase().replace(/[*_`]/g, '').replace(/\s+/g, ' ').trim();

/** Canonical key for a label or placeholder wording, or null when it means nothing we know. */
export function canonicalKey(wording: string): string | null {
  const w = norm(wording);
  for (const [key, re] of SYNONYMS) if (re.test(w)) return key;
  return null;
}

const slug = (s: string) =>
  norm(s)
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 40) || 'field';

// ---------------------------------------------------------------------------------------------------------------
// Placeholder detection

const HTML_TAGS = new Set(
  'a b i u p br hr em strong code pre sub sup div span img ul ol li table tr td th details summary kbd'.split(' '),
);

/** `[...]` (not links, checkboxes or footnotes), `<...>` (not HTML, autolinks or Slack entities), `{{...}}`. */
const TOKEN_RE = /\{\{\s*([\w.-]+)\s*\}\}|\[([^\]\n]{1,120})\](?!\()|<([^<>\n]{1,120})>/g;

interface Token {
  raw: string;
  inner: string;
  kind: 'mustache' | 'bracket' | 'angle';
  index: number;
}

function tokens(s: string): Token[] {
  const out: Token[] = [];
  for (const m of s.matchAll(TOKEN_RE)) {
    const [raw, must, br, an] = m;
    if (must !== undefined) out.push({ raw, inner: must, kind: 'mustache', index: m.index! });
    else if (br !== undefined) {
      // `[ ]`/`[x]` checkboxes, `[^1]` footnotes, `[0-9]` regex-ish digits inside commands are not placeholders.
      if (/^\s*[xX ]?\s*$/.test(br) || br.startsWith('^') || !/[A-Za-z]|\d-\d/.test(br)) continue;
      out.push({ raw, inner: br.trim(), kind: 'bracket', index: m.index! });
    } else if (an !== undefined) {
      const inner = an.trim();
      // Slack entities (`<@U1>`), autolinks, closing tags and real HTML (`<br>`, `<a href=...>`) are not placeholders.
      if (/^[@#!/]|^[a-z][a-z0-9+.-]*:/i.test(inner) || !/[A-Za-z]/.test(inner)) continue;
      const first = inner.toLowerCase().split(/\s/)[0]!;
      if (HTML_TAGS.has(first) && (inner === first || inner.includes('='))) continue;
      out.push({ raw, inner, kind: 'angle', index: m.index! });
    }
  }
  return out;
}

/** Format stand-ins used as example values: dates, times, `X hours Y minutes`, `X%`, `$Y`, TBD. */
const FORMAT_RE =
  /\bYYYY-MM-DD\b|\bHH:MM(:SS)?\b|\bISO[ -]?(timestamp|8601|time)\b|(^|\s)[XY](%|\s|$)|\$[XY]\b|\bTBD\b|\?\?\?|^\.\.\.$|^…$/;

const CHOICE_RE = /^[A-Za-z][\w-]*(?: [\w-]+)?(?:\s+\/\s+[A-Za-z][\w-]*(?: [\w-]+)?)+$/;
const CHOICE_KEYS = new Set(['status', 'severity']);

// ---------------------------------------------------------------------------------------------------------------
// Parsing

export interface TemplateField {
  key: string;
  /** The label as written ("Latest Update"), or the placeholder's wording when free-standing. */
  label: string;
  /** 1-based line in the template text. */
  line: number;
  /** What to ask for: placeholder wording without brackets, else the label. */
  hint: string;
  /** The template's own value when it is not a placeholder ("Architect Dashboard API"). */
  literal: string | null;
  /** Allowed values written as `A / B / C`. */
  choices: string[] | null;
}

/** `prefix **Label (paren)**: value` — the label may be bold, listed or a heading; the colon must end a word. */
const LABEL_RE =
  /^(\s*(?:[-*+]\s+|\d+[.)]\s+|#{1,6}\s+|>\s*)?)(\*\*|__)?([A-Za-z][^:*_[\]<>{}|\n]{0,60}?)(\s*\([^()\n]*\))?(\*\*|__)?\s*:(\*\*|__)?(?=\s|$)(\s*)(.*)$/;

interface Line {
  /** How to rebuild the line around the value. */
  head: string;
  value: string;
  labelText: string;
  paren: string;
}

function parseLabelLine(line: string): Line | null {
  const m = LABEL_RE.exec(line);
  if (!m) return null;
  const [, prefix = '', b1 = '', label = '', paren = '', b2 = '', b3 = '', space = '', value = ''] = m;
  // "Note: see https://..." style prose has long labels; a label is a short noun phrase.
  if (label.split(/\s+/).length > 6) return null;
  const head = `${prefix}${b1}${label}${paren}${b2}:${b3}${space}`;
  return { head, value: value.trimEnd(), labelText: label.trim(), paren: paren.trim() };
}

type Seg =
  | { t: 'text'; s: string }
  | { t: 'field'; key: string; original: string; choices: string[] | null }
  | { t: 'time'; original: string; key: string };

interface ParsedLine {
  segs: Seg[];
}

interface Parsed {
  lines: ParsedLine[];
  fields: TemplateField[];
}

const isPlaceholderValue = (v: string) => tokens(v).length > 0 || FORMAT_RE.test(v);
const isStandalonePlaceholder = (line: string) => {
  const t = line.trim();
  const tk = tokens(t);
  return tk.length === 1 && tk[0]!.raw === t;
};

/** Removes a ``` fence wrapping the whole template (runbooks show templates as code blocks). */
export function stripFence(text: string): string {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  while (lines.length && !lines[0]!.trim()) lines.shift();
  while (lines.length && !lines[lines.length - 1]!.trim()) lines.pop();
  if (lines.length >= 2 && /^\s*(```|~~~)/.test(lines[0]!) && /^\s*(```|~~~)\s*$/.test(lines[lines.length - 1]!)) {
    return lines.slice(1, -1).join('\n');
  }
  return lines.join('\n');
}

/** Splits template text into literal text and fields. */
export function parseTemplate(text: string): Parsed {
  const src = stripFence(text).split('\n');
  const lines: ParsedLine[] = [];
  const fields: TemplateField[] = [];
  let heading: string | null = null;
  let inFence = false;
  let pending: { key: string; label: string } | null = null;

  const addField = (f: TemplateField) => fields.push(f);

  for (let i = 0; i < src.length; i++) {
    const line = src[i]!;
    const lineNo = i + 1;
    const carried: { key: string; label: string } | null = pending;
    // A label's value may follow after blank lines.
    pending = carried && !line.trim() ? carried : null;
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    if (inFence || /^\s*(```|~~~)/.test(line) || /^\s*\|/.test(line)) {
      // Code and sample tables are examples, not fields.
      lines.push({ segs: [{ t: 'text', s: line }] });
      continue;
    }
    const h = /^\s*#{1,6}\s+(.*)$/.exec(line);
    const lab = parseLabelLine(line);

    // A placeholder alone on a line belongs to the label just above it, else to its heading.
    if (isStandalonePlaceholder(line)) {
      const tk = tokens(line.trim())[0]!;
      const key =
        carried?.key ??
        (tk.kind === 'mustache' ? tk.inner : null) ??
        canonicalKey(tk.inner) ??
        (heading ? (canonicalKey(heading) ?? slug(heading)) : slug(tk.inner));
      const lead = line.slice(0, line.indexOf(tk.raw));
      const tail = line.slice(line.indexOf(tk.raw) + tk.raw.length);
      lines.push({
        segs: [
          { t: 'text', s: lead },
          { t: 'field', key, original: tk.raw, choices: null },
          { t: 'text', s: tail },
        ],
      });
      addField({
        key,
        label: carried?.label ?? heading ?? tk.inner,
        line: lineNo,
        hint: tk.inner,
        literal: null,
        choices: null,
      });
      continue;
    }

    if (lab && !h) {
      const labelKey = canonicalKey(lab.labelText);
      const segs: Seg[] = [];
      // "(HH:MM UTC)" or "({{update_time}} UTC)" in a label stamps the time of the value below/after it.
      const head = inlineSegs(lab.head, labelKey ?? 'update', (t) =>
        addField({ key: t.inner, label: lab.labelText, line: lineNo, hint: t.inner, literal: null, choices: null }),
      );
      segs.push(...head);
      const v = lab.value;
      const tks = tokens(v);
      const choiceKey = labelKey && CHOICE_KEYS.has(labelKey) && CHOICE_RE.test(v) ? labelKey : null;
      if (!v) {
        // Value on the next line(s).
        pending = { key: labelKey ?? slug(lab.labelText), label: lab.labelText };
        lines.push({ segs });
        continue;
      }
      if (tks.length && tks.every((t) => t.kind === 'mustache')) {
        segs.push(...mustacheSegs(v, tks));
        for (const t of tks)
          addField({
            key: t.inner,
            label: lab.labelText,
            line: lineNo,
            hint: lab.labelText,
            literal: null,
            choices: null,
          });
      } else if (choiceKey || isPlaceholderValue(v)) {
        const key =
          labelKey ?? (tks.length === 1 ? (canonicalKey(tks[0]!.inner) ?? slug(lab.labelText)) : slug(lab.labelText));
        const choices = choiceKey ? v.split(/\s+\/\s+/).map((c) => c.trim()) : null;
        segs.push({ t: 'field', key, original: v, choices });
        const hint = tks.length === 1 && tks[0]!.raw === v.trim() ? tks[0]!.inner : `${lab.labelText} (${v})`;
        addField({ key, label: lab.labelText, line: lineNo, hint, literal: null, choices });
      } else {
        // A literal: the runbook's own words. Known as a field so the modal can show it, never replaced.
        segs.push({ t: 'text', s: v });
        const key = labelKey === 'service' ? 'service' : slug(lab.labelText);
        addField({ key, label: lab.labelText, line: lineNo, hint: lab.labelText, literal: v, choices: null });
      }
      lines.push({ segs });
      continue;
    }

    if (h) heading = h[1]!.replace(/[*_`:]/g, '').trim();
    // Inline placeholders in prose or headings: `# Review: <Incident Title>`, `We are looking at {{service}}`.
    const tks = tokens(line);
    if (!tks.length) {
      lines.push({ segs: [{ t: 'text', s: line }] });
      continue;
    }
    const segs: Seg[] = [];
    let pos = 0;
    for (const t of tks) {
      segs.push({ t: 'text', s: line.slice(pos, t.index) });
      const key = t.kind === 'mustache' ? t.inner : (canonicalKey(t.inner) ?? slug(t.inner));
      segs.push({ t: 'field', key, original: t.raw, choices: null });
      addField({ key, label: t.inner, line: lineNo, hint: t.inner, literal: null, choices: null });
      pos = t.index + t.raw.length;
    }
    segs.push({ t: 'text', s: line.slice(pos) });
    lines.push({ segs });
  }
  return { lines, fields };
}

/** Segments of a label head: `{{key}}` fields and `HH:MM` time stamps; other text stays. */
function inlineSegs(head: string, timeKey: string, onField: (t: Token) => void): Seg[] {
  const segs: Seg[] = [];
  const re = /\{\{\s*([\w.-]+)\s*\}\}|\bHH:MM\b/g;
  let pos = 0;
  for (const m of head.matchAll(re)) {
    segs.push({ t: 'text', s: head.slice(pos, m.index) });
    if (m[1]) {
      segs.push({ t: 'field', key: m[1], original: m[0], choices: null });
      onField({ raw: m[0], inner: m[1], kind: 'mustache', index: m.index! });
    } else segs.push({ t: 'time', original: m[0], key: timeKey });
    pos = m.index! + m[0].length;
  }
  segs.push({ t: 'text', s: head.slice(pos) });
  return segs;
}

function mustacheSegs(v: string, tks: Token[]): Seg[] {
  const segs: Seg[] = [];
  let pos = 0;
  for (const t of tks) {
    segs.push({ t: 'text', s: v.slice(pos, t.index) });
    segs.push({ t: 'field', key: t.inner, original: t.raw, choices: null });
    pos = t.index + t.raw.length;
  }
  segs.push({ t: 'text', s: v.slice(pos) });
  return segs;
}

// ---------------------------------------------------------------------------------------------------------------
// Known values

const SERVICE_LABELS = ['service', 'app', 'app_kubernetes_io_name', 'application', 'job', 'deployment', 'component'];

function serviceOf(inc: Incident, alerts: AlertLike[]): string | null {
  for (const labels of [inc.labels, ...alerts.map((a) => a.labels)]) {
    for (const k of SERVICE_LABELS) if (labels?.[k]) return labels[k]!;
  }
  // "Checkout: 5xx spike", "API is down", "Payments - latency" -> the subject before the verb or separator.
  const m = /^(.{2,40}?)(?::\s|\s[-–—]\s|\s(?:is|are|has|have)\s)/.exec(inc.title);
  return m ? m[1]!.trim() : null;
}

function affectedOf(inc: Incident, alerts: AlertLike[]): string | null {
  const firing = alerts.filter((a) => a.status === 'firing');
  const names = [...new Set((firing.length ? firing : alerts).map((a) => a.alertname))];
  if (names.length) return names.join(', ');
  return inc.labels.component ?? inc.labels.service ?? null;
}

function lastUpdate(events: TimelineEvent[]): TimelineEvent | null {
  for (let i = events.length - 1; i >= 0; i--) if (events[i]!.kind === 'update') return events[i]!;
  return null;
}

/** Everything the incident itself can tell a template. Keys not here are asked in the modal. */
export function knownValues(ctx: CommunicationContext): Record<string, string | null> {
  const { incident: inc, now } = ctx;
  const alerts = ctx.alerts ?? [];
  const events = ctx.events ?? [];
  const upd = lastUpdate(events);
  const d = durations(inc);
  const known: Record<string, string | null> = {
    title: inc.title,
    id: incidentRef(inc),
    severity: inc.severity,
    status: inc.status,
    service: serviceOf(inc, alerts),
    started: formatUtc(inc.startedAt),
    date: formatDate(inc.startedAt),
    duration: formatMinutes(minutesBetween(inc.startedAt, inc.resolvedAt ?? now)),
    commander: inc.commander ? mention(inc.commander, ctx.userName) : null,
    affected: affectedOf(inc, alerts),
    update: upd ? eventMarkdown(upd, ctx.userName) : null,
    update_time: formatTime(upd?.at ?? now),
    summary: inc.summary ?? inc.description ?? null,
    resolved_at: inc.resolvedAt ? formatUtc(inc.resolvedAt) : null,
    time_to_acknowledge: formatMinutes(d.toAcknowledge),
    time_to_mitigate: formatMinutes(d.toMitigate),
    time_to_resolve: formatMinutes(d.toResolve),
    customers: null,
    eta: null,
  };
  for (const [k, v] of Object.entries(ctx.values ?? {})) {
    if (typeof v === 'string' && v.trim()) known[k] = v.trim();
  }
  // A status update typed at `now` is stamped with `now`, not with the previous update's time.
  if (ctx.values?.update?.trim()) known.update_time = formatTime(now);
  return known;
}

const SEVERITY_WORDS: Record<string, string[]> = {
  P1: ['P1', 'SEV1', 'SEV-1', 'critical', 'major outage'],
  P2: ['P2', 'SEV2', 'SEV-2', 'high', 'major', 'error', 'warning'],
  P3: ['P3', 'SEV3', 'SEV-3', 'medium', 'minor', 'warning'],
  P4: ['P4', 'SEV4', 'SEV-4', 'low', 'info', 'informational'],
};

/** Picks the template's own spelling for a value: "Critical / Warning" + P1 -> "Critical". */
function pickChoice(key: string, value: string, choices: string[]): string {
  const candidates = key === 'severity' ? (SEVERITY_WORDS[value.toUpperCase()] ?? [value]) : [value];
  for (const c of candidates) {
    const hit = choices.find((x) => x.toLowerCase() === c.toLowerCase());
    if (hit) return hit;
  }
  return choices.every((x) => x === x.toUpperCase()) ? value.toUpperCase() : value;
}

// ---------------------------------------------------------------------------------------------------------------
// Rendering

export interface FillOptions {
  /** Rendering of a field nobody knows; default keeps the template's placeholder. */
  onMissing?: (field: { key: string; original: string; hint: string }) => string;
}

/** Fills any template text with `known` values; the engine under renderCommunication and postmortem sections. */
export function fillTemplate(
  text: string,
  known: Record<string, string | null>,
  opts: FillOptions = {},
): RenderedCommunication {
  const { lines, fields } = parseTemplate(text);
  const hints = new Map<string, string>();
  for (const f of fields) if (!hints.has(f.key) && f.literal === null) hints.set(f.key, f.hint);
  const out = lines.map((l) =>
    l.segs
      .map((s) => {
        if (s.t === 'text') return s.s;
        if (s.t === 'time') return known[`${s.key}_time`] ?? known.update_time ?? s.original;
        const v = known[s.key];
        if (v == null || v === '')
          return opts.onMissing?.({ key: s.key, original: s.original, hint: hints.get(s.key) ?? s.key }) ?? s.original;
        return s.choices ? pickChoice(s.key, v, s.choices) : v;
      })
      .join(''),
  );
  const result: Record<string, string | null> = {};
  const missing: string[] = [];
  const prompts: Record<string, string> = {};
  for (const f of fields) {
    if (f.literal !== null) {
      if (!(f.key in result)) result[f.key] = f.literal;
      continue;
    }
    const v = known[f.key];
    result[f.key] = v == null || v === '' ? null : f.choices ? pickChoice(f.key, v, f.choices) : v;
    if (result[f.key] === null && !missing.includes(f.key)) missing.push(f.key);
    if (!(f.key in prompts)) prompts[f.key] = f.hint;
  }
  return { text: out.join('\n'), title: known.title ?? '', fields: result, missing, prompts };
}

/**
 * The public status-page draft for an incident: the runbook's template, else the shipped default, filled with
 * public values only (publicValues: mapped components, impact in words, status and times). What stays unknown is
 * asked in the modal.
 */
export function renderCommunication(template: TemplateLike | null, ctx: CommunicationContext): RenderedCommunication {
  const t = template?.text.trim() ? template : DEFAULT_COMMUNICATION_TEMPLATE;
  return fillTemplate(t.text, publicValues(ctx));
}

/** The fields a template asks for, for building a modal without rendering. */
export function templateFields(template: TemplateLike | null): TemplateField[] {
  return parseTemplate((template ?? DEFAULT_COMMUNICATION_TEMPLATE).text).fields;
}
