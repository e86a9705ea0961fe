import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { AxiosError } from 'axios';
import { UserFacingError, ValidationError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { sha256, truncate } from './format.js';
import { assertSqlAllowed, type PgCatalog } from './guards/sql.js';
import { createLimiter } from './limits.js';
import { parseCommandLine } from './parse-command.js';
import { canonical, fill, findPlaceholders, lookup, validateValue, valuesFromLabels } from './placeholders.js';
import { extractSql, type PgConnect, runPostgres } from './postgres.js';
import { extractPromQL, extractPromRequest, resolveRange, runPrometheus } from './prometheus.js';
import { checkRedisCommand, extractRedis, runRedis } from './redis.js';
import { pickTarget } from './targets.js';
import {
  BusyError,
  type DiagCommand,
  type DiagnosticResult,
  RefusedError,
  type ResolvedCommand,
  type WritePlan,
} from './types.js';

export type { DiagCommand, DiagnosticResult, ResolvedCommand, WritePlan } from './types.js';
export { BusyError, RefusedError } from './types.js';

export interface DiagnosticsOptions {
  /** Kubeconfig path; else in-cluster; else ~/.kube/config; absent -> "Kubernetes is not configured". */
  kubeconfig?: string;
  /**
   * Fall back to in-cluster credentials and ~/.kube/config when `kubeconfig` is unset (default true). Local mode
   * passes false: a developer trying the bot must not have it reach their real cluster unless they set KUBECONFIG.
   */
  implicitKubeconfig?: boolean;
  /** A ready KubeConfig (tests). */
  kubeClient?: KubeConfig;
  prometheusUrl?: string;
  postgresTargets: Record<string, string>;
  redisTargets: Record<string, string>;
  timeoutMs: number;
  maxConcurrent: number;
  maxPerIncident: number;
  /** Preview size for Slack; capped at 2900. */
  maxOutputChars?: number;
  logger: Logger;
  metrics?: Metrics;
  /** Rows fetched from PostgreSQL at most (default 50). */
  rowCap?: number;
  /** How long a click waits for a free slot before "busy" (default 2000 ms). */
  queueMs?: number;
  /** Clock (tests). */
  now?: () => Date;
  /** PostgreSQL connector (tests use PGlite). */
  pgConnect?: PgConnect;
  /** Adds a 1h sparkline column to small Prometheus results (default true). */
  promTrend?: boolean;
  /** Bytes a PostgreSQL result may hold (cells cut server-side to fit; default 256 KiB). */
  maxResultBytes?: number;
  /** Run PostgreSQL diagnostics even when the target role is a superuser (default false). */
  allowSuperuser?: boolean;
}

export interface RunRequest {
  command: DiagCommand;
  values: Record<string, string>;
  incidentId: number;
  /** Diagnostic target name for postgres/redis, when the user picked one. */
  target?: string;
}

export interface Diagnostics {
  /** Placeholders the command needs that `values` does not give (asked in a modal), as written in the runbook. */
  missing(command: DiagCommand, values: Record<string, string>): string[];
  /** Values from alert labels (with aliases). */
  valuesFromLabels(labels: Record<string, string>): Record<string, string>;
  /** The command with placeholders filled, validated; throws ValidationError naming the placeholder. */
  resolve(command: DiagCommand, values: Record<string, string>): ResolvedCommand;
  /** Runs a read; never throws for executor failures: ok:false with a user-facing error. */
  run(req: RunRequest): Promise<DiagnosticResult>;
  /**
   * The executor's own checks without any I/O (for `incident-bot diagnostics check`): placeholders missing from
   * `values` are filled with a sample value; PostgreSQL functions are judged on PostgreSQL 15's built-in
   * volatility (the target's pg_proc decides when it runs). Never throws.
   */
  precheck(command: DiagCommand, values: Record<string, string>): Promise<{ allowed: boolean; reasons: string[] }>;
  /** Describes a supported write from the live object; throws UserFacingError when unsupported (show as copyable text). */
  planWrite(req: RunRequest): Promise<WritePlan>;
  /** Applies a confirmed plan; never throws for executor failures. */
  applyWrite(plan: WritePlan): Promise<DiagnosticResult>;
  close(): Promise<void>;
}

const PREVIEW_MAX = 2900;
const OUTPUT_MAX = 1_000_000;
const SQL_START =
  /^\s*(select|with|explain|show|values|table|insert|update|delete|merge|truncate|drop|alter|create|grant|revoke|copy|call|do|set|begin|vacuum|analyze|lock)\b/i;
const PROM_TOOL = /^\s*(curl|wget)\b/;

class TimeoutError extends UserFacingError {
  constructor(what: string, ms: number) {
    super(`Timed out after ${formatSeconds(ms)}: ${what} did not answer in time.`, 'timeout');
  }
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

// The Kubernetes client is large; load it on first use so processes and tests that never touch it stay fast.
type KubeModules = typeof import('./kubernetes.js') & typeof import('./write-actions.js');
let kubeModules: KubeModules | undefined;
async function kubeMods(): Promise<KubeModules> {
  kubeModules ??= { ...(await import('./kubernetes.js')), ...(await import('./write-actions.js')) };
  return kubeModules;
}

/** Loads Kubernetes credentials the way kubectl does; null when none exist. */
export async function loadKubeConfig(path?: string, implicit = true): Promise<KubeConfig | null> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  if (path) {
    kc.loadFromFile(path);
    return kc;
  }
  if (!implicit) return null;
  if (process.env.KUBERNETES_SERVICE_HOST) {
    kc.loadFromCluster();
    return kc;
  }
  const home = join(homedir(), '.kube', 'config');
  if (existsSync(home)) {
    kc.loadFromFile(home);
    return kc;
  }
  return null;
}

export function createDiagnostics(opts: DiagnosticsOptions): Diagnostics {
  const log = opts.logger.child({ component: 'diagnostics' });
  const now = opts.now ?? (() => new Date());
  const limiter = createLimiter({
    maxConcurrent: opts.maxConcurrent,
    maxPerIncident: opts.maxPerIncident,
    queueMs: opts.queueMs ?? 2000,
  });
  const pgCatalogs = new Map<string, { at: number; catalog: PgCatalog }>();
  const previewMax = Math.min(opts.maxOutputChars ?? PREVIEW_MAX, PREVIEW_MAX);
  let kc: KubeConfig | null | undefined = opts.kubeClient;
  let kubeLoadError: string | null = null;
  const kube = async (): Promise<KubeConfig> => {
    if (kc === undefined) {
      try {
        kc = await loadKubeConfig(opts.kubeconfig, opts.implicitKubeconfig ?? true);
      } catch (e) {
        kc = null;
        kubeLoadError = (e as Error).message;
        log.warn({ err: e }, 'kubeconfig could not be loaded');
      }
    }
    if (!kc)
      throw new RefusedError(
        `Kubernetes is not configured${kubeLoadError ? ` (kubeconfig: ${kubeLoadError})` : ''}: run the bot in-cluster or set KUBECONFIG.`,
      );
    return kc;
  };

  /** Placeholders in the text and the query, plus any the runbook engine listed, by name as written. */
  function placeholdersOf(c: DiagCommand): { all: string[]; connection: Set<string> } {
    const inText = findPlaceholders(c.text);
    const inQuery = c.query ? findPlaceholders(c.query) : [];
    const listed = (c.placeholders ?? []).map((p) => p.replace(/^[<$]\{?|[>}]$/g, ''));
    const all: string[] = [];
    for (const p of [...inText, ...inQuery, ...listed])
      if (!all.some((a) => canonical(a) === canonical(p))) all.push(p);
    // For SQL/Redis, placeholders outside the query only say where to connect (psql -h <db-host>, $DATABASE_URL);
    // the target comes from config, so they are only needed to choose between several targets.
    const connection = new Set<string>();
    if (c.executor === 'postgres' || c.executor === 'redis') {
      const queryPart = c.query ?? queryTextOf(c);
      const inQ = findPlaceholders(queryPart ?? '').map(canonical);
      for (const p of all) if (!inQ.includes(canonical(p))) connection.add(p);
    }
    return { all, connection };
  }

  function queryTextOf(c: DiagCommand): string | null {
    try {
      if (c.executor === 'postgres') {
        if (SQL_START.test(stripComments(c.text))) return c.text;
        return extractSql(parseCommandLine(c.text).argv, null).sql;
      }
      if (c.executor === 'redis') return extractRedis(parseCommandLine(c.text).argv, null).words.join(' ');
    } catch {
      return null;
    }
    return null;
  }

  function targetsFor(c: DiagCommand): Record<string, string> {
    return c.executor === 'postgres' ? opts.postgresTargets : opts.redisTargets;
  }

  function missing(command: DiagCommand, given: Record<string, string>): string[] {
    const values = { ...valuesFromLabels(given), ...given };
    const { all, connection } = placeholdersOf(command);
    const manyTargets = Object.keys(targetsFor(command)).length > 1;
    return all.filter((p) => lookup(values, p) === undefined && (!connection.has(p) || manyTargets));
  }

  function resolve(command: DiagCommand, given: Record<string, string>): ResolvedCommand {
    // Raw alert labels work too: aliases are added under the values the caller gave.
    const values = { ...valuesFromLabels(given), ...given };
    const { all, connection } = placeholdersOf(command);
    const filled: Record<string, string> = {};
    for (const p of all) {
      const v = lookup(values, p);
      if (v === undefined) {
        if (connection.has(p)) continue;
        throw new ValidationError(`<${p}> needs a value.`, p);
      }
      filled[p] = validateValue(p, v);
    }
    const f = (s: string) => fill(s, filled);
    const text = stripComments(command.text);
    const display = f(text);
    const query = command.query ? f(command.query) : null;
    const range = command.range
      ? {
          start: command.range.start === null ? null : f(command.range.start),
          end: command.range.end === null ? null : f(command.range.end),
          step: command.range.step === null ? null : f(command.range.step),
        }
      : null;
    const bare =
      (command.executor === 'postgres' && SQL_START.test(text)) ||
      (command.executor === 'prometheus' && !PROM_TOOL.test(text));
    if (bare) {
      return {
        executor: command.executor,
        risk: command.risk,
        display,
        argv: [],
        query: query ?? display,
        range,
        dropped: null,
        values: filled,
        template: { argv: [], query: command.query ?? text },
      };
    }
    const parsed = parseCommandLine(text);
    return {
      executor: command.executor,
      risk: command.risk,
      display,
      argv: parsed.argv.map(f),
      query,
      range,
      dropped: parsed.dropped ? f(parsed.dropped) : null,
      values: filled,
      template: { argv: parsed.argv, query: command.query ?? null },
    };
  }

  function result(
    executor: string,
    command: string,
    started: number,
    output: string,
    extra: Partial<DiagnosticResult> = {},
  ): DiagnosticResult {
    const full =
      output.length > OUTPUT_MAX ? `${output.slice(0, OUTPUT_MAX)}\n… output cut at ${OUTPUT_MAX} characters` : output;
    const { preview, truncated } = truncate(full, previewMax);
    return {
      ok: true,
      executor,
      command,
      output: full,
      preview,
      truncated,
      outputSha256: sha256(full),
      durationMs: Date.now() - started,
      error: null,
      ...extra,
    };
  }

  function failure(executor: string, command: string, started: number, error: string): DiagnosticResult {
    return { ...result(executor, command, started, ''), ok: false, error };
  }

  async function withTimeout<T>(what: string, p: Promise<T>, ms = opts.timeoutMs): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        p,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new TimeoutError(what, opts.timeoutMs)), ms);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function execute(r: ResolvedCommand, target: string | undefined): Promise<{ output: string; rows?: number }> {
    switch (r.executor) {
      case 'kubernetes': {
        const m = await kubeMods();
        const read = m.parseKubectlRead(r.argv);
        const k = await kube();
        return withTimeout(
          'the Kubernetes API',
          m.runKubeRead(read, { kc: k, now: now(), defaultNamespace: m.defaultNamespaceOf(k) }),
        );
      }
      case 'prometheus': {
        if (!opts.prometheusUrl) throw new RefusedError('Prometheus is not configured (set PROMETHEUS_URL).');
        const read = r.argv.length
          ? extractPromRequest(r.argv, r.query, r.display)
          : { query: extractPromQL([], r.query, r.display), range: null };
        // The runbook's query_range window (Command.range) when the command carries one.
        const { query } = read;
        const range = r.range ?? read.range;
        return withTimeout(
          'Prometheus',
          runPrometheus({
            baseUrl: opts.prometheusUrl,
            query,
            range,
            timeoutMs: opts.timeoutMs,
            now: now(),
            trend: opts.promTrend,
          }),
          opts.timeoutMs + 500,
        );
      }
      case 'postgres': {
        // The SQL as written (placeholders unfilled): values are bound as parameters, never spliced.
        const tpl = r.template ?? { argv: r.argv, query: r.query ?? r.display };
        const { host } = r.argv.length ? extractSql(r.argv, r.query) : { host: undefined };
        const { sql } = tpl.argv.length ? extractSql(tpl.argv, tpl.query) : { sql: tpl.query ?? r.display };
        assertSqlAllowed(sql); // refuse for the real reason before any complaint about targets
        const t = pickTarget(opts.postgresTargets, {
          explicit: target,
          host,
          kind: 'PostgreSQL',
          envVar: 'DIAG_POSTGRES_URLS',
        });
        try {
          return await withTimeout(
            `PostgreSQL target "${t.name}"`,
            runPostgres({
              url: t.url,
              sql,
              values: r.values,
              timeoutMs: opts.timeoutMs,
              rowCap: opts.rowCap ?? 50,
              maxResultBytes: opts.maxResultBytes,
              allowSuperuser: opts.allowSuperuser,
              catalogs: pgCatalogs,
              connect: opts.pgConnect,
            }),
            opts.timeoutMs + 1500,
          );
        } catch (e) {
          throw pgError(e, t.name, opts.timeoutMs);
        }
      }
      case 'redis': {
        const { words, host } = extractRedis(r.argv, r.query);
        checkRedisCommand(words);
        const t = pickTarget(opts.redisTargets, { explicit: target, host, kind: 'Redis', envVar: 'DIAG_REDIS_URLS' });
        try {
          return await withTimeout(
            `Redis target "${t.name}"`,
            runRedis({ url: t.url, words, timeoutMs: opts.timeoutMs }),
            opts.timeoutMs + 1000,
          );
        } catch (e) {
          throw redisError(e, t.name);
        }
      }
      default:
        throw new RefusedError(
          `The bot has no executor for ${r.executor} commands; copy the command and run it yourself.`,
        );
    }
  }

  /** A sentence for the thread; unexpected errors are logged and reported generically. */
  function describeError(
    e: unknown,
    executor: string,
    ctx: { incidentId: number; commandId?: string },
  ): { message: string; outcome: string } {
    if (e instanceof BusyError) return { message: e.message, outcome: 'busy' };
    if (e instanceof TimeoutError) return { message: e.message, outcome: 'timeout' };
    if (e instanceof UserFacingError) return { message: e.message, outcome: 'refused' };
    const kube = executor === 'kubernetes' && kubeModules ? kubeModules.kubeErrorMessage(e) : null;
    if (kube) return { message: kube, outcome: 'error' };
    if (e instanceof AxiosError) {
      if (e.code === 'ECONNABORTED' || e.code === 'ETIMEDOUT')
        return {
          message: `Timed out after ${formatSeconds(opts.timeoutMs)}: Prometheus did not answer in time.`,
          outcome: 'timeout',
        };
      return { message: `Prometheus unreachable (${e.code ?? e.message}).`, outcome: 'error' };
    }
    log.error({ err: e, executor, ...ctx }, 'diagnostic failed unexpectedly');
    return {
      message: `The ${executor} diagnostic failed unexpectedly (details are in the bot's log).`,
      outcome: 'error',
    };
  }

  async function run(req: RunRequest): Promise<DiagnosticResult> {
    const started = Date.now();
    const executor = req.command.executor;
    let display = req.command.text;
    const finish = (res: DiagnosticResult, outcome: string) => {
      opts.metrics?.diagnosticsRun.inc({ executor, outcome });
      log.info(
        {
          incidentId: req.incidentId,
          commandId: req.command.id,
          executor,
          ok: res.ok,
          outcome,
          durationMs: res.durationMs,
          outputSha256: res.outputSha256,
        },
        'diagnostic run',
      );
      return res;
    };
    let release: (() => void) | undefined;
    try {
      if (req.command.risk !== 'read')
        throw new RefusedError(
          req.command.risk === 'write'
            ? 'This command changes the system; it runs only after an operator confirms it.'
            : `This command is classified ${req.command.risk} and is never run from Slack.`,
        );
      const r = resolve(req.command, req.values);
      display = r.display;
      release = await limiter.acquire(req.incidentId);
      const out = await execute(r, req.target);
      const note = r.dropped ? `\n(not run: ${r.dropped})` : '';
      return finish(result(executor, display, started, out.output + note, { rows: out.rows }), 'ok');
    } catch (e) {
      const { message, outcome } = describeError(e, executor, {
        incidentId: req.incidentId,
        commandId: req.command.id,
      });
      return finish(failure(executor, display, started, message), outcome);
    } finally {
      release?.();
    }
  }

  async function precheck(
    command: DiagCommand,
    given: Record<string, string>,
  ): Promise<{ allowed: boolean; reasons: string[] }> {
    try {
      if (command.risk !== 'read')
        throw new RefusedError(
          command.risk === 'write' && command.executor === 'kubernetes'
            ? 'This command changes the system; from Slack it runs only after an operator confirms it.'
            : `This command is classified ${command.risk} and is never run by the bot.`,
        );
      const values = { ...given };
      for (const p of missing(command, given)) values[p] = 'example';
      const r = resolve(command, values);
      switch (r.executor) {
        case 'kubernetes':
          (await kubeMods()).parseKubectlRead(r.argv);
          break;
        case 'prometheus': {
          const range = r.range ?? (r.argv.length ? extractPromRequest(r.argv, r.query, r.display).range : null);
          if (range) resolveRange(range, now());
          break;
        }
        case 'postgres': {
          const tpl = r.template ?? { argv: r.argv, query: r.query ?? r.display };
          const { sql } = tpl.argv.length ? extractSql(tpl.argv, tpl.query) : { sql: tpl.query ?? r.display };
          assertSqlAllowed(sql);
          break;
        }
        case 'redis':
          checkRedisCommand(extractRedis(r.argv, r.query).words);
          break;
        default:
          throw new RefusedError(
            `The bot has no executor for ${r.executor} commands; copy the command and run it yourself.`,
          );
      }
      return { allowed: true, reasons: [] };
    } catch (e) {
      if (e instanceof UserFacingError) return { allowed: false, reasons: [e.message] };
      return { allowed: false, reasons: [(e as Error).message] };
    }
  }

  async function planWrite(req: RunRequest): Promise<WritePlan> {
    if (req.command.risk === 'exec' || req.command.risk === 'destructive')
      throw new RefusedError(`This command is classified ${req.command.risk} and is never run from Slack.`);
    if (req.command.executor !== 'kubernetes')
      throw new UserFacingError(
        'The bot only performs Kubernetes write actions; copy the command and run it yourself.',
        'unsupported_write',
      );
    const r = resolve(req.command, req.values);
    if (r.dropped) throw new RefusedError(`A write with a pipe (${r.dropped}) is not run; copy the command instead.`);
    const m = await kubeMods();
    const w = m.parseKubectlWrite(r.argv);
    const k = await kube();
    try {
      return await withTimeout(
        'the Kubernetes API',
        m.planKubeWrite(w, k, w.namespace ?? m.defaultNamespaceOf(k), r.display, req.incidentId),
      );
    } catch (e) {
      if (e instanceof UserFacingError) throw e;
      const ctx = { incidentId: req.incidentId, commandId: req.command.id };
      throw new UserFacingError(describeError(e, 'kubernetes', ctx).message, 'write_plan_failed');
    }
  }

  async function applyWrite(plan: WritePlan): Promise<DiagnosticResult> {
    const started = Date.now();
    let release: (() => void) | undefined;
    let outcome = 'ok';
    let res: DiagnosticResult;
    try {
      release = await limiter.acquire(plan.incidentId);
      const m = await kubeMods();
      const out = await withTimeout('the Kubernetes API', m.applyKubeWrite(plan, await kube(), now()));
      res = result('kubernetes', plan.command, started, out);
    } catch (e) {
      const d = describeError(e, 'kubernetes', { incidentId: plan.incidentId });
      outcome = d.outcome;
      const conflict = (e as { code?: number })?.code === 409;
      res = failure(
        'kubernetes',
        plan.command,
        started,
        conflict
          ? `deployment/${plan.name} was changed by someone else at the same moment; run the step again.`
          : d.message,
      );
    } finally {
      release?.();
    }
    opts.metrics?.diagnosticsRun.inc({ executor: 'kubernetes-write', outcome });
    log.info(
      { incidentId: plan.incidentId, kind: plan.kind, resource: `${plan.namespace}/${plan.resource}`, ok: res.ok },
      'write action',
    );
    return res;
  }

  return {
    missing,
    valuesFromLabels,
    resolve,
    run,
    precheck,
    planWrite,
    applyWrite,
    close: async () => {},
  };
}

function stripComments(text: string): string {
  return text
    .split('\n')
    .filter((l) => !/^\s*(#|--)/.test(l))
    .join('\n')
    .trim();
}

function pgError(e: unknown, target: string, timeoutMs: number): unknown {
  if (e instanceof UserFacingError) return e;
  const err = e as { code?: string; message?: string };
  if (err.code === '57014') return new TimeoutError(`PostgreSQL target "${target}" (statement_timeout)`, timeoutMs);
  if (err.code === '25006')
    return new RefusedError(`PostgreSQL refused it in the read-only transaction: ${err.message}`);
  if (err.code && /^(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|ECONNRESET|EHOSTUNREACH)$/.test(err.code))
    return new UserFacingError(`PostgreSQL target "${target}" is unreachable (${err.code}).`, 'unreachable');
  if (/timeout|terminated/i.test(err.message ?? ''))
    return new UserFacingError(`PostgreSQL target "${target}": ${err.message}`, 'unreachable');
  if (err.code && /^[0-9A-Z]{5}$/.test(err.code))
    return new UserFacingError(`PostgreSQL error on "${target}": ${err.message}`, 'db_error');
  return e;
}

function redisError(e: unknown, target: string): unknown {
  if (e instanceof UserFacingError) return e;
  const msg = (e as Error)?.message ?? String(e);
  const code = (e as { code?: string })?.code;
  if (code && /^(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|ECONNRESET|EHOSTUNREACH)$/.test(code))
    return new UserFacingError(`Redis target "${target}" is unreachable (${code}).`, 'unreachable');
  if (/timed? ?out/i.test(msg))
    return new UserFacingError(`Redis target "${target}" did not answer in time.`, 'timeout');
  return new UserFacingError(`Redis error on "${target}": ${msg.replace(/redis:\/\/\S+/g, '(url)')}`, 'redis_error');
}
