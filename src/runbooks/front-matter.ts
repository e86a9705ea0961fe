import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { formatZodIssues } from '../errors.js';
import { parseDuration } from './extract-timers.js';
import { normalizeSeverity, RunbookTimerKind, type Severity, type Timer, type Warning } from './schema.js';

/**
 * Optional YAML front matter lets authors state what the heuristics would guess:
 *
 *   ---
 *   title: PostgreSQL is down
 *   alerts: [PostgresDown, PostgresReplicaDown]
 *   severity: critical            # or P1
 *   timers:
 *     - { after: 5m, kind: acknowledge }
 *     - { after: 15m, kind: escalate, target: Database on-call, condition: primary not back }
 *   timers_override: true         # these timers replace the severity defaults even when slower
 *   runbooks:                     # for files with several sections, keyed by heading anchor
 *     - { id: replica-lag, alerts: [PostgresReplicationLag], severity: warning }
 *   ---
 */

const Duration = z.union([z.number(), z.string()]);

const FrontMatterTimer = z
  .object({
    after: Duration.optional(),
    afterMinutes: z.number().nonnegative().optional(),
    until: Duration.optional(),
    kind: RunbookTimerKind,
    target: z.string().nullish(),
    severity: z.string().nullish(),
    condition: z.string().nullish(),
    text: z.string().optional(),
  })
  .refine((t) => t.after !== undefined || t.afterMinutes !== undefined, {
    message: 'needs `after` (e.g. 5m) or `afterMinutes`',
  });

const Alerts = z.union([z.string(), z.array(z.string())]).transform((a) => (Array.isArray(a) ? a : [a]));

const SectionOverride = z.object({
  id: z.string(),
  alerts: Alerts.optional(),
  severity: z.string().optional(),
  timers: z.array(FrontMatterTimer).optional(),
});

const FrontMatterSchema = z
  .object({
    title: z.string().optional(),
    summary: z.string().optional(),
    alerts: Alerts.optional(),
    severity: z.string().optional(),
    timers: z.array(FrontMatterTimer).optional(),
    /** The runbook's clock replaces the severity defaults even where they are stricter (issue #18). */
    timers_override: z.boolean().optional(),
    timersOverride: z.boolean().optional(),
    runbooks: z.array(SectionOverride).optional(),
  })
  .passthrough();

export interface SectionFacts {
  alerts?: string[];
  severity?: Severity | null;
  severityText?: string;
  timers?: Timer[];
}

export interface FrontMatter extends SectionFacts {
  /** `timers_override: true`: the runbook's timers win over stricter severity defaults. */
  timersOverride?: boolean;
  title?: string;
  summary?: string;
  sections: (SectionFacts & { id: string; line: number })[];
}

export interface FrontMatterResult {
  frontMatter: FrontMatter | null;
  /** Index of the first body line (0 when there is no front matter). */
  bodyStart: number;
  warnings: Warning[];
}

/** Reads `---` … `---` at the top of the file. Bad YAML is reported, never thrown. */
export function readFrontMatter(lines: readonly string[]): FrontMatterResult {
  if (lines[0]?.trim() !== '---') return { frontMatter: null, bodyStart: 0, warnings: [] };
  const end = lines.findIndex((l, i) => i > 0 && /^(---|\.\.\.)\s*$/.test(l));
  if (end < 0) {
    return {
      frontMatter: null,
      bodyStart: 0,
      warnings: [
        {
          line: 1,
          level: 'error',
          code: 'front-matter',
          message: 'Front matter starts with --- but never ends; add a closing --- line.',
        },
      ],
    };
  }
  const src = lines.slice(1, end).join('\n');
  const lineCounter = new LineCounter();
  const doc = parseDocument(src, { lineCounter, prettyErrors: false });
  const lineAt = (offset: number | undefined) => (offset === undefined ? 1 : lineCounter.linePos(offset).line + 1);
  const warnings: Warning[] = [];
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    warnings.push({
      line: lineAt(e.pos[0]),
      level: 'error',
      code: 'front-matter',
      message: `Front matter is not valid YAML: ${e.message.split('\n')[0]}`,
    });
    return { frontMatter: null, bodyStart: end + 1, warnings };
  }
  const parsed = FrontMatterSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    warnings.push({
      line: lineAt(nodeOffset(doc.contents, issue.path)),
      level: 'error',
      code: 'front-matter',
      message: `Front matter: ${formatZodIssues(parsed.error.issues)}`,
    });
    return { frontMatter: null, bodyStart: end + 1, warnings };
  }
  const fm = parsed.data;
  const timersOf = (list: z.infer<typeof FrontMatterTimer>[] | undefined, path: (string | number)[]) =>
    list?.flatMap((t, i) => {
      const line = lineAt(nodeOffset(doc.contents, [...path, i]));
      const after = t.afterMinutes ?? parseDuration(t.after!);
      if (after === null) {
        warnings.push({
          line,
          level: 'error',
          code: 'front-matter',
          message: `Front matter timer: cannot read duration "${t.after}" (use 5m, 1h or minutes).`,
        });
        return [];
      }
      const until = t.until === undefined ? null : parseDuration(t.until);
      const timer: Timer = {
        afterMinutes: after,
        kind: t.kind,
        target: t.target ?? null,
        severity: t.severity ? normalizeSeverity(t.severity) : null,
        condition: t.condition ?? null,
        line,
        text: t.text ?? `${t.kind} after ${after} min${t.target ? ` → ${t.target}` : ''}`,
        untilMinutes: until,
      };
      return [timer];
    });
  const severityOf = (s: string | undefined, path: string[]) => {
    if (s === undefined) return undefined;
    const sev = normalizeSeverity(s);
    if (!sev) {
      warnings.push({
        line: lineAt(nodeOffset(doc.contents, path)),
        level: 'error',
        code: 'front-matter',
        message: `Front matter severity "${s}" is not one of P1..P4, critical, high, warning, medium, info, low.`,
      });
    }
    return sev;
  };
  return {
    frontMatter: {
      title: fm.title,
      timersOverride: fm.timers_override ?? fm.timersOverride ?? false,
      summary: fm.summary,
      alerts: fm.alerts,
      severity: severityOf(fm.severity, ['severity']),
      severityText: fm.severity,
      timers: timersOf(fm.timers, ['timers']),
      sections: (fm.runbooks ?? []).map((r, i) => ({
        id: r.id,
        line: lineAt(nodeOffset(doc.contents, ['runbooks', i])),
        alerts: r.alerts,
        severity: severityOf(r.severity, ['runbooks', String(i), 'severity']),
        severityText: r.severity,
        timers: timersOf(r.timers, ['runbooks', i, 'timers']),
      })),
    },
    bodyStart: end + 1,
    warnings,
  };
}

/** Offset of the YAML node at `path` (or its nearest ancestor), for line numbers in warnings. */
function nodeOffset(node: unknown, path: readonly (string | number)[]): number | undefined {
  let cur = node as { range?: [number, number, number] } | null | undefined;
  let best = cur?.range?.[0];
  for (const key of path) {
    if (isMap(cur)) cur = cur.get(String(key), true) as unknown as typeof cur;
    else if (isSeq(cur)) cur = cur.get(Number(key), true) as unknown as typeof cur;
    else break;
    if (cur?.range) best = cur.range[0];
  }
  return best;
}
