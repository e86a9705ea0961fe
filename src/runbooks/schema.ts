import { z } from 'zod';
import { RunbookTimerKind, Severity } from '../vocabulary.js';

/** Who can run a command: one of the bot's executors, a shell, or unknown. */
export const Executor = z.enum(['kubernetes', 'prometheus', 'postgres', 'redis', 'http', 'shell', 'other']);
export type Executor = z.infer<typeof Executor>;

/** Ordered from harmless to dangerous; a command takes the highest risk of any of its parts. */
export const Risk = z.enum(['read', 'write', 'exec', 'destructive']);
export type Risk = z.infer<typeof Risk>;

export { RunbookTimerKind, Severity } from '../vocabulary.js';

export const SectionKind = z.enum(['alert', 'severity', 'procedure']);
export type SectionKind = z.infer<typeof SectionKind>;

/** A point on the response clock, counted from the moment the incident starts. */
export const Timer = z.object({
  afterMinutes: z.number().nonnegative(),
  kind: RunbookTimerKind,
  target: z.string().nullable(),
  severity: Severity.nullable(),
  condition: z.string().nullable(),
  line: z.number().int().nonnegative(),
  text: z.string(),
  /** End of a phase ("Immediate Actions (0-5 minutes)" → 5); null for other kinds. */
  untilMinutes: z.number().nonnegative().nullable().default(null),
});
export type Timer = z.infer<typeof Timer>;

export const Command = z.object({
  /** Stable within the document: `${sectionId}:${line}` (plus `.n` when one line holds several). */
  id: z.string(),
  text: z.string(),
  line: z.number().int().positive(),
  executor: Executor,
  risk: Risk,
  runnable: z.boolean(),
  placeholders: z.array(z.string()),
  reason: z.string(),
  /** What the executor itself runs when that differs from the text: SQL, PromQL, a Redis command. */
  query: z.string().nullable().default(null),
  /** A Prometheus range query's window as written in a `query_range` URL (`start`, `end`, `step`). */
  range: z
    .object({ start: z.string().nullable(), end: z.string().nullable(), step: z.string().nullable() })
    .nullable()
    .optional(),
  /** Where it came from: a fenced block (with its language) or inline code. */
  origin: z.enum(['block', 'inline']),
});
export type Command = z.infer<typeof Command>;

export const Template = z.object({
  line: z.number().int().positive(),
  fields: z.array(z.string()),
  text: z.string(),
});
export type Template = z.infer<typeof Template>;

export const Step = z.object({
  title: z.string(),
  line: z.number().int().positive(),
  /** Markdown of the step without its fenced code blocks, trimmed; may be ''. */
  text: z.string(),
  commands: z.array(Command),
  /** The heading or label the step sits under, when the step is a list item or label inside it. */
  group: z.string().nullable().default(null),
});
export type Step = z.infer<typeof Step>;

export const RunbookSection = z.object({
  id: z.string(),
  title: z.string(),
  alerts: z.array(z.string()),
  severity: Severity.nullable(),
  line: z.number().int().positive(),
  timers: z.array(Timer),
  commands: z.array(Command),
  steps: z.array(Step),
  summary: z.string().nullable(),
  source: z.string(),
  kind: SectionKind,
  /** Severity exactly as the runbook wrote it ("Warning", "critical"), before normalisation. */
  severityText: z.string().nullable().default(null),
  /** The alert's firing condition as written (an Expression/Condition table cell): shown, never run. */
  condition: z.string().nullable().optional(),
});
export type RunbookSection = z.infer<typeof RunbookSection>;

export const WarningLevel = z.enum(['error', 'warning', 'info']);
export type WarningLevel = z.infer<typeof WarningLevel>;

export const Warning = z.object({
  line: z.number().int().nonnegative(),
  message: z.string(),
  level: WarningLevel.default('warning'),
  /** Machine-readable kind, e.g. `no-alerts`, `timer-unparsed`, `unknown-executor`, `mojibake`. */
  code: z.string(),
});
export type Warning = z.infer<typeof Warning>;

export const RunbookDocument = z.object({
  source: z.string(),
  title: z.string(),
  runbooks: z.array(RunbookSection),
  timers: z.array(Timer),
  commands: z.array(Command),
  templates: z.object({ communication: Template.nullable(), postIncident: Template.nullable() }),
  warnings: z.array(Warning),
  /** True when the runbook declared itself through YAML front matter. */
  frontMatter: z.boolean().default(false),
  /**
   * Front matter `timers_override: true`: the runbook's timers apply even where the severity default is
   * stricter. Otherwise, per kind, the stricter of the two wins (escalation/schedule.ts planTimers).
   */
  timersOverride: z.boolean().default(false),
});
export type RunbookDocument = z.infer<typeof RunbookDocument>;

const SEVERITY_WORDS: Record<string, Severity> = {
  critical: 'P1',
  crit: 'P1',
  emergency: 'P1',
  fatal: 'P1',
  high: 'P2',
  major: 'P2',
  error: 'P2',
  warning: 'P3',
  warn: 'P3',
  medium: 'P3',
  moderate: 'P3',
  minor: 'P3',
  info: 'P4',
  informational: 'P4',
  low: 'P4',
  notice: 'P4',
};

/**
 * Maps a severity as written (in a runbook or an alert label) to P1..P4:
 * critical/page (the word alone)→P1, high→P2, warning/medium→P3, info/low→P4; P1..P4 and SEV1..SEV4 keep their number
 * (P0/SEV0 count as P1, P5 as P4). Returns null for anything else.
 */
export function normalizeSeverity(s: string): Severity | null {
  const word = s
    .trim()
    .toLowerCase()
    .replace(/^[*_`[(\s]+/, '');
  const numbered = /^(?:p|sev|severity|priority)[\s-]?([0-5])\b/.exec(word);
  if (numbered) {
    const n = Math.min(Math.max(Number(numbered[1]), 1), 4);
    return `P${n}` as Severity;
  }
  // Prometheus/SRE convention: `severity: page` wakes someone now. Only the word alone: "Page the DBA" is an action.
  if (/^pag(e|ing)[\s*_`)\]]*$/.test(word)) return 'P1';
  const first = /^[a-z]+/.exec(word)?.[0];
  return first ? (SEVERITY_WORDS[first] ?? null) : null;
}
