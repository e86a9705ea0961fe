import axios, { type AxiosInstance } from 'axios';
import { sparkline, table } from './format.js';
import { takeOption } from './parse-command.js';
import { RefusedError } from './types.js';

const MAX_SERIES = 50;

/** PromQL from a runbook line: `curl ...api/v1/query?query=...`, `--data-urlencode 'query=...'`, or bare PromQL. */
export function extractPromQL(argv: string[], query: string | null, text: string): string {
  if (query) return query.trim();
  const tool = argv[0] ?? '';
  if (/^(curl|wget|http|https)$/.test(tool)) {
    for (const a of argv) {
      const m = /\/api\/v1\/query(?:_range)?\?(.*)$/s.exec(a);
      if (!m) continue;
      const q = param(m[1], 'query');
      if (q) return q;
    }
    const d = takeOption(argv, ['--data-urlencode']);
    if (d.value?.startsWith('query=')) return d.value.slice('query='.length);
    const dd = takeOption(argv, ['-d', '--data', '--data-raw']);
    if (dd.value?.startsWith('query=')) return decode(dd.value.slice('query='.length));
    throw new RefusedError('No Prometheus query (query=...) found in this command.');
  }
  return text
    .split('\n')
    .filter((l) => !l.trim().startsWith('#'))
    .join('\n')
    .trim();
}

/** A query-string parameter; decoded only when it is URL-encoded (runbooks often paste raw PromQL with `+`). */
function param(qs: string, name: string): string | undefined {
  for (const part of qs.split('&')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq) === name) return decode(part.slice(eq + 1));
  }
  return undefined;
}

function decode(s: string): string {
  if (!/%[0-9A-Fa-f]{2}/.test(s)) return s;
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
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

export interface PromRunOptions {
  baseUrl: string;
  query: string;
  timeoutMs: number;
  now: Date;
  /** Adds a TREND column from a 1h range query when the result is a small vector. */
  trend?: boolean;
  http?: AxiosInstance;
}

/** Instant query, rendered as a small table; a failed trend lookup never fails the run. */
export async function runPrometheus(opts: PromRunOptions): Promise<{ output: string; rows: number }> {
  if (!opts.query) throw new RefusedError('The Prometheus query is empty.');
  if (opts.query.length > 4000) throw new RefusedError('The Prometheus query is longer than 4000 characters.');
  const http = opts.http ?? axios.create();
  const base = opts.baseUrl.replace(/\/+$/, '');
  const time = opts.now.getTime() / 1000;
  const res = await http.get<PromResponse>(`${base}/api/v1/query`, {
    params: { query: opts.query, time },
    timeout: opts.timeoutMs,
    validateStatus: () => true,
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
    const rows = series
      .slice(0, MAX_SERIES)
      .map((s) => [
        seriesName(s.metric),
        s.values.map((v) => formatValue(v[1])).join(' '),
        sparkline(s.values.map((v) => Number(v[1]))),
      ]);
    return { output: withMore(table(['series', 'values', 'trend'], rows), series.length), rows: series.length };
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
  });
  const out = new Map<string, string>();
  if (res.data?.status !== 'success' || res.data.data?.resultType !== 'matrix') return out;
  for (const s of res.data.data.result as { metric: Labels; values: [number, string][] }[])
    out.set(seriesName(s.metric), sparkline(s.values.map((v) => Number(v[1]))));
  return out;
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
