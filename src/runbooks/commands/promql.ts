/** A PromQL expression written as inline code: a function call or a selector on a metric-like name. */
export function looksLikePromQL(text: string): boolean {
  const t = text.trim();
  if (/\s(-\w|--\w)/.test(t) || /^[a-z-]+\s+[a-z]/.test(t)) return false;
  return (
    /^(sum|avg|min|max|count|rate|irate|increase|delta|histogram_quantile|topk|bottomk|absent|predict_linear|quantile|label_replace|sort|sort_desc|changes|deriv|time|vector|clamp_max|clamp_min)\s*(by|without)?\s*\(/.test(
      t,
    ) || /^[a-zA-Z_:][\w:]*_[\w:]*\s*\{[^}]*\}/.test(t)
  );
}
