import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { createDiagnostics, type DiagCommand } from '../diagnostics/run.js';
import { UserFacingError } from '../errors.js';
import { createLogger } from '../log.js';
import { classifyCommand } from '../runbooks/classify.js';

/** Exit codes: 0 allowed / ran, 1 refused or failed, 2 usage (bad arguments, missing values). */
const EXIT_REFUSED = 1;
const EXIT_USAGE = 2;

const collect = (value: string, previous: string[]) => [...previous, value];

function labels(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const at = item.indexOf('=');
    if (at <= 0) throw new UserFacingError(`--label expects key=value, got "${item}"`);
    out[item.slice(0, at)] = item.slice(at + 1);
  }
  return out;
}

/** The command as the runbook engine would classify it. */
function commandOf(text: string, lang: string | undefined): DiagCommand & { reason: string; runnable: boolean } {
  if (!text.trim()) throw new UserFacingError('COMMAND is empty: pass the runbook line in quotes.');
  const c = classifyCommand(text, { lang: lang ?? '' });
  return {
    text,
    executor: c.executor,
    risk: c.risk,
    query: c.query,
    placeholders: c.placeholders,
    runnable: c.runnable,
    reason: c.reason,
  };
}

/** Runs an action; user errors print one line on stderr and exit 2. */
function guarded<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      if (!(err instanceof UserFacingError)) throw err;
      process.stderr.write(`error: ${err.message}\n`);
      process.exitCode = EXIT_USAGE;
    }
  };
}

/** Diagnostics wired from the environment exactly as `serve` wires them (same targets, limits and guards). */
function diagnosticsFromEnv() {
  const config = loadConfig();
  return createDiagnostics({
    kubeconfig: config.KUBECONFIG,
    prometheusUrl: config.PROMETHEUS_URL,
    postgresTargets: config.DIAG_POSTGRES_URLS,
    allowSuperuser: config.DIAG_POSTGRES_ALLOW_SUPERUSER,
    redisTargets: config.DIAG_REDIS_URLS,
    timeoutMs: config.DIAG_TIMEOUT_MS,
    maxConcurrent: 1,
    maxPerIncident: 1,
    logger: createLogger(process.env.LOG_LEVEL ?? 'warn', false),
  });
}

export function registerDiagnosticsCommand(program: Command): void {
  const diagnostics = program
    .command('diagnostics')
    .description('Try a runbook command before an incident: what the bot would do with it, and its output.');

  diagnostics
    .command('check')
    .description(
      'Show the executor, the risk, and whether the bot would run COMMAND (and why not). No connection is made.\n' +
        'Exit status: 0 the bot runs it, 1 it does not, 2 usage error.',
    )
    .argument(
      '<COMMAND>',
      'the runbook line, quoted: "kubectl get pods -n <namespace>", "SELECT ...", "redis-cli INFO"',
    )
    .option('--lang <lang>', 'language of the fenced block it comes from (sql, bash, promql, redis)')
    .option('--json', 'print JSON')
    .action(
      guarded(async (text: string, opts: { lang?: string; json?: boolean }) => {
        const command = commandOf(text, opts.lang);
        const d = createDiagnostics({
          postgresTargets: {},
          redisTargets: {},
          timeoutMs: 1000,
          maxConcurrent: 1,
          maxPerIncident: 1,
          logger: createLogger('silent', false),
        });
        const verdict = command.runnable
          ? await d.precheck(command, {})
          : { allowed: false, reasons: [command.reason] };
        const out = {
          executor: command.executor,
          risk: command.risk,
          runs: verdict.allowed,
          reasons: verdict.reasons,
          what: command.reason,
          placeholders: command.placeholders ?? [],
          query: command.query,
        };
        if (opts.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        else {
          const lines = [
            `executor: ${out.executor}`,
            `risk:     ${out.risk}`,
            `runs:     ${out.runs ? 'yes' : 'no'}`,
            ...out.reasons.map((r) => `why not:  ${r}`),
            `what:     ${out.what}`,
          ];
          if (out.placeholders.length) lines.push(`values:   ${out.placeholders.join(' ')}`);
          process.stdout.write(`${lines.join('\n')}\n`);
        }
        process.exitCode = verdict.allowed ? 0 : EXIT_REFUSED;
      }),
    );

  diagnostics
    .command('run')
    .description(
      'Run a read diagnostic from the terminal through the same guards and limits as a Slack click\n' +
        '(targets from PROMETHEUS_URL, DIAG_POSTGRES_URLS, DIAG_REDIS_URLS, KUBECONFIG).\n' +
        'Exit status: 0 it ran, 1 refused or failed, 2 usage error (e.g. a placeholder without --label).',
    )
    .argument('<COMMAND>', 'the runbook line, quoted')
    .option('--label <key=value>', 'an alert label / placeholder value (repeatable)', collect, [])
    .option('--target <name>', 'diagnostic target name (from DIAG_POSTGRES_URLS / DIAG_REDIS_URLS)')
    .option('--lang <lang>', 'language of the fenced block it comes from (sql, bash, promql, redis)')
    .option('--json', 'print JSON')
    .action(
      guarded(async (text: string, opts: { label: string[]; target?: string; lang?: string; json?: boolean }) => {
        const command = commandOf(text, opts.lang);
        const values = labels(opts.label);
        const d = diagnosticsFromEnv();
        const missing = d.missing(command, values);
        if (missing.length)
          throw new UserFacingError(
            `COMMAND needs ${missing.map((p) => `<${p}>`).join(', ')}: pass ${missing.map((p) => `--label ${p}=VALUE`).join(' ')}`,
          );
        const r = await d.run({ command, values, incidentId: 0, target: opts.target });
        if (opts.json)
          process.stdout.write(
            `${JSON.stringify(
              {
                ok: r.ok,
                executor: r.executor,
                command: r.command,
                error: r.error,
                output: r.output,
                rows: r.rows,
                durationMs: r.durationMs,
              },
              null,
              2,
            )}\n`,
          );
        else if (r.ok) process.stdout.write(`${r.output}\n`);
        else process.stderr.write(`refused or failed: ${r.error}\n`);
        await d.close();
        process.exitCode = r.ok ? 0 : EXIT_REFUSED;
      }),
    );
}
