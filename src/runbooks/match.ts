import {
  type Command,
  normalizeSeverity,
  type RunbookDocument,
  type RunbookSection,
  type Severity,
  type Warning,
} from './schema.js';

/**
 * Finds the runbook section for a firing alert. In order of preference:
 * 1. the alert's `runbook_url` annotation (or label), when it names a loaded file (its #anchor picks the section);
 * 2. an alert name written in a section — ignoring case and separators, so `HighApiErrorRate`,
 *    `high_api_error_rate` and `high-api-error-rate` are one name;
 * 3. a section whose title or anchor is that name;
 * 4. a severity procedure (P1..P4) for the alert's `severity` / `priority` label.
 */

/** `HighApiErrorRate`, `high_api_error_rate`, `high-api-error-rate` → `highapierrorrate`. */
export function normalizeAlertName(name: string): string {
  return name.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
}

export type MatchedBy = 'runbook_url' | 'alert' | 'title' | 'severity';

export interface MatchResult {
  document: RunbookDocument;
  section: RunbookSection;
  by: MatchedBy;
}

/** A warning about one file of a library, or about the library as a whole (`source: ''`). */
export type LibraryWarning = Warning & { source: string };

export interface RunbookLibrary {
  readonly documents: RunbookDocument[];
  readonly warnings: LibraryWarning[];
  match(alertname: string, labels?: Record<string, string>, annotations?: Record<string, string>): MatchResult | null;
  /** The first severity procedure (a P1..P4 section) for that severity, in file order. */
  bySeverity(severity: Severity | string): MatchResult | null;
  /** Every severity procedure for that severity, in file order. */
  allBySeverity(severity: Severity | string): MatchResult[];
  section(source: string, runbookId: string): Omit<MatchResult, 'by'> | null;
  /** A command of a runbook section by its id (commands outside any section are not addressable). */
  command(source: string, commandId: string): (Omit<MatchResult, 'by'> & { command: Command }) | null;
}

const baseName = (s: string) =>
  s
    .replace(/[?#].*$/, '')
    .replace(/\/+$/, '')
    .replace(/^.*\//, '')
    .toLowerCase();
const stem = (s: string) => baseName(s).replace(/\.(md|markdown|txt|html?)$/, '');
/** A file name as the runbook_url's last path segment may spell it: case, separators and extension ignored. */
const fileKey = (s: string) => normalizeAlertName(stem(s));

/** Builds a library over parsed documents (pure; `loadRunbooks` does the reading). */
export function createLibrary(
  documents: readonly RunbookDocument[],
  warnings: readonly LibraryWarning[] = [],
): RunbookLibrary {
  const docs = [...documents].sort((a, b) => a.source.localeCompare(b.source));
  /** Every section naming an alert, in file order; one alert may have a section per severity. */
  const byAlert = new Map<string, { document: RunbookDocument; section: RunbookSection }[]>();
  const byTitle = new Map<string, { document: RunbookDocument; section: RunbookSection }>();
  for (const document of docs) {
    for (const section of document.runbooks) {
      for (const a of section.alerts) {
        const key = normalizeAlertName(a);
        const list = byAlert.get(key) ?? [];
        if (!list.some((h) => h.section === section)) byAlert.set(key, [...list, { document, section }]);
      }
      for (const t of [section.title, section.id]) {
        const key = normalizeAlertName(t);
        if (key && !byTitle.has(key)) byTitle.set(key, { document, section });
      }
    }
  }

  const fromUrl = (url: string, alertKey: string): Omit<MatchResult, 'by'> | null => {
    const name = fileKey(url);
    if (!name) return null;
    const document = docs.find((d) => fileKey(d.source) === name);
    if (!document?.runbooks.length) return null;
    const anchor = /#([^?]*)$/.exec(url)?.[1]?.toLowerCase();
    const section =
      (anchor && document.runbooks.find((s) => s.id === anchor)) ||
      document.runbooks.find((s) => s.alerts.some((a) => normalizeAlertName(a) === alertKey)) ||
      // Else a section written for no particular alert; a section of a multi-runbook file written for another
      // alert is never presented as this alert's runbook.
      // runbook_url is the alert author's own pointer: a one-runbook file is that alert's runbook.
      (document.runbooks.length === 1 ? document.runbooks[0] : null) ||
      document.runbooks.find((s) => !s.alerts.length && s.kind === 'procedure') ||
      null;
    return section ? { document, section } : null;
  };

  const allBySeverity = (severity: Severity | string): MatchResult[] => {
    const sev = normalizeSeverity(severity);
    if (!sev) return [];
    return docs.flatMap((document) =>
      document.runbooks
        .filter((s) => s.kind === 'severity' && s.severity === sev)
        .map((section) => ({ document, section, by: 'severity' as const })),
    );
  };

  return {
    documents: docs,
    warnings: [...warnings],
    match(alertname, labels = {}, annotations = {}) {
      const key = normalizeAlertName(alertname);
      const url = annotations.runbook_url ?? labels.runbook_url;
      const viaUrl = url ? fromUrl(url, key) : null;
      if (viaUrl) return { ...viaUrl, by: 'runbook_url' };
      const sevLabel = labels.severity ?? labels.priority ?? annotations.severity;
      const hits = key ? byAlert.get(key) : undefined;
      if (hits?.length) {
        // The section written for this alert's severity, when the runbook rates the alert more than once.
        // Across files the first file still wins (lint flags that as an error).
        const first = hits[0]!;
        const sev = sevLabel ? normalizeSeverity(sevLabel) : null;
        const hit = (sev && hits.find((h) => h.document === first.document && h.section.severity === sev)) || first;
        return { ...hit, by: 'alert' };
      }
      const titled = key ? byTitle.get(key) : undefined;
      if (titled) return { ...titled, by: 'title' };
      return sevLabel ? (allBySeverity(sevLabel)[0] ?? null) : null;
    },
    bySeverity: (severity) => allBySeverity(severity)[0] ?? null,
    allBySeverity,
    section(source, runbookId) {
      const document = docs.find((d) => d.source === source);
      const section = document?.runbooks.find((s) => s.id === runbookId);
      return document && section ? { document, section } : null;
    },
    command(source, commandId) {
      const document = docs.find((d) => d.source === source);
      for (const section of document?.runbooks ?? []) {
        const command = section.commands.find((c) => c.id === commandId);
        if (command) return { document: document!, section, command };
      }
      return null;
    },
  };
}

/** Alert names handled by more than one file: matching would silently pick the first, so lint flags them. */
export function duplicateAlertWarnings(documents: readonly RunbookDocument[]): LibraryWarning[] {
  const seen = new Map<string, { source: string; section: RunbookSection }>();
  const out: LibraryWarning[] = [];
  for (const doc of [...documents].sort((a, b) => a.source.localeCompare(b.source))) {
    for (const section of doc.runbooks) {
      for (const alert of section.alerts) {
        const key = normalizeAlertName(alert);
        const first = seen.get(key);
        if (!first) seen.set(key, { source: doc.source, section });
        else if (first.source !== doc.source) {
          out.push({
            source: doc.source,
            line: section.line,
            level: 'error',
            code: 'duplicate-alert',
            message: `Alert "${alert}" is also handled by ${first.source}:${first.section.line} ("${first.section.title}"); matching picks ${first.source}.`,
          });
        }
      }
    }
  }
  return out;
}
