/**
 * Runbook escalation targets ("Senior Engineer", "the engineering leads", "VP Engineering + GCP Support")
 * -> Slack mentions, through the ESCALATION_TARGETS map. Pure.
 *
 * Map values: a user id (U…/W…) becomes `<@U…>`; a user-group id (S…) becomes `<!subteam^S…>`; anything
 * else is a user-group handle (`sre-seniors`) the caller resolves to `<!subteam^S…>` with the Slack API —
 * pass those ids as `groupIds` and the mention comes back ready to post.
 */

export type TargetKind = 'usergroup' | 'user' | 'unknown';
export interface ResolvedTarget {
  /** `<@U…>`, `<!subteam^S…>`, a bare group handle ('sre-seniors') awaiting its id, or the name as written. */
  handle: string;
  kind: TargetKind;
  /** The map key that matched, or the name as written when nothing did. */
  name: string;
}

export interface TargetOptions {
  /** Group handle -> Slack user-group id (S…), when the caller has looked them up. */
  groupIds?: Record<string, string>;
}

/** Words a target name may add to a map key and still mean it ("on call", "engineer", "primary"). */
const NEUTRAL = new Set([
  'on',
  'call',
  'duty',
  'engineer',
  'person',
  'primary',
  'secondary',
  'current',
  'rotation',
  'shift',
]);

const STOPWORDS = new Set(['the', 'a', 'an', 'our', 'your', 'to', 'of', 'page', 'notify']);

/** Lower-cased word stems without articles: "the Senior Engineers" and "senior engineer" both -> "engineer senior". */
function stems(name: string): string[] {
  return name
    .toLowerCase()
    .replace(/[@#*_`"“”'’()[\]]/g, ' ')
    .split(/[^a-z0-9]+/)
    .filter((w) => w && !STOPWORDS.has(w))
    .map(stem)
    .sort();
}

function stem(w: string): string {
  if (w.length > 5 && w.endsWith('ing')) return w.slice(0, -3); // engineering -> engineer
  if (w.length > 3 && w.endsWith('ies')) return `${w.slice(0, -3)}y`;
  if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss')) return w.slice(0, -1);
  return w;
}

/** Turns a map value into a mention. */
export function mentionFor(value: string, opts: TargetOptions = {}): Omit<ResolvedTarget, 'name'> {
  const v = value.trim().replace(/^@/, '');
  if (/^[UW][A-Z0-9]{2,}$/.test(v)) return { handle: `<@${v}>`, kind: 'user' };
  if (/^S[A-Z0-9]{2,}$/.test(v)) return { handle: `<!subteam^${v}>`, kind: 'usergroup' };
  const id = opts.groupIds?.[v];
  if (id) return { handle: `<!subteam^${id}>`, kind: 'usergroup' };
  return { handle: v, kind: 'usergroup' };
}

/**
 * One target name -> mention. Matching, in order: the same words ignoring case, articles and plurals
 * ("the senior engineers" = "Senior Engineer", "Lead Engineer" = "Engineering Lead"); else the longest
 * map key whose words all appear in the name when the rest are neutral ("Senior Engineer on call"; but
 * "Database on-call" is not "On-call"). A name written as `@handle`
 * that no key matches is taken as a group handle. Nothing else: kind 'unknown', handle = the name.
 */
export function resolveTarget(name: string, map: Record<string, string>, opts: TargetOptions = {}): ResolvedTarget {
  const words = stems(name);
  const key = words.join(' ');
  const entries = Object.entries(map).map(([k, v]) => ({ k, v, words: stems(k) }));
  const exact = entries.find((e) => e.words.join(' ') === key && key);
  if (exact) return { ...mentionFor(exact.v, opts), name: exact.k };
  const have = new Set(words);
  // "Senior Engineer on call" is the Senior Engineer; "Database on-call" is not "On-call": a name may add
  // only neutral words to a key, never a team of its own (issue #18: no silent fallback to on-call).
  const contained = entries
    .filter(
      (e) =>
        e.words.length &&
        e.words.every((w) => have.has(w)) &&
        words.every((w) => e.words.includes(w) || NEUTRAL.has(w)),
    )
    .sort((a, b) => b.words.length - a.words.length)[0];
  if (contained) return { ...mentionFor(contained.v, opts), name: contained.k };
  const trimmed = name.trim();
  if (/^@[a-z0-9][a-z0-9._-]*$/i.test(trimmed)) return { ...mentionFor(trimmed, opts), name: trimmed };
  return { handle: trimmed, kind: 'unknown', name: trimmed };
}

/**
 * A target text that may name several people ("VP Engineering + GCP Support", "Manager and Lead Engineer")
 * -> one entry per part, duplicates removed. Unknown parts are kept so the ping can still show them.
 */
export function resolveTargets(text: string, map: Record<string, string>, opts: TargetOptions = {}): ResolvedTarget[] {
  const out: ResolvedTarget[] = [];
  for (const part of text
    .split(/\s*(?:\+|&|,|\/|\band\b)\s*/i)
    .map((p) => p.trim())
    .filter(Boolean)) {
    const r = resolveTarget(part, map, opts);
    if (!out.some((o) => o.handle === r.handle)) out.push(r);
  }
  return out;
}
