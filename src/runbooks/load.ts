import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError } from '../errors.js';
import { createLibrary, duplicateAlertWarnings, type LibraryWarning, type RunbookLibrary } from './match.js';

export type { MatchResult, RunbookLibrary } from './match.js';

import { parseRunbook } from './parse.js';
import type { RunbookDocument } from './schema.js';

/** Largest runbook file read (bytes); bigger files become a read-error warning instead of being loaded. */
export const MAX_RUNBOOK_BYTES = 1024 * 1024;

/** File names the loader reads as runbooks. `.txt` is included because teams export runbooks from wikis as text. */
export const RUNBOOK_EXTENSIONS = ['.md', '.markdown', '.txt'] as const;

const isRunbookFile = (name: string) =>
  RUNBOOK_EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext)) && !/^readme\./i.test(name);

export interface LoadedRunbooks {
  documents: RunbookDocument[];
  /** Per-file problems (unreadable files) and cross-file ones (duplicate alert names). */
  warnings: LibraryWarning[];
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(path.join(dir, prefix), { withFileTypes: true });
  const out: string[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name.startsWith('.')) continue;
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else if (e.isFile() && isRunbookFile(e.name)) out.push(rel);
  }
  return out;
}

/** Reads and parses files; a file that cannot be read becomes a warning, never an exception. */
async function readAll(files: { file: string; source: string }[]): Promise<LoadedRunbooks> {
  const warnings: LibraryWarning[] = [];
  const results = await Promise.all(
    files.map(async ({ file, source }) => {
      try {
        // Bounded before it is held in memory: a runbook is a page, not a log dump.
        const size = (await stat(file)).size;
        if (size > MAX_RUNBOOK_BYTES)
          throw new Error(
            `the file is ${Math.ceil(size / 1024)} KiB; runbooks are read up to ${MAX_RUNBOOK_BYTES / 1024} KiB`,
          );
        return parseRunbook(await readFile(file, 'utf8'), source);
      } catch (err) {
        const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        warnings.push({
          source,
          line: 0,
          level: 'error',
          code: 'read-error',
          message: `Cannot read runbook: ${reason}`,
        });
        return null;
      }
    }),
  );
  const documents = results.filter((d): d is RunbookDocument => d !== null);
  return { documents, warnings: [...warnings, ...duplicateAlertWarnings(documents)] };
}

/**
 * Reads every runbook under `dir` (recursively; sources are paths relative to `dir`).
 * Throws NotFoundError only when `dir` itself is missing.
 */
export async function loadRunbooks(dir: string): Promise<RunbookLibrary> {
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) throw new NotFoundError(`Runbook directory not found: ${dir}`);
  const files = await listFiles(dir);
  const loaded = await readAll(files.map((f) => ({ file: path.join(dir, f), source: f })));
  return createLibrary(loaded.documents, loaded.warnings);
}

/**
 * Reads files and directories as given on a command line (for lint). Sources are the paths as given, so warnings
 * print as `path:line`. Missing paths become warnings.
 */
export async function loadRunbookPaths(paths: readonly string[]): Promise<LoadedRunbooks> {
  const files: { file: string; source: string }[] = [];
  const missing: LibraryWarning[] = [];
  for (const p of paths) {
    const info = await stat(p).catch(() => null);
    if (!info)
      missing.push({ source: p, line: 0, level: 'error', code: 'read-error', message: 'No such file or directory' });
    else if (info.isDirectory())
      for (const f of await listFiles(p)) files.push({ file: path.join(p, f), source: path.join(p, f) });
    else files.push({ file: p, source: p });
  }
  const loaded = await readAll(files);
  return { documents: loaded.documents, warnings: [...missing, ...loaded.warnings] };
}
