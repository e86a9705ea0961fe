import { UTCDate } from '@date-fns/utc';
import axios, { type AxiosInstance } from 'axios';
import { format } from 'date-fns';
import { DATA_FLAGS, type PromRange, readPromApiCall } from '../runbooks/commands/prometheus-api.js';
import { minutesPhrase } from '../time-phrases.js';
import { sparkline, table } from './format.js';
import { RefusedError } from './types.js';

const MAX_SERIES = 50;

/** start/end/step of a `query_range` call as written in the runbook (strings; any may be missing). */
export type RangeSpec = { [K in keyof PromRange]?: PromRange[K] | undefined };

/**
 * PromQL and, for `query_range` calls, the range asked for, read with the runbooks' own grammar of Prometheus API
 * calls (runbooks/commands/prometheus-api.ts): from `curl http://prometheus:9090/…/query_range?query=...&start=..`,
 * `--data-urlencode` pairs, or bare PromQL (instant). `query` (the classifier's reading, placeholders filled) wins
 * over the URL's. Throws RefusedError when no query is found.
 */
export function extractPromRequest(
  argv: string[],
  query: string | null,
  text: string,
): { query: string; range: RangeSpec | null } {
  const tool = argv[0] ?? '';
  if (/^(curl|wget|http|https)$/.test(tool)) {
    const url = argv.find((a) => /\/api\/v1\//.test(a)) ?? argv.find((a) => /^https?:\/\//.test(a)) ?? '';
    const data = argv.flatMap((w, i) => (DATA_FLAGS.test(argv[i - 1] ?? '') ? [{ flag: argv[i - 1]!, value: w }] : []));
    const call = readPromApiCall(url, data);
    const q = query?.trim() || call?.query;
    if (!q) throw new RefusedError('No Prometheus query (query=...) found in this command.');
    return { query: q, range: call?.range ?? null };
  }
  return { query: extractPromQL(argv, query, text), range: null };
}

/** PromQL from a runbook line: `curl ...api/v1/query?query=...`, `--data-urlencode 'query=...'`, or bare PromQL. */
export function extractPromQL(argv: string[], query: string | null, text: string): string {
  if (query) return query.trim();
  const tool = argv[0] ?? '';
  if (/^(curl|wget|http|https)$/.test(tool)) return extractPromRequest(argv, null, text).query;
  return text
    .split('\n')
    .filter((l) => !l.trim().startsWith('#'))
    .join('\n')
    .trim();
}

type Labels = Record<string, string>;
interface PromResponse {
  status: 'success' | 'error';
  data?: {
    resultType: 'vector' | 'matrix' | 'scalar' | 'string';
    result: unknown;
  };
  errorType?: string;
  error?: string;
}

/** Longest range a diagnostic reads, seconds (7 days). */
export const MAX_RANGE_SEC = 7 * 24 * 3600;
/** Most points per series a range query may return. */
export const MAX_POINTS = 1000;
/** Bytes of Prometheus response read at most; larger answers are refused, not buffered. */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
/** Characters of rendered output kept. */
export const PROM_OUTPUT_MAX = 64 * 1024;

const UNIT_SEC: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };

/** A Prometheus duration (`30s`, `1h30m`) or plain seconds; null when it is neither. */
export function parseDuration(v: string): number | null {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const parts = [...v.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== v) return null;
  return parts.reduce((sum, p) => sum + Number(p[1]) * (UNIT_SEC[p[2]!] ?? 0), 0);
}

/** A time as the Prometheus API takes it (unix seconds or RFC 3339), or `now` / `now-1h`; seconds, or null. */
function parseTime(v: string, nowSec: number): number | null {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const rel = /^now(?:-(.+))?$/.exec(v);
  if (rel) {
    if (!rel[1]) return nowSec;
    const d = parseDuration(rel[1]);
    return d === null ? null : nowSec - d;
  }
  if (/^\d{4}-\d{2}-\d{2}T/.test(v)) {
    const t = Date.parse(v);
    return Number.isNaN(t) ? null : t / 1000;
  }
  return null;
}

/**
 * The range a `query_range` runs over, bounded: end defaults to now, start to end - 1h, step to what gives about
 * 240 points. Refused (RefusedError naming the parameter) when a value cannot be read, when start is after end,
 * when the range exceeds {@link MAX_RANGE_SEC}, or when it would return more than {@link MAX_POINTS} points per series.
 */
export function resolveRange(spec: RangeSpec, now: Date): { start: number; end: number; step: number } {
  const nowSec = Math.floor(now.getTime() / 1000);
  const read = (name: 'start' | 'end', fallback: number) => {
    const v = spec[name];
    if (v === undefined || v === null || v === '') return fallback;
    const t = parseTime(v, nowSec);
    if (t === null)
      throw new RefusedError(
        `query_range ${name}="${v}" is not a time the bot can read (unix seconds, RFC 3339, or now-1h); the range query is not run.`,
      );
    return t;
  };
  const end = read('end', nowSec);
  const start = read('start', end - 3600);
  if (start >= end) throw new RefusedError('query_range start is not before end; the range query is not run.');
  const span = end - start;
  if (span > MAX_RANGE_SEC)
    throw new RefusedError(
      `query_range covers ${Math.round(span / 3600)} h; the bot reads at most ${MAX_RANGE_SEC / 86400} days. Narrow start/end.`,
    );
  let step: number;
  if (spec.step !== undefined && spec.step !== null && spec.step !== '') {
    const d = parseDuration(spec.step);
    if (d === null || d <= 0)
      throw new RefusedError(
        `query_range step="${spec.step}" is not a duration (e.g. 30s, 5m); the range query is not run.`,
      );
    step = d;
  } else step = Math.max(1, Math.ceil(span / 240));
  const points = Math.floor(span / step) + 1;
  if (points > MAX_POINTS)
    throw new RefusedError(
      `query_range with step ${step} s over ${Math.round(span / 60)} min gives ${points} points per series; the bot reads at most ${MAX_POINTS}. Use step=${Math.ceil(span / (MAX_POINTS - 1))}s or more.`,
    );
  return { start, end, step };
}

export interface PromRunOptions {
  baseUrl: string;
  query: string;
  /** Run as a range query over these bounds (from the runbook's query_range line). */
  range?: RangeSpec | null;
  timeoutMs: number;
  now: Date;
  /** Adds a TREND column from a 1h range query when the result is a small vector. */
  trend?: boolean;
  http?: AxiosInstance;
}

/**
 * Instant query (or, with `range`, a bounded range query), rendered as a small table; responses over
 * {@link MAX_RESPONSE_BYTES} are refused without being buffered, and the rendered output is capped.
 * Prometheus is asked to stop evaluating after `timeoutMs` too. A failed trend lookup never fails the run.
 */
export async function runPrometheus(opts: PromRunOptions): Promise<{ output: string; rows: number }> {
  const out = await runPrometheusUncapped(opts);
  return out.output.length > PROM_OUTPUT_MAX
    ? { ...out, output: `${out.output.slice(0, PROM_OUTPUT_MAX)}\n… output cut at ${PROM_OUTPUT_MAX / 1024} KiB` }
    : out;
}

async function runPrometheusUncapped(opts: PromRunOptions): Promise<{ output: string; rows: number }> {
  if (!opts.query) throw new RefusedError('The Prometheus query is empty.');
  if (opts.query.length > 4000) throw new RefusedError('The Prometheus query is longer than 4000 characters.');
  const http = opts.http ?? axios.create();
  const base = opts.baseUrl.replace(/\/+$/, '');
  const time = opts.now.getTime() / 1000;
  const range = opts.range ? resolveRange(opts.range, opts.now) : null;
  const res = await http
    .get<PromResponse>(`${base}/api/v1/${range ? 'query_range' : 'query'}`, {
      params: {
        query: opts.query,
        ...(range ? range : { time }),
        timeout: `${Math.max(1, Math.floor(opts.timeoutMs))}ms`,
      },
      timeout: opts.timeoutMs,
      maxContentLength: MAX_RESPONSE_BYTES,
      validateStatus: () => true,
    })
    .catch((e: Error) => {
      if (/maxContentLength/.test(e.message))
        throw new RefusedError(
          `The Prometheus answer is larger than ${MAX_RESPONSE_BYTES / 1024 / 1024} MiB; narrow the query (fewer series, a larger step).`,
        );
      throw e;
    });
  const body = res.data;
  if (!body || typeof body !== 'object' || body.status !== 'success' || !body.data) {
    const why =
      body && typeof body === 'object' && body.error
        ? `${body.errorType ?? 'error'}: ${body.error}`
        : `HTTP ${res.status}`;
    throw new RefusedError(`Prometheus refused the query (${why}).`);
  }
  const { resultType, result } = body.data;
  if (resultType === 'scalar' || resultType === 'string') {
    const [, v] = result as [number, string];
    return { output: `${resultType}: ${formatValue(v)}`, rows: 1 };
  }
  if (resultType === 'matrix') {
    const series = result as { metric: Labels; values: [number, string][] }[];
    const header = range ? `${rangePhrase(range)}\n` : '';
    if (!series.length) return { output: `${header}No data: the query returned no series in this range.`, rows: 0 };
    return { output: header + withMore(matrixTable(series.slice(0, MAX_SERIES)), series.length), rows: series.length };
  }
  const vector = result as { metric: Labels; value: [number, string] }[];
  if (!vector.length) return { output: 'No data: the query returned an empty result.', rows: 0 };
  let trends: Map<string, string> | undefined;
  if (opts.trend !== false && vector.length <= 10) {
    trends = await trend(http, base, opts).catch(() => undefined);
  }
  const shown = vector.slice(0, MAX_SERIES);
  const keys = [...new Set(shown.flatMap((s) => Object.keys(s.metric)))].sort((a, b) =>
    a === '__name__' ? -1 : b === '__name__' ? 1 : a.localeCompare(b),
  );
  const useColumns = keys.length > 0 && keys.length <= 4;
  const headers = useColumns ? keys.map((k) => (k === '__name__' ? 'metric' : k)) : ['series'];
  headers.push('value');
  if (trends) headers.push('trend (1h)');
  const rows = shown.map((s) => {
    const r = useColumns ? keys.map((k) => s.metric[k] ?? '') : [seriesName(s.metric)];
    r.push(formatValue(s.value[1]));
    if (trends) r.push(trends.get(seriesName(s.metric)) ?? '');
    return r;
  });
  return { output: withMore(table(headers, rows), vector.length), rows: vector.length };
}

async function trend(http: AxiosInstance, base: string, opts: PromRunOptions): Promise<Map<string, string>> {
  const end = opts.now.getTime() / 1000;
  const res = await http.get<PromResponse>(`${base}/api/v1/query_range`, {
    params: { query: opts.query, start: end - 3600, end, step: 120 },
    timeout: opts.timeoutMs,
    maxContentLength: MAX_RESPONSE_BYTES,
  });
  const out = new Map<string, string>();
  if (res.data?.status !== 'success' || res.data.data?.resultType !== 'matrix') return out;
  for (const s of res.data.data.result as { metric: Labels; values: [number, string][] }[])
    out.set(seriesName(s.metric), sparkline(s.values.map((v) => Number(v[1]))));
  return out;
}

/**
 * The window of a range query in words: "2024-05-03 11:00:00 – 12:00:00 UTC (1 hour), every 1 minute, 61 points".
 * Times in UTC and durations worded by date-fns (time-phrases.ts). `range` in unix seconds.
 */
export function rangePhrase(range: { start: number; end: number; step: number }): string {
  const at = (sec: number, pattern: string) => format(new UTCDate(sec * 1000), pattern);
  const sameDay = at(range.start, 'yyyy-MM-dd') === at(range.end, 'yyyy-MM-dd');
  const span = `${at(range.start, 'yyyy-MM-dd HH:mm:ss')} – ${at(range.end, sameDay ? 'HH:mm:ss' : 'yyyy-MM-dd HH:mm:ss')} UTC`;
  const points = Math.floor((range.end - range.start) / range.step) + 1;
  return `${span} (${minutesPhrase((range.end - range.start) / 60)}), every ${minutesPhrase(range.step / 60)}, ${points} points`;
}

/**
 * One line per series of a matrix: its last value, lowest and highest over the range, and a sparkline of the whole
 * range, so a 1000-point series stays one compact line. NaN and ±Inf samples are left out of min/max.
 */
function matrixTable(series: { metric: Labels; values: [number, string][] }[]): string {
  const rows = series.map((s) => {
    const nums = s.values.map((v) => Number(v[1]));
    const finite = nums.filter(Number.isFinite);
    const last = s.values.at(-1);
    const extreme = (pick: (a: number, b: number) => number) =>
      finite.length ? formatValue(String(finite.reduce((a, b) => pick(a, b)))) : '';
    return [
      seriesName(s.metric),
      last ? formatValue(last[1]) : '',
      extreme(Math.min),
      extreme(Math.max),
      sparkline(buckets(nums, SPARK_WIDTH)),
    ];
  });
  return table(['series', 'last', 'min', 'max', 'trend'], rows);
}

/** Characters of a range query's sparkline at most; longer series are averaged into this many buckets. */
const SPARK_WIDTH = 48;

/** `values` averaged into at most `width` consecutive buckets (NaN for a bucket without a finite value). */
function buckets(values: number[], width: number): number[] {
  if (values.length <= width) return values;
  return Array.from({ length: width }, (_, b) => {
    const part = values
      .slice(Math.floor((b * values.length) / width), Math.floor(((b + 1) * values.length) / width))
      .filter(Number.isFinite);
    return part.length ? part.reduce((x, y) => x + y, 0) / part.length : Number.NaN;
  });
}

export function seriesName(metric: Labels): string {
  const { __name__: name = '', ...rest } = metric;
  const labels = Object.entries(rest)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ');
  return labels ? `${name}{${labels}}` : name || '{}';
}

/** Prometheus values are strings; show up to 4 decimals, keep NaN/Inf as Prometheus writes them. */
export function formatValue(v: string): string {
  const n = Number(v);
  if (!Number.isFinite(n)) return v;
  if (Number.isInteger(n)) return String(n);
  return String(Math.round(n * 1e4) / 1e4);
}

function withMore(text: string, total: number): string {
  return total > MAX_SERIES ? `${text}\n… ${total - MAX_SERIES} more series not shown` : text;
}
