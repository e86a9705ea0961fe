import type { SlackCaller } from './client.js';

interface Group {
  id: string;
  handle: string;
  users?: string[];
}

/**
 * The workspace's user groups with their members, from one `usergroups.list` call cached a minute
 * (Tier 2: 20 calls a minute, and a storm opens many incidents for the same on-call group). Serves
 * invites, the roles file's group entries and escalation mentions alike.
 */
export function createUserGroups(caller: SlackCaller, ttlMs = 60_000) {
  /** Handle -> id, kept up to date in place: the escalation `fire` reads it synchronously. */
  const ids: Record<string, string> = {};
  let cache: { at: number; groups: Group[] } | null = null;
  let loading: Promise<Group[]> | null = null;

  async function groups(): Promise<Group[]> {
    if (cache && Date.now() - cache.at < ttlMs) return cache.groups;
    loading ??= caller
      .call<{ usergroups: Group[] }>('usergroups.list', { include_users: true })
      .then((r) => {
        cache = { at: Date.now(), groups: r.usergroups };
        for (const g of r.usergroups) ids[g.handle] = g.id;
        return r.usergroups;
      })
      .finally(() => {
        loading = null;
      });
    return loading;
  }

  return {
    ids,
    groups,
    /** Members of a group by handle (with or without @); null when there is no such group. */
    async members(handle: string): Promise<string[] | null> {
      const key = handle.replace(/^@/, '');
      return (await groups()).find((g) => g.handle === key)?.users ?? null;
    },
    /** Handles and ids of the groups a user is in (what the roles file may name). */
    async of(userId: string): Promise<string[]> {
      return (await groups()).filter((g) => g.users?.includes(userId)).flatMap((g) => [g.handle, g.id]);
    },
  };
}

export type UserGroups = ReturnType<typeof createUserGroups>;
