import type { Logger } from 'pino';
import type { UserName } from '../incidents/markdown.js';

/** The part of the Web API client this needs. */
export interface UsersInfoClient {
  users: {
    info(args: { user: string }): Promise<{
      user?: { name?: string; real_name?: string; profile?: { display_name?: string; real_name?: string } };
    }>;
  };
}

/** Slack user ids in any text or JSON: `U0ALICE`, `<@U0ALICE>`, `W123ABC`. */
const USER_ID = /\b[UW][A-Z0-9]{2,}\b/g;

/**
 * People's names for documents (postmortems): each user id is looked up once with users.info (scope users:read)
 * and cached for the life of the process. A lookup that fails leaves the id as it is and is tried again next time.
 */
export function createUserNames(client: UsersInfoClient, logger: Logger) {
  const cache = new Map<string, string>();
  return {
    /** Looks up every user id found in `sources` (objects are searched as JSON) and returns a name function. */
    async forIdsIn(...sources: unknown[]): Promise<UserName> {
      const ids = new Set<string>();
      for (const s of sources) for (const m of JSON.stringify(s ?? '').matchAll(USER_ID)) ids.add(m[0]);
      await Promise.all(
        [...ids]
          .filter((id) => !cache.has(id))
          .map(async (id) => {
            try {
              const { user } = await client.users.info({ user: id });
              const name = user?.profile?.display_name || user?.name || user?.real_name || user?.profile?.real_name;
              if (name) cache.set(id, name);
            } catch (err) {
              logger.debug({ user: id, err: (err as Error).message }, 'users.info failed; showing the id');
            }
          }),
      );
      return (id: string) => cache.get(id) ?? null;
    },
  };
}
