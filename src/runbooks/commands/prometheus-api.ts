/**
 * Grammar of a call to Prometheus's HTTP API as runbooks write it (`curl …/api/v1/query?query=…`,
 * `curl -G …/api/v1/query_range --data-urlencode 'query=…' -d start=now-1h -d step=1m`): which endpoint, which
 * PromQL, and for `query_range` the start/end/step as written. The one reader of such calls: the runbook classifier
 * (commands/http.ts) and the Prometheus executor (diagnostics/prometheus.ts) both use it. Pure.
 */

/** start/end/step of a `query_range` call as written in the runbook; null when not given. */
export interface PromRange {
  start: string | null;
  end: string | null;
  step: string | null;
}

export interface PromApiCall {
  /** The API path after `/api/v1/` (`query`, `query_range`, `series`, …), or null for a bare Prometheus URL. */
  endpoint: string | null;
  /** The PromQL (`query=`), or null when the call carries none. */
  query: string | null;
  /** Only for `query_range`. */
  range: PromRange | null;
}

/** A request body part given to curl: its flag (`-d`, `--data-urlencode`, …) and value. */
export interface DataArg {
  flag: string;
  value: string;
}

const ENDPOINT = /\/api\/v1\/(query_range|query|series|labels?|targets|rules|alerts|metadata|status)\b/;

/** True when the URL is one of Prometheus's HTTP API endpoints, or a host named `prometheus…`. */
export function isPromApiUrl(url: string): boolean {
  return ENDPOINT.test(url) || /^https?:\/\/prometheus\b/.test(url);
}

/**
 * Reads a Prometheus API call from its URL and curl data arguments; null when the URL is not Prometheus's API.
 * Values in the URL are URL-decoded only when they contain `%XX` escapes: runbooks paste raw PromQL, whose `+` is
 * an addition, not an encoded space. `--data-urlencode` values are taken as written (curl encodes them); other
 * `-d` values are decoded like URL values. A parameter in the body wins over one in the URL (Prometheus reads the
 * form body of a POST, and `curl -G` appends it to the URL after the ones written there).
 */
export function readPromApiCall(url: string, data: readonly DataArg[] = []): PromApiCall | null {
  if (!isPromApiUrl(url)) return null;
  const endpoint = ENDPOINT.exec(url)?.[1] ?? null;
  const qs = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  const param = (name: string): string | null => {
    let v: string | null = null;
    for (const d of data) {
      const eq = d.value.indexOf('=');
      if (eq > 0 && d.value.slice(0, eq) === name) {
        v = d.flag === '--data-urlencode' ? d.value.slice(eq + 1) : decode(d.value.slice(eq + 1));
      }
    }
    if (v !== null) return v;
    for (const part of qs.split('&')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq) === name) return decode(part.slice(eq + 1));
    }
    return null;
  };
  const query = param('query');
  const blank = (v: string | null) => (v === '' ? null : v);
  const range =
    endpoint === 'query_range'
      ? { start: blank(param('start')), end: blank(param('end')), step: blank(param('step')) }
      : null;
  return { endpoint, query, range };
}

/** Curl's flags that send a request body. */
export const DATA_FLAGS = /^(-d|--data|--data-raw|--data-binary|--data-urlencode|--data-ascii|-F|--form)$/;

function decode(s: string): string {
  if (!/%[0-9A-Fa-f]{2}/.test(s)) return s;
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}
