/**
 * Slack channel names people can type (issue #18): `inc-<number>-<slug>`, number first, at most about
 * 40 characters. Slack allows lowercase letters, digits, hyphens and underscores, at most 80 characters.
 * Pure.
 */
const MAX = 80;
/** Target length of a channel name: short enough to type and to read in the sidebar. */
export const CHANNEL_NAME_LENGTH = 40;

/** Splits CamelCase and acronyms into words ("KubePodCrashLooping" -> "Kube Pod Crash Looping"). */
const splitCamel = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2');

/**
 * A lowercase hyphenated slug of at most `max` characters, cut at a word boundary (a word is only cut
 * when it alone is longer than `max`). Accents are dropped ("café" -> "cafe"); '' when nothing Latin
 * or numeric is left.
 */
export function slugify(title: string, max = 40): string {
  const words = splitCamel(title)
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  let out = '';
  for (const w of words) {
    const next = out ? `${out}-${w}` : w;
    if (next.length > max) {
      if (!out) out = w.slice(0, max);
      break;
    }
    out = next;
  }
  return out;
}

/** Whether a title gives a readable slug: it has Latin letters (digits alone say nothing). */
const readable = (slug: string) => /[a-z]/.test(slug);

/**
 * `inc-<number>-<slug>` within about {@link CHANNEL_NAME_LENGTH} characters. The slug comes from the
 * title; a title with no Latin letters ("🔥🔥", "Платежи не проходят") takes its slug from the alert
 * name or the service label instead, else it is just `inc-<number>`.
 */
export function channelName(inc: { id: number; title: string; labels?: Record<string, string> }): string {
  const head = `inc-${inc.id}`;
  const room = Math.max(8, CHANNEL_NAME_LENGTH - head.length - 1);
  const labels = inc.labels ?? {};
  const candidates = [inc.title, labels.alertname, labels.service, labels.app, labels.job].filter((x): x is string =>
    Boolean(x),
  );
  const slug = candidates.map((c) => slugify(c, room)).find(readable);
  return slug ? `${head}-${slug}` : head;
}

/** `name-<suffix>` still within 80 characters (the name is cut, never the suffix). */
export function withSuffix(name: string, suffix: string | number): string {
  const tail = `-${suffix}`;
  return `${name.slice(0, MAX - tail.length).replace(/-+$/g, '')}${tail}`;
}
