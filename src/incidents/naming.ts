/** Slack channel names: lowercase letters, digits, hyphens and underscores, at most 80 characters. */
const MAX = 80;

export function slugify(title: string, max = 40): string {
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max)
    .replace(/-+$/g, '');
  return slug || 'incident';
}

/** `inc-YYYYMMDD-<slug>` for the incident's start date (UTC). */
export function channelName(title: string, startedAt: Date): string {
  const d = startedAt.toISOString().slice(0, 10).replace(/-/g, '');
  return `inc-${d}-${slugify(title)}`.slice(0, MAX);
}

/** `name-<suffix>` still within 80 characters (the name is cut, never the suffix). */
export function withSuffix(name: string, suffix: string | number): string {
  const tail = `-${suffix}`;
  return `${name.slice(0, MAX - tail.length).replace(/-+$/g, '')}${tail}`;
}
