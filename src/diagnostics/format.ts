import { createHash } from 'node:crypto';

/** kubectl-style table: upper-case headers, columns separated by three spaces, no trailing blanks. */
export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [
    headers.map((h) => h.toUpperCase()),
    ...rows.map((r) => r.map((c) => (c == null ? '<none>' : String(c)))),
  ];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
        .join('   ')
        .trimEnd(),
    )
    .join('\n');
}

/** kubectl's HumanDuration: 45s, 5m3s, 42m, 3h4m, 36h, 3d4h, 120d, 3y. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const d = Math.floor(h / 24);
  if (s < 120) return `${s}s`;
  if (m < 10) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  if (h < 3) return `${m}m`;
  if (h < 8) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  if (h < 48) return `${h}h`;
  if (d < 8) return h % 24 ? `${d}d${h % 24}h` : `${d}d`;
  if (d < 365 * 2) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

/** Age of a timestamp relative to `now`; '<unknown>' when absent. */
export function age(ts: Date | string | undefined | null, now: Date): string {
  if (!ts) return '<unknown>';
  const t = ts instanceof Date ? ts.getTime() : Date.parse(ts);
  if (!Number.isFinite(t)) return '<unknown>';
  return humanDuration(now.getTime() - t);
}

/** Cuts at a line boundary under `max` characters and says how much was left out. */
export function truncate(text: string, max: number): { preview: string; truncated: boolean } {
  if (text.length <= max) return { preview: text, truncated: false };
  const budget = Math.max(0, max - 60);
  let cut = text.lastIndexOf('\n', budget);
  if (cut < budget / 2) cut = budget;
  const head = text.slice(0, cut);
  const restLines = text.slice(cut).split('\n').filter(Boolean).length;
  return {
    preview: `${head}\n… truncated: ${restLines} more line(s), ${text.length - cut} more chars`,
    truncated: true,
  };
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Kubernetes quantities for `top`: CPU in millicores, memory in Mi. */
export function cpuMillis(q: string | undefined): number {
  if (!q) return 0;
  const m = /^([0-9.]+)([num]?)$/.exec(q);
  if (!m) return 0;
  const n = Number(m[1]);
  const div = { n: 1e6, u: 1e3, m: 1, '': 1 / 1000 }[m[2] as 'n' | 'u' | 'm' | ''];
  return Math.round(n / div);
}

export function memoryMi(q: string | undefined): number {
  if (!q) return 0;
  const m = /^([0-9.]+)(Ki|Mi|Gi|Ti|K|M|G|T|k)?$/.exec(q);
  if (!m) return 0;
  const mult: Record<string, number> = {
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
    K: 1e3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    '': 1,
  };
  return Math.round((Number(m[1]) * mult[m[2] ?? '']!) / 1024 ** 2);
}

const BARS = '▁▂▃▄▅▆▇█';
/** A one-line unicode sparkline of a series (NaN shown as a space). */
export function sparkline(values: number[]): string {
  const finite = values.filter(Number.isFinite);
  if (!finite.length) return '';
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  return values
    .map((v) => (Number.isFinite(v) ? BARS[hi === lo ? 3 : Math.round(((v - lo) / (hi - lo)) * 7)] : ' '))
    .join('');
}
