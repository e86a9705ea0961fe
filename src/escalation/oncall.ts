/**
 * Who is on call: the rotations the configuration names (DEFAULT_ONCALL_GROUP, ONCALL_GROUPS) are Slack user
 * groups, kept current by whatever schedules the team (PagerDuty and Opsgenie sync their schedules into user
 * groups); their members right now are who is on call. Pure apart from the `members` lookup it is given.
 */

/** One on-call rotation: a user-group handle and the alert `team`/`service` labels routed to it. */
export interface OnCallRotation {
  /** User-group handle without `@` ('sre-oncall'). */
  handle: string;
  /** ONCALL_GROUPS keys that name it (alert team/service labels), sorted. */
  teams: string[];
  /** It is DEFAULT_ONCALL_GROUP: paged when no ONCALL_GROUPS entry matches. */
  isDefault: boolean;
}

/** A rotation with the people in it now; `members` is null when the group does not exist in the workspace. */
export interface OnCallNow extends OnCallRotation {
  members: string[] | null;
}

/**
 * The rotations the configuration names, each once: DEFAULT_ONCALL_GROUP first, then ONCALL_GROUPS groups
 * by handle. Handles compare without `@` and case.
 */
export function onCallRotations(cfg: {
  ONCALL_GROUPS: Record<string, string>;
  DEFAULT_ONCALL_GROUP: string;
}): OnCallRotation[] {
  const byKey = new Map<string, OnCallRotation>();
  const add = (handle: string, team: string | null, isDefault: boolean) => {
    const h = handle.trim().replace(/^@/, '');
    if (!h) return;
    const key = h.toLowerCase();
    const r = byKey.get(key) ?? { handle: h, teams: [], isDefault: false };
    if (team) r.teams.push(team);
    r.isDefault ||= isDefault;
    byKey.set(key, r);
  };
  add(cfg.DEFAULT_ONCALL_GROUP, null, true);
  for (const [team, group] of Object.entries(cfg.ONCALL_GROUPS)) add(group, team, false);
  const rows = [...byKey.values()].map((r) => ({ ...r, teams: [...r.teams].sort() }));
  return [...rows.filter((r) => r.isDefault), ...rows.filter((r) => !r.isDefault)];
}

/**
 * Who is on call now: the first `limit` rotations with their members (looked up one group at a time), and
 * how many rotations there are in all. A lookup that fails counts as an unknown group (members null).
 */
export async function whoIsOnCall(
  rotations: OnCallRotation[],
  members: (handle: string) => Promise<string[] | null>,
  limit: number,
): Promise<{ rows: OnCallNow[]; total: number }> {
  const rows: OnCallNow[] = [];
  for (const r of rotations.slice(0, Math.max(0, limit)))
    rows.push({ ...r, members: await members(r.handle).catch(() => null) });
  return { rows, total: rotations.length };
}
