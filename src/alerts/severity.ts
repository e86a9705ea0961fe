import type { Severity } from '../vocabulary.js';

const P_LEVEL = /^p([1-4])$/i;

/**
 * An alert's P-level from its labels (`severity`, `priority`), through the configured map
 * (critical=P1, warning=P3 ...); P1..P4 are taken as written. Unknown: P3, a middle ground that opens a channel.
 * A label the alert lacks is read from `commonLabels` (the notification's), as if the two were merged.
 */
export function severityFromLabels(
  labels: Record<string, string>,
  map: Record<string, string>,
  commonLabels: Record<string, string> = {},
): Severity {
  for (const key of ['severity', 'priority', 'level']) {
    const v = (labels[key] ?? commonLabels[key])?.trim();
    if (!v) continue;
    const p = v.match(P_LEVEL);
    if (p) return `P${p[1]}` as Severity;
    const mapped = map[v.toLowerCase()];
    if (mapped && P_LEVEL.test(mapped)) return mapped.toUpperCase() as Severity;
  }
  return 'P3';
}

/** The most severe of several (P1 beats P2). */
export function maxSeverity(list: Severity[]): Severity {
  return [...list].sort()[0] ?? 'P3';
}

/** Parses what a person types: P1..P4, SEV1, critical/high/warning/info. */
export function parseSeverity(text: string, map: Record<string, string>): Severity | null {
  const t = text.trim().toLowerCase();
  const m = t.match(/^(?:p|sev-?)([1-4])$/);
  if (m) return `P${m[1]}` as Severity;
  const mapped = map[t];
  return mapped && P_LEVEL.test(mapped) ? (mapped.toUpperCase() as Severity) : null;
}
