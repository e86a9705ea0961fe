/** Slack Web API method -> bot scopes; defined once, beside the local workspace that enforces it. */
export { METHOD_SCOPES } from '../../src/emulator/scopes.js';

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
