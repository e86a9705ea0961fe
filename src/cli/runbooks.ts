import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { UserFacingError } from '../errors.js';
import { auditTargets, runbookTargetUses } from '../escalation/audit.js';
import { loadRunbookPaths, loadRunbooks } from '../runbooks/load.js';
import { runbooksDir } from '../runbooks/lookup.js';
import type { LibraryWarning } from '../runbooks/match.js';
import { parseRunbook } from '../runbooks/parse.js';
import type { RunbookDocument } from '../runbooks/schema.js';

/** Exit codes: 1 = lint found errors, 2 = the command could not run (bad arguments, unreadable input). */
const EXIT_LINT = 1;
const EXIT_USAGE = 2;

const defaultDir = () => runbooksDir(process.env.RUNBOOKS_DIR || undefined);

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

/** Runs an action; user errors print one clear line on stderr instead of a stack trace. */
function run<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (err instanceof UserFacingError) process.stderr.write(`error: ${err.message}\n`);
      else if (e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'EISDIR') {
        process.stderr.write(
          `error: cannot read ${e.path ?? 'file'}: ${e.code === 'ENOENT' ? 'no such file' : e.code}\n`,
        );
      } else throw err;
      process.exitCode = EXIT_USAGE;
    }
  };
}

function keyValues(list: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const at = item.indexOf('=');
    if (at <= 0) throw new UserFacingError(`${flag} expects key=value, got "${item}"`);
    out[item.slice(0, at)] = item.slice(at + 1);
  }
  return out;
}

const collect = (value: string, previous: string[]) => [...previous, value];

const timerText = (t: RunbookDocument['timers'][number]) =>
  `${t.kind} after ${t.afterMinutes} min${t.severity ? ` (${t.severity})` : ''}${t.target ? ` → ${t.target}` : ''}${t.condition ? ` if ${t.condition}` : ''}  line ${t.line}`;

const commandText = (c: RunbookDocument['commands'][number]) => {
  const text = c.text.replace(/\s*\n\s*/g, ' ');
  const short = text.length > 90 ? `${text.slice(0, 89)}…` : text;
  const runs = c.runnable ? (c.risk === 'read' ? 'runs' : 'runs after approval') : 'not run';
  return `line ${c.line}  [${c.executor}/${c.risk}, ${runs}]  ${short}${c.runnable ? '' : `\n            ${c.reason}`}`;
};

/** Human-readable `runbooks inspect`: each section with its alerts, severity, timers and commands. */
function describe(doc: RunbookDocument): string {
  const lines = [`${doc.source}: ${doc.title}`];
  for (const r of doc.runbooks) {
    const alerts = r.alerts.length ? r.alerts.join(', ') : '(no alert names)';
    const sev = r.severity
      ? `${r.severityText && r.severityText !== r.severity ? `${r.severityText} → ` : ''}${r.severity}`
      : '--';
    lines.push(`  ${r.id}  [${sev}] ${r.title}  line ${r.line}  (${r.kind})`);
    lines.push(`      alerts: ${alerts}`);
    if (r.condition) lines.push(`      fires when: ${r.condition}`);
    if (r.summary) lines.push(`      summary: ${r.summary.length > 100 ? `${r.summary.slice(0, 99)}…` : r.summary}`);
    lines.push(
      `      ${r.steps.length} steps, ${r.commands.length} commands (${r.commands.filter((c) => c.runnable && c.risk === 'read').length} runnable reads), ${r.timers.length} timers`,
    );
    for (const t of r.timers) lines.push(`      timer: ${timerText(t)}`);
    for (const c of r.commands) lines.push(`      command: ${commandText(c)}`);
  }
  for (const t of doc.timers) lines.push(`  document timer: ${timerText(t)}`);
  if (doc.commands.length) {
    lines.push(`  commands outside sections: ${doc.commands.length}`);
    for (const c of doc.commands) lines.push(`      command: ${commandText(c)}`);
  }
  const t = doc.templates;
  if (t.communication || t.postIncident) {
    lines.push(
      `  templates: ${[t.communication && `communication (line ${t.communication.line})`, t.postIncident && `post-incident (line ${t.postIncident.line})`].filter(Boolean).join(', ')}`,
    );
  }
  for (const w of doc.warnings) lines.push(`  ${w.level}: line ${w.line}: ${w.message}`);
  return lines.join('\n');
}

/**
 * The document as `runbooks inspect --json` prints it: each section's `severity` is the runbook's own word
 * (`Critical`, `MEDIUM`, `page`, `P2`) and `priority` the P1..P4 the bot maps it to.
 */
export function inspectJson(doc: RunbookDocument): unknown {
  return {
    ...doc,
    runbooks: doc.runbooks.map((r) => ({ ...r, severity: r.severityText ?? r.severity, priority: r.severity })),
  };
}

function formatWarning(w: LibraryWarning): string {
  return `${w.source}${w.line ? `:${w.line}` : ''}: ${w.level}: ${w.message} [${w.code}]`;
}

export function registerRunbooksCommand(program: Command): void {
  const runbooks = program
    .command('runbooks')
    .description(
      'Read, match and lint Markdown runbooks (the bot reads them as written; see docs/runbook-authoring.md)',
    );

  runbooks
    .command('inspect')
    .description('Parse one runbook and show what the bot reads from it: sections, alerts, timers, commands, templates')
    .argument('<file>', 'Markdown (or text) runbook file')
    .option('--json', 'print the parsed document as JSON')
    .addHelpText(
      'after',
      `
JSON shape: { source, title, runbooks: [{ id, title, alerts, severity, priority, line, timers, commands, steps, summary }],
              timers, commands, templates: { communication, postIncident }, warnings: [{ line, message }] }
(severity: the runbook's own word; priority: the P1..P4 the bot maps it to)

Examples:
  $ incident-bot runbooks inspect runbooks/postgres-down.md
  $ incident-bot runbooks inspect ../wiki/oncall.md --json | jq '.runbooks[].alerts'`,
    )
    .action(
      run(async (file: string, opts: { json?: boolean }) => {
        const doc = parseRunbook(await readFile(file, 'utf8'), path.basename(file));
        if (opts.json) print(inspectJson(doc));
        else process.stdout.write(`${describe(doc)}\n`);
      }),
    );

  runbooks
    .command('match')
    .description('Show which runbook section the bot would attach to an alert')
    .argument('<alertname>', 'alert name as the alert source sends it; case and separators are ignored')
    .option(
      '-l, --label <key=value>',
      'alert label, repeatable (severity=critical enables the P1..P4 fallback)',
      collect,
      [],
    )
    .option('-a, --annotation <key=value>', 'alert annotation, repeatable (runbook_url=… picks the file)', collect, [])
    .option('-d, --dir <dir>', 'runbook directory (default: $RUNBOOKS_DIR or ./runbooks)')
    .option('--json', 'print { alert, match } as JSON')
    .addHelpText(
      'after',
      `
Order: runbook_url annotation naming a loaded file, then alert names in the runbooks, then a section titled
like the alert, then a severity procedure (P1..P4) for the alert's severity label.

Examples:
  $ incident-bot runbooks match high_api_error_rate --json
  $ incident-bot runbooks match SomethingNew --label severity=critical --dir ./runbooks`,
    )
    .action(
      run(async (alertname: string, opts: { label: string[]; annotation: string[]; dir?: string; json?: boolean }) => {
        const labels = keyValues(opts.label, '--label');
        const annotations = keyValues(opts.annotation, '--annotation');
        const lib = await loadRunbooks(opts.dir ?? defaultDir());
        const m = lib.match(alertname, labels, annotations);
        const match = m
          ? {
              source: m.document.source,
              runbookId: m.section.id,
              title: m.section.title,
              alerts: m.section.alerts,
              severity: m.section.severity,
              by: m.by,
              line: m.section.line,
            }
          : null;
        if (opts.json) print({ alert: alertname, match });
        else if (match)
          process.stdout.write(`${alertname} → ${match.source}#${match.runbookId} "${match.title}" (by ${match.by})\n`);
        else process.stdout.write(`${alertname} → no runbook\n`);
      }),
    );

  runbooks
    .command('lint')
    .description('Check runbooks and print problems as file:line; exits 1 when there are errors')
    .argument('[paths...]', 'files or directories (default: $RUNBOOKS_DIR or ./runbooks)')
    .option('--json', 'print warnings as JSON')
    .addHelpText(
      'after',
      `
Reports sections without alert names, timers it could not read, commands with no known executor, repaired
mojibake, bad front matter, escalation targets no ESCALATION_TARGETS entry maps (they would reach nobody)
and alert names handled by more than one file. Errors (exit 1): bad front matter,
duplicate alert names, unreadable files. Everything else is a warning.`,
    )
    .action(
      run(async (paths: string[], opts: { json?: boolean }) => {
        const targets = paths.length ? paths : [defaultDir()];
        const loaded = await loadRunbookPaths(targets);
        const warnings: LibraryWarning[] = [
          ...loaded.documents.flatMap((d) => d.warnings.map((w) => ({ ...w, source: d.source }))),
          ...loaded.warnings,
          ...unmappedTargets(loaded.documents),
        ].sort((a, b) => a.source.localeCompare(b.source) || a.line - b.line);
        const errors = warnings.filter((w) => w.level === 'error').length;
        if (opts.json) print({ files: loaded.documents.length, errors, warnings });
        else {
          for (const w of warnings) process.stdout.write(`${formatWarning(w)}\n`);
          const n = warnings.length - errors;
          process.stdout.write(`${loaded.documents.length} file(s): ${errors} error(s), ${n} warning(s)\n`);
        }
        if (errors) process.exitCode = EXIT_LINT;
      }),
    );
}

/**
 * Runbook escalation targets that ESCALATION_TARGETS (from the environment, else its default) does not
 * map: at run time they would reach nobody (issue #18). Offline: whether the groups exist and have members
 * is checked by the bot at start-up.
 */
export function unmappedTargets(
  documents: RunbookDocument[],
  targets: Record<string, string> = configuredTargets(),
): LibraryWarning[] {
  return auditTargets({
    escalationTargets: targets,
    oncallGroups: {},
    defaultOncallGroup: '',
    rolesGroups: [],
    runbookTargets: runbookTargetUses(documents),
    groups: null,
  })
    .filter((p) => p.problem === 'unmapped' && p.source)
    .map((p) => ({
      source: p.source!,
      line: p.line ?? 1,
      level: 'warning' as const,
      code: 'unmapped-target',
      message: p.message,
    }));
}

/** ESCALATION_TARGETS from the environment, else its configured default (a bad value falls back to the default). */
function configuredTargets(): Record<string, string> {
  try {
    return loadConfig(process.env).ESCALATION_TARGETS;
  } catch {
    return loadConfig({}).ESCALATION_TARGETS;
  }
}
