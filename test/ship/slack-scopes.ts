/**
 * Slack Web API method -> bot scopes that allow it (any one is enough; [] = no scope needed).
 * Source: the "Required scopes" box of each method's page on api.slack.com (bot tokens only).
 * A method the code calls that is missing here fails test/ship/slack-manifest.test.ts: add it with its scopes.
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

/** Bot event -> scope it needs to be delivered (events not listed need none, e.g. app_home_opened). */
export const EVENT_SCOPES: Record<string, string> = {
  app_mention: 'app_mentions:read',
  member_joined_channel: 'channels:read',
  member_left_channel: 'channels:read',
  'message.channels': 'channels:history',
  'message.groups': 'groups:history',
  'message.im': 'im:history',
  reaction_added: 'reactions:read',
  reaction_removed: 'reactions:read',
  channel_archive: 'channels:read',
};
