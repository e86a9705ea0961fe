import { type Block, isTableSeparator, leadingBold, parseLabel, plainText, tableCells } from './markdown.js';
import { normalizeSeverity, type RunbookTimerKind, type Severity, type Timer } from './schema.js';

/**
 * Reads the response clock out of prose: SLAs ("acknowledge within 5 minutes"), conditional escalations
 * ("Escalate to Senior Engineer if root cause not identified within 15 minutes"), escalation matrices and phases
 * ("Immediate Actions (0-5 minutes)"). An alert's firing condition ("error rate > 5% for 5 minutes"), command
 * arguments and estimates are not timers.
 */

const NUMBER_WORDS: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  ten: 10,
  fifteen: 15,
  twenty: 20,
  thirty: 30,
  'forty-five': 45,
  sixty: 60,
  ninety: 90,
};
const NUM = String.raw`(\d+(?:\.\d+)?|an?|one|two|three|four|five|six|ten|fifteen|twenty|thirty|forty-five|sixty|ninety)`;
const UNIT = '(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d)';
/** A duration, optionally a range: "5 minutes", "1h", "an hour", "10-15 min". Groups: from, to, unit. */
const DUR = String.raw`${NUM}(?:\s*(?:-|–|to)\s*(\d+(?:\.\d+)?))?\s*${UNIT}\b`;

const WHOLE_DURATION = new RegExp(`^${DUR}$`, 'i');
const PHASE_RANGE = new RegExp(String.raw`\(\s*(?:T\s*\+\s*)?(\d+)\s*(?:-|–|to)\s*(\d+)\s*${UNIT}\s*\)`, 'i');
const PHASE_FIRST = new RegExp(String.raw`\(\s*(?:first|within)\s+${DUR}\s*\)`, 'i');
const PHASE_AFTER = new RegExp(
  String.raw`\(\s*(?:after|T\s*\+|from)\s*${DUR}\s*\)|\(\s*${NUM}\s*${UNIT}\s*\+\s*\)`,
  'i',
);
const DEADLINE = new RegExp(
  String.raw`\b(within|after|every)\s+(?:about\s+|roughly\s+)?(?:${DUR}|half an hour|a few (?:minutes|hours))`,
  'i',
);

function unitMinutes(unit: string): number {
  const u = unit.toLowerCase();
  if (u.startsWith('s')) return 1 / 60;
  if (u.startsWith('h')) return 60;
  if (u.startsWith('d')) return 1440;
  return 1;
}

function num(s: string): number {
  const n = NUMBER_WORDS[s.toLowerCase()];
  return n ?? Number(s);
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** Minutes in a duration such as "5m", "1 hour", "90s", "15 minutes" or a bare number of minutes; null otherwise. */
export function parseDuration(input: string | number): number | null {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input : null;
  const t = input.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const m = WHOLE_DURATION.exec(t);
  if (!m) return null;
  return round(num(m[2] ?? m[1]!) * unitMinutes(m[3]!));
}

interface Duration {
  from: number;
  to: number;
  index: number;
  length: number;
}

const durationPatterns = new Map<string, RegExp>();

function findDuration(text: string, prefix: string): Duration | null {
  let re = durationPatterns.get(prefix);
  if (!re) {
    re = new RegExp(`${prefix}\\s*(?:more than|over|at least|>=?|≥|<=?)?\\s*${DUR}`, 'i');
    durationPatterns.set(prefix, re);
  }
  const m = re.exec(text);
  if (!m) return null;
  const mult = unitMinutes(m[m.length - 1]!);
  const fromN = num(m[m.length - 3]!);
  const toN = m[m.length - 2] ? num(m[m.length - 2]!) : fromN;
  return { from: round(fromN * mult), to: round(toN * mult), index: m.index, length: m[0].length };
}

/** Phrases whose durations describe something other than the response clock. */
const NOT_A_TIMER =
  /\bestimat|\bETA\b|\bexpir|\btimes?\s+(?:in|per)\b|\bper\s+(?:second|minute|hour|day)\b|\bago\b|\bevery\s+\d+\s*(?:s|sec)/i;
/** Labels that introduce an alert's condition or a description, never the response clock. */
const CONDITION_LABEL =
  /^(trigger|threshold|condition|alert|alert name|alert condition|expr|expression|for|description|impact|symptoms|duration|example|query)$/i;
const SLA_ACK =
  /^(response sla|response time|response|sla|time to (acknowledge|respond|ack)|ack(nowledge)?( sla| within)?)$/i;
const SLA_RESOLVE = /^(resolution sla|resolution time|time to (resolve|mitigate)|resolve within)$/i;
const SLA_UPDATE = /^(update cadence|updates?|status updates?|update frequency)$/i;

const ESCALATE_VERB = /\b(escalat\w*|page[sd]?|notify|call in|declare)\b/i;
const TIMER_VERB =
  /\b(acknowledg\w*|ack|respond\w*|response|resolv\w*|resolution|mitigat\w*|escalat\w*|page|notify|update|declare|review)\b/i;

export interface TimerContext {
  /** The heading or bold label the line sits under ("Escalate to Senior Engineer if", "Escalation Criteria"). */
  context: string | null;
  line: number;
  text: string;
  /** The line is a heading or a label on its own (where phases are written). */
  title: boolean;
}

export interface TimerScan {
  timers: Timer[];
  /** Lines that look like a response-clock rule but could not be read. */
  unparsed: { line: number; text: string }[];
}

const timer = (
  afterMinutes: number,
  kind: RunbookTimerKind,
  line: number,
  text: string,
  extra: Partial<Pick<Timer, 'target' | 'severity' | 'condition' | 'untilMinutes'>> = {},
): Timer => ({
  afterMinutes,
  kind,
  target: extra.target ?? null,
  severity: extra.severity ?? null,
  condition: extra.condition ?? null,
  line,
  text,
  untilMinutes: extra.untilMinutes ?? null,
});

/** The single P1..P4 the text names, or null when it names none or several. */
function severityIn(text: string): Severity | null {
  const found = new Set<Severity>();
  for (const m of text.matchAll(/\b(P[0-5]|SEV[- ]?[0-5])\b/gi)) {
    const s = normalizeSeverity(m[1]!);
    if (s) found.add(s);
  }
  return found.size === 1 ? [...found][0]! : null;
}

function cleanTarget(s: string | undefined | null): string | null {
  if (!s) return null;
  const t = plainText(s)
    .replace(/^(the|an?)\s+/i, '')
    .replace(/[\s:,.;]+$/, '')
    .trim();
  return t && t.split(/\s+/).length <= 8 ? t : null;
}

const TARGET_STOP = String.raw`(?=\s+(?:if|when|after|within|for|once|unless|immediately|and then)\b|\s*[:,.;(]|\s+[-–]\s|$)`;
const ESCALATE_TO = new RegExp(String.raw`\bescalat\w*\s+to\s+(.+?)${TARGET_STOP}`, 'i');
const PAGE_WHO = new RegExp(String.raw`\b(?:page|notify|call in|call|loop in)\s+(.+?)${TARGET_STOP}`, 'i');

function targetIn(text: string): string | null {
  const m = ESCALATE_TO.exec(text) ?? PAGE_WHO.exec(text);
  return cleanTarget(m?.[1]);
}

function conditionIn(text: string, dur: Duration | null): string | null {
  let c = dur ? text.slice(0, dur.index) + text.slice(dur.index + dur.length).replace(/^\s+of\s+\w+/, '') : text;
  c = c
    .replace(/^\s*escalat\w*(?:\s+to\s+.+?)?\s+(?:if|when|once)\s+/i, '')
    .replace(/^\s*(?:if|when|once)\s+/i, '')
    .replace(/,?\s*(?:escalat\w*|page|notify)\b.*$/i, '')
    .replace(/\s+/g, ' ')
    .replace(/\s+([?!])/g, '$1') // "Still lagging after 30 minutes?" → "Still lagging?"
    .replace(/^[\s:,.;-]+|[\s:,.;-]+$/g, '')
    .trim();
  if (/^escalat/i.test(c)) return null;
  return c || null;
}

/** Splits "Acknowledge within 5 minutes, resolve within 1 hour" into clauses, one rule each. */
function clauses(text: string): string[] {
  return text.split(
    /[;,]\s*(?=(?:and\s+|then\s+)?(?:acknowledg|ack\b|respond|resolv|review|escalat|update|declare|page)\w*)/i,
  );
}

/** Timers written in one line of prose. `inEscalation`: the line sits under an escalation heading or label. */
export function timersInLine(ctx: TimerContext, sectionSeverity: Severity | null = null): Timer[] {
  const raw = ctx.text;
  const text = plainText(raw);
  const label = parseLabel(raw);
  const bold = label?.label ?? leadingBold(raw);
  const trigger =
    label ??
    (/^(trigger|condition|when)\s*:\s*(.+)$/i.exec(text)
      ? { label: 'trigger', rest: text.replace(/^[^:]*:\s*/, '') }
      : null);
  if (trigger && /^(trigger|condition|when)$/i.test(trigger.label) && UNHANDLED.test(trigger.rest)) {
    return tierTimers(ctx, trigger.rest, text);
  }
  if (label && CONDITION_LABEL.test(label.label)) return [];
  if (ctx.title) return phaseTimer(ctx, text);
  const severity = (bold ? normalizeSeverity(bold) : null) ?? severityIn(text);
  const out: Timer[] = [];
  // "**Response SLA**: 5 minutes"
  if (label && (SLA_ACK.test(label.label) || SLA_RESOLVE.test(label.label) || SLA_UPDATE.test(label.label))) {
    const value = plainText(label.rest)
      .replace(/^(?:<=?|≤|under|max(?:imum)?|at most|no more than|up to)\s*/i, '')
      .replace(/^(within|every|in)\s+/i, '');
    const head = /^(\S+(?:\s+(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?))?)(.*)$/i.exec(
      value.split(/[,(]/)[0]!.trim(),
    );
    const minutes = head ? parseDuration(head[1]!) : null;
    if (minutes !== null) {
      const tail = head?.[2] ?? '';
      const kind: RunbookTimerKind =
        SLA_RESOLVE.test(label.label) || /\b(resolv|resolution|mitigat|restor)/i.test(tail)
          ? 'resolve'
          : SLA_UPDATE.test(label.label) || /\bupdates?\b/i.test(tail)
            ? 'update'
            : 'acknowledge';
      return [timer(minutes, kind, ctx.line, text, { severity: severity ?? sectionSeverity })];
    }
  }
  const body = label ? label.rest : text;
  const inEscalation = /escalat/i.test(ctx.context ?? '') || /^escalat/i.test(body);
  if (NOT_A_TIMER.test(body)) return [];
  if (inEscalation && !/^(acknowledg|ack\b|respond|resolv|update|declare)/i.test(body)) {
    const dur = findDuration(body, String.raw`\b(?:within|after|for|in)\b`);
    if (!dur) return [];
    const target = targetIn(body) ?? targetIn(ctx.context ?? '');
    return [timer(dur.to, 'escalate', ctx.line, text, { target, severity, condition: conditionIn(body, dur) })];
  }
  const parts = clauses(body);
  for (let i = 0; i < parts.length; i++) {
    let part = parts[i]!;
    // "If not acknowledged within 5 minutes, page the secondary": the condition and its action belong together.
    if (/^\s*(if|when|once|unless)\b/i.test(part) && i + 1 < parts.length) part = `${part}, ${parts[++i]}`;
    const t = clauseTimer(part, ctx, text, severity);
    if (t) out.push(t);
  }
  return out;
}

/** An escalation tier's trigger speaks of the incident (unresolved, unacknowledged), never of a metric. */
const UNHANDLED =
  /\b(un(?:resolved|acknowledged|acked|mitigated)|not (?:yet )?(?:resolved|acknowledged|acked|mitigated)|no (?:response|ack\w*))\b/i;
const TIER_PART = new RegExp(String.raw`(?:after|within|for|in)?\s*${DUR}\s*\(\s*((?:sev|p)[- ]?[0-5])\s*\)`, 'gi');

/** `Trigger: unresolved after 20 mins (Sev1) or 1 hour (Sev2)` → one escalation per severity. */
function tierTimers(ctx: TimerContext, rest: string, text: string): Timer[] {
  const condition = UNHANDLED.exec(rest)?.[0] ?? null;
  const target =
    targetIn(ctx.context ?? '') ?? cleanTarget(ctx.context?.replace(/^(tier|level|l)\s*\d+\s*[:\-–—]?\s*/i, ''));
  const out: Timer[] = [];
  for (const m of plainText(rest).matchAll(TIER_PART)) {
    const minutes = round(num(m[2] ?? m[1]!) * unitMinutes(m[3]!));
    out.push(timer(minutes, 'escalate', ctx.line, text, { severity: normalizeSeverity(m[4]!), target, condition }));
  }
  if (out.length) return out;
  const dur = findDuration(rest, String.raw`\b(?:after|within|for|in)\b`);
  return dur ? [timer(dur.to, 'escalate', ctx.line, text, { target, condition, severity: severityIn(rest) })] : [];
}

/** Words of a table header naming the elapsed-time column of an escalation table. */
const ELAPSED_HEADER = /^(time( elapsed)?|elapsed( time)?|after|when|at|duration|time since (start|alert)|t\+?)$/i;
/** A cell that is only an elapsed time: `+10 min`, `T+30m`, `After 1 hour`, `15 minutes`. */
const ELAPSED_CELL = new RegExp(String.raw`^(?:T\s*)?\+?\s*(?:after\s+)?${DUR}\s*\+?$`, 'i');

/**
 * An escalation table by elapsed time: `| +10 min | Escalate to Platform Lead |`. Only a column whose header names
 * elapsed time (or whose every cell is a bare elapsed time) counts; the action cell gives the kind and target.
 */
export function tableTimers(rows: readonly { cells: string[]; line: number; text: string }[]): Timer[] {
  if (rows.length < 2) return [];
  const header = rows[0]!.cells.map((c) => plainText(c).replace(/[*_]/g, '').trim());
  const body = rows.slice(1);
  let timeCol = header.findIndex((h) => ELAPSED_HEADER.test(h));
  if (timeCol < 0) {
    timeCol = header.findIndex((_, i) => body.every((r) => ELAPSED_CELL.test(plainText(r.cells[i] ?? '').trim())));
    if (timeCol < 0) return [];
  }
  const out: Timer[] = [];
  for (const r of body) {
    const m = ELAPSED_CELL.exec(plainText(r.cells[timeCol] ?? '').trim());
    if (!m) continue;
    const minutes = round(num(m[1]!) * unitMinutes(m[3]!));
    const others = r.cells.filter((_, i) => i !== timeCol).map((c) => plainText(c).trim());
    const action = others.find((c) => TIMER_VERB.test(c) || ESCALATE_VERB.test(c)) ?? others[0] ?? '';
    const kind: RunbookTimerKind | null = /\b(acknowledg|ack\b|respond)/i.test(action)
      ? 'acknowledge'
      : /\b(declare|incident (call|bridge)|war ?room|major incident)\b/i.test(action)
        ? 'declare'
        : /\bupdate\b/i.test(action) && !ESCALATE_VERB.test(action)
          ? 'update'
          : /\b(resolv|resolution)\b/i.test(action) && !ESCALATE_VERB.test(action)
            ? 'resolve'
            : ESCALATE_VERB.test(action)
              ? 'escalate'
              : null;
    if (!kind) continue; // a time with no response step beside it is not a timer
    const target =
      kind === 'escalate' ? (targetIn(action) ?? cleanTarget(others.find((c) => c !== action) ?? null)) : null;
    out.push(
      timer(minutes, kind, r.line, plainText(r.text.replace(/\|/g, ' ')).replace(/\s+/g, ' ').trim(), {
        target,
        severity: severityIn(others.join(' ')),
      }),
    );
  }
  return out;
}

function clauseTimer(part: string, ctx: TimerContext, text: string, severity: Severity | null): Timer | null {
  const escalates = ESCALATE_VERB.test(part);
  if (escalates) {
    const dur = findDuration(part, String.raw`\b(?:within|after|for|in)\b`);
    if (!dur) return null;
    const declare = /\bdeclare\b/i.test(part) && !/\b(escalat|page|notify)/i.test(part);
    return timer(dur.to, declare ? 'declare' : 'escalate', ctx.line, text, {
      target: declare ? null : targetIn(part),
      severity,
      condition: conditionIn(part, dur),
    });
  }
  const every = /\b(updat\w*|status)\b/i.test(part) ? findDuration(part, String.raw`\bevery\b`) : null;
  if (every) return timer(every.to, 'update', ctx.line, text, { severity });
  // "Posting of the initial communication happens within 5 minutes": the first status update is due. A deadline
  // counted from something else ("within 5 minutes of the first communication") is not on the incident's clock.
  if (/\b(initial|first)\s+(communicat\w*|update|post|status|message|notice|announcement)/i.test(part)) {
    const first = findDuration(part, String.raw`\b(?:within|in|under)\b`);
    const counted = first ? part.slice(first.index + first.length) : '';
    if (first && !/^\s*(of|after|from|since)\s+(the\s+)?(first|initial|previous|last)\b/i.test(counted))
      return timer(first.to, 'update', ctx.line, text, { severity, condition: 'first status update' });
  }
  const kinds: [RegExp, RunbookTimerKind][] = [
    [/\b(acknowledg\w*|ack|respond\w*|response|review\w*)\b/i, 'acknowledge'],
    [/\b(resolv\w*|resolution|mitigat\w*|restor\w*)\b/i, 'resolve'],
  ];
  for (const [verb, kind] of kinds) {
    const v = verb.exec(part);
    if (!v) continue;
    const dur = findDuration(part.slice(v.index), String.raw`\b(?:within|in|under|by)\b`);
    if (!dur) continue;
    // "Engineer On-Call responds within 5 minutes": who acknowledges.
    const who = part.slice(0, v.index).trim();
    const target = kind === 'acknowledge' && who && !/[:(]/.test(who) ? cleanTarget(who) : null;
    return timer(dur.to, kind, ctx.line, text, { severity, target });
  }
  return null;
}

function phaseTimer(ctx: TimerContext, text: string): Timer[] {
  if (!text.includes('(')) return [];
  const range = PHASE_RANGE.exec(text);
  if (range) {
    const mult = unitMinutes(range[3]!);
    return [
      timer(round(num(range[1]!) * mult), 'phase', ctx.line, text, { untilMinutes: round(num(range[2]!) * mult) }),
    ];
  }
  const first = PHASE_FIRST.exec(text);
  if (first)
    return [
      timer(0, 'phase', ctx.line, text, { untilMinutes: round(num(first[2] ?? first[1]!) * unitMinutes(first[3]!)) }),
    ];
  const after = PHASE_AFTER.exec(text);
  if (after) {
    const n = after[1] ?? after[4]!;
    const unit = after[3] ?? after[5]!;
    return [timer(round(num(n) * unitMinutes(unit)), 'phase', ctx.line, text)];
  }
  return [];
}

/** Lines that mention a deadline ("within 1 hour") yet produced no timer; lint reports them. */
export function looksLikeTimer(text: string): boolean {
  const t = plainText(text);
  if (NOT_A_TIMER.test(t)) return false;
  return DEADLINE.test(t) || (TIMER_VERB.test(t) && /\b(asap|immediately)\b/i.test(t) && /\b(within|sla)\b/i.test(t));
}

/**
 * An escalation matrix drawn in a code block:
 *   Level 1 (Alert) ↓ Engineer On-Call responds within 5 minutes ↓ Level 2 (No response or P1/P2) ↓ Page Manager …
 */
export function matrixTimers(lines: readonly { text: string; line: number }[]): Timer[] {
  const levels: { line: number; head: string; cond: string; actions: string[] }[] = [];
  for (const { text, line } of lines) {
    const t = text.trim();
    const lvl = /^(?:level|tier|L)\s*(\d+)\b\s*(?:\(([^)]*)\))?\s*[:\-–]?\s*(.*)$/i.exec(t);
    if (lvl) {
      levels.push({ line, head: t, cond: lvl[2] ?? '', actions: lvl[3] ? [lvl[3]] : [] });
    } else if (levels.length && /[A-Za-z]/.test(t) && !/^[↓|v→>\-\s]+$/.test(t)) {
      levels.at(-1)!.actions.push(t.replace(/^[↓|→>\-\s]+/, ''));
    }
  }
  const out: Timer[] = [];
  let lastAck: number | null = null;
  for (const lv of levels) {
    const action = lv.actions.join('; ');
    const condDur = findDuration(lv.cond, String.raw`\b(?:after|within|for)\b`);
    const actDur = findDuration(action, String.raw`\b(?:within|after|in)\b`);
    const kind: RunbookTimerKind = /\b(respond|acknowledg|ack)\w*/i.test(action)
      ? 'acknowledge'
      : /\bdeclare\b/i.test(action)
        ? 'declare'
        : /\bresolv/i.test(action)
          ? 'resolve'
          : 'escalate';
    let after = (condDur ?? actDur)?.to ?? null;
    if (after === null) after = /\bno (response|ack)/i.test(lv.cond) && lastAck !== null ? lastAck : 0;
    let target: string | null = null;
    if (kind === 'acknowledge') {
      const who = /^(.+?)\s+(respond|acknowledg|ack)/i.exec(action)?.[1];
      target = cleanTarget(who);
      lastAck = after;
    } else if (kind === 'escalate') {
      target = cleanTarget(
        /^(?:page|escalate to|notify|call)\s+(.+?)(?:[;,]|$)/i.exec(action)?.[1] ?? action.split(/[;,]/)[0],
      );
    }
    const cond = conditionIn(lv.cond, condDur);
    out.push(
      timer(after, kind, lv.line, `${lv.head}: ${action}`.replace(/:\s*$/, ''), {
        target,
        severity: severityIn(lv.cond),
        condition: cond && !/^alerts?( fires?)?$/i.test(cond) ? cond : null,
      }),
    );
  }
  return out;
}

/** Timers in a run of blocks, with the heading/label context each line sits under. */
export function extractTimers(
  blocks: readonly Block[],
  options: { sectionSeverity?: Severity | null; skip?: ReadonlySet<Block> } = {},
): TimerScan {
  const timers: Timer[] = [];
  const unparsed: TimerScan['unparsed'] = [];
  let context: string | null = null;
  let tableRows: { cells: string[]; line: number; text: string; para: number }[] = [];
  const flushTable = () => {
    if (tableRows.length) timers.push(...tableTimers(tableRows));
    tableRows = [];
  };
  for (const b of blocks) {
    if (options.skip?.has(b)) continue;
    if (b.type !== 'text' || b.kind !== 'table') flushTable();
    if (b.type === 'heading') {
      context = b.text;
      timers.push(...timersInLine({ context, line: b.line, text: b.text, title: true }));
      continue;
    }
    if (b.type === 'code') {
      if (['', 'text', 'txt', 'plain', 'plaintext'].includes(b.lang)) {
        timers.push(...matrixTimers(b.body.map((text, i) => ({ text, line: b.bodyLine + i }))));
      }
      continue;
    }
    if (b.kind === 'table') {
      if (tableRows.length && tableRows.at(-1)!.para !== b.para) flushTable();
      if (!isTableSeparator(b.text))
        tableRows.push({ cells: tableCells(b.text), line: b.line, text: b.text, para: b.para });
      continue;
    }
    flushTable();
    if (b.kind === 'hr') continue;
    const label = parseLabel(b.text);
    const standalone = label && label.rest === '' && b.kind === 'paragraph';
    if (standalone) context = label.label;
    const found = timersInLine(
      { context, line: b.line, text: b.text, title: !!standalone },
      options.sectionSeverity ?? null,
    );
    timers.push(...found);
    if (!found.length && !standalone && looksLikeTimer(b.text) && !(label && CONDITION_LABEL.test(label.label))) {
      unparsed.push({ line: b.line, text: plainText(b.text) });
    }
  }
  flushTable();
  return { timers: dedupeTimers(timers), unparsed };
}

export function dedupeTimers(timers: readonly Timer[]): Timer[] {
  const seen = new Set<string>();
  return timers.filter((t) => {
    const key = [t.kind, t.afterMinutes, t.severity, t.target, t.condition].join('|');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
