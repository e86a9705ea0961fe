/** PromQL functions and aggregations an expression may start with (Prometheus docs, "Query functions"). */
const PROMQL_START =
  /^(sum|avg|min|max|count|count_values|stddev|stdvar|group|rate|irate|increase|delta|idelta|histogram_quantile|topk|bottomk|absent|absent_over_time|predict_linear|quantile|quantile_over_time|label_replace|label_join|sort|sort_desc|changes|resets|deriv|time|vector|scalar|clamp|clamp_max|clamp_min|avg_over_time|min_over_time|max_over_time|sum_over_time|count_over_time|last_over_time|stddev_over_time|round|ceil|floor|abs|timestamp|day_of_week|hour)\s*(by|without)?\s*(\([^)]*\))?\s*\(/;

/**
 * A PromQL expression (inline code or a line of a fence): a function call, a selector on a metric-like name, or a
 * metric compared with a number (`up == 0`, `node_load1 > 4`). Command lines with flags and prose are not.
 */
export function looksLikePromQL(text: string): boolean {
  const t = text.trim();
  if (t.length > 4000 || /\s(-\w|--\w)/.test(t) || /^[a-z-]+\s+[a-z]/.test(t)) return false;
  return (
    PROMQL_START.test(t) ||
    /^[a-zA-Z_:][\w:]*_[\w:]*\s*\{[^}]*\}/.test(t) ||
    /^(up|[a-zA-Z_:][\w:]*_[\w:]*)\s*(\{[^}]*\})?\s*(\[\w+\])?\s*(==|!=|>=|<=|>|<)\s*-?[\d.]+(e[+-]?\d+)?$/.test(t)
  );
}
