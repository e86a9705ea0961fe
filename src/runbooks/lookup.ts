import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { loadRunbooks, type RunbookLibrary } from './load.js';
import type { Command, RunbookDocument, RunbookSection, Severity } from './schema.js';

/** A runbook section chosen for an incident, with the document it came from. */
export interface RunbookMatch {
  document: RunbookDocument;
  section: RunbookSection;
}

/** What the incident service needs from the runbook library. */
export interface RunbookLookup {
  match(alertname: string, labels?: Record<string, string>, annotations?: Record<string, string>): RunbookMatch | null;
  bySeverity(severity: Severity): RunbookMatch | null;
  section(source: string, runbookId: string): RunbookMatch | null;
}

/** The loaded runbook library as the incident service and Slack handlers see it; reloadable. */
export interface RunbookSource extends RunbookLookup {
  documents(): RunbookDocument[];
  command(source: string, commandId: string): (RunbookMatch & { command: Command }) | null;
  reload(): Promise<void>;
}

/** The runbooks this package ships (runbooks/ next to src/ or dist/). */
export function shippedRunbooksDir(): string {
  return fileURLToPath(new URL('../../runbooks', import.meta.url));
}

/** RUNBOOKS_DIR, else ./runbooks when there is one, else the shipped runbooks: a bare `serve` always has some. */
export function runbooksDir(configured: string | undefined): string {
  if (configured) return configured;
  return existsSync('./runbooks') ? './runbooks' : shippedRunbooksDir();
}

export async function createRunbookLookup(configured: string | undefined, logger: Logger): Promise<RunbookSource> {
  const dir = runbooksDir(configured);
  let lib: RunbookLibrary = await loadRunbooks(dir);
  const report = () => {
    const warnings = lib.documents.reduce((n, d) => n + d.warnings.length, 0);
    const sections = lib.documents.reduce((n, d) => n + d.runbooks.length, 0);
    logger.info({ dir, documents: lib.documents.length, sections, warnings }, 'runbooks loaded');
    if (!lib.documents.length) logger.warn({ dir }, 'no runbooks found; incidents open without one (set RUNBOOKS_DIR)');
  };
  report();
  return {
    documents: () => lib.documents,
    match: (alertname, labels, annotations) => lib.match(alertname, labels, annotations),
    bySeverity: (severity: Severity) => lib.bySeverity(severity),
    section: (source, id) => lib.section(source, id),
    command: (source, commandId) => lib.command(source, commandId),
    async reload() {
      lib = await loadRunbooks(dir);
      report();
    },
  };
}
