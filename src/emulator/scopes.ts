import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

/**
 * Slack Web API method -> bot scopes that allow it (any one is enough; [] = no scope needed).
 * Source: the "Required scopes" box of each method's page on api.slack.com (bot tokens only).
 * The local workspace answers `missing_scope` from this table; test/ship/slack-manifest.test.ts uses it to check
 * slack-app-manifest.yml grants exactly what the code calls.
 */
export const METHOD_SCOPES: Record<string, readonly string[]> = {
  'auth.test': [],
  'apps.connections.open': [], // app-level token (connections:write), not a bot scope

  'bookmarks.add': ['bookmarks:write'],
  'bookmarks.edit': ['bookmarks:write'],
  'bookmarks.remove': ['bookmarks:write'],
  'bookmarks.list': ['bookmarks:read'],

  'chat.postMessage': ['chat:write'],
  'chat.postEphemeral': ['chat:write'],
  'chat.update': ['chat:write'],
  'chat.delete': ['chat:write'],
  'chat.scheduleMessage': ['chat:write'],
  'chat.getPermalink': [],

  'conversations.archive': ['channels:manage', 'groups:write'],
  'conversations.unarchive': ['channels:manage', 'groups:write'],
  'conversations.create': ['channels:manage', 'groups:write'],
  'conversations.invite': ['channels:manage', 'groups:write'],
  'conversations.kick': ['channels:manage', 'groups:write'],
  'conversations.rename': ['channels:manage', 'groups:write'],
  'conversations.setTopic': ['channels:manage', 'groups:write'],
  'conversations.setPurpose': ['channels:manage', 'groups:write'],
  'conversations.leave': ['channels:manage', 'groups:write'],
  'conversations.join': ['channels:join'],
  'conversations.history': ['channels:history', 'groups:history'],
  'conversations.replies': ['channels:history', 'groups:history'],
  'conversations.info': ['channels:read', 'groups:read'],
  'conversations.list': ['channels:read', 'groups:read'],
  'conversations.members': ['channels:read', 'groups:read'],
  'conversations.open': ['im:write', 'mpim:write'],

  'files.upload': ['files:write'],
  'files.uploadV2': ['files:write'],
  'files.getUploadURLExternal': ['files:write'],
  'files.completeUploadExternal': ['files:write'],
  'files.info': ['files:read'],

  'pins.add': ['pins:write'],
  'pins.remove': ['pins:write'],
  'pins.list': ['pins:read'],

  'reactions.add': ['reactions:write'],
  'reactions.remove': ['reactions:write'],
  'reactions.get': ['reactions:read'],

  'team.info': ['team:read'],

  'usergroups.list': ['usergroups:read'],
  'usergroups.users.list': ['usergroups:read'],

  'users.info': ['users:read'],
  'users.list': ['users:read'],
  'users.conversations': ['channels:read', 'groups:read'],
  'users.lookupByEmail': ['users:read.email'],
  'users.profile.get': ['users.profile:read'],

  'views.open': [],
  'views.publish': [],
  'views.push': [],
  'views.update': [],
};

/** Where the app manifest lives, from src/ (tsx, vitest) and from dist/ (built package). */
export function manifestPath(): string | undefined {
  for (const rel of ['../../slack-app-manifest.yml', '../slack-app-manifest.yml']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  return undefined;
}

/**
 * The bot scopes the workspace grants: the given list, else `oauth_config.scopes.bot` of slack-app-manifest.yml,
 * else (no manifest shipped) every scope.
 */
export function grantedScopes(given?: readonly string[]): ReadonlySet<string> | 'all' {
  if (given) return new Set(given);
  const path = manifestPath();
  if (!path) return 'all';
  const manifest = parseYaml(readFileSync(path, 'utf8')) as { oauth_config?: { scopes?: { bot?: string[] } } };
  return new Set(manifest.oauth_config?.scopes?.bot ?? []);
}

/** Slack's answer when a method needs a scope the token lacks, or undefined when the call is allowed. */
export function missingScope(
  method: string,
  granted: ReadonlySet<string>,
): { ok: false; error: 'missing_scope'; needed: string; provided: string } | undefined {
  const needs = METHOD_SCOPES[method];
  if (!needs || needs.length === 0 || needs.some((s) => granted.has(s))) return undefined;
  return { ok: false, error: 'missing_scope', needed: needs[0]!, provided: [...granted].join(',') };
}
