import { z } from 'zod';

/**
 * Runbook escalation targets ("Senior Engineer", "the engineering leads", "VP Engineering + GCP Support")
 * -> who to mention, through the ESCALATION_TARGETS map, as data (the Slack layer writes the mention). Pure.
 *
 * Map values: a user id (U…/W…) is a user; a user-group id (S…) is a user group by id; anything else is a
 * user-group handle (`sre-seniors`), whose id the caller may have looked up with the Slack API — pass those
 * ids as `groupIds` and the group comes back with its id.
 */

/**
 * Someone to mention: a user by id, or a user group by id (S…) and/or handle ('sre-seniors'); a group
 * known only by its handle is shown as `@handle` until its id is known. Stored in escalation pings.
 */
export const Mention = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('user'), id: z.string() }),
  z.object({ kind: z.literal('usergroup'), id: z.string().optional(), handle: z.string().optional() }),
]);
export type Mention = z.infer<typeof Mention>;

export type TargetKind = 'usergroup' | 'user' | 'unknown';
/** A target name resolved: a {@link Mention}, or `unknown` when no map entry matched it. */
export type ResolvedTarget = (Mention | { kind: 'unknown' }) & {
  /** The map key that matched, or the name as written when nothing did. */
  name: string;
};

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

/** Turns a map value (user id, group id, or group handle with or without `@`) into a mention. */
export function mentionFor(value: string, opts: TargetOptions = {}): Mention {
  const v = value.trim().replace(/^@/, '');
  if (/^[UW][A-Z0-9]{2,}$/.test(v)) return { kind: 'user', id: v };
  if (/^S[A-Z0-9]{2,}$/.test(v)) return { kind: 'usergroup', id: v };
  const id = opts.groupIds?.[v];
  return id ? { kind: 'usergroup', id, handle: v } : { kind: 'usergroup', handle: v };
}

/** Whether two mentions name the same user or group (by id, else by handle). */
export function sameMention(a: Mention, b: Mention): boolean {
  if (a.kind !== b.kind) return false;
  if (a.id || b.id) return a.id === b.id;
  return a.kind === 'usergroup' && b.kind === 'usergroup' && a.handle === b.handle;
}

/** A user group's id if known, else its handle (what user-group lookups take); a user's id. */
export function mentionKey(m: Mention): string {
  return m.kind === 'user' ? m.id : (m.id ?? m.handle ?? '');
}

/**
 * One target name -> mention (or `unknown`). Matching, in order: the same words ignoring case, articles and plurals
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
  return { kind: 'unknown', name: trimmed };
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
    if (!out.some((o) => sameTarget(o, r))) out.push(r);
  }
  return out;
}

function sameTarget(a: ResolvedTarget, b: ResolvedTarget): boolean {
  if (a.kind === 'unknown' || b.kind === 'unknown') return a.kind === b.kind && a.name === b.name;
  return sameMention(a, b);
}
