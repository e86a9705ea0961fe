/** Shapes the emulator stores and returns; they follow what the Slack Web API returns for the same objects. */

/** A Block Kit block or element as the bot sent it; only `type` is guaranteed. */
export interface Block {
  type: string;
  block_id?: string;
  [key: string]: unknown;
}

export interface Reaction {
  name: string;
  users: string[];
  count: number;
}

/** A file as files.completeUploadExternal / conversations.history return it (subset). */
export interface SlackFile {
  id: string;
  name: string;
  title: string;
  mimetype: string;
  filetype: string;
  size: number;
  user: string;
  created: number;
  url_private: string;
  permalink: string;
}

/** A message as conversations.history returns it. */
export interface Message {
  type: 'message';
  subtype?: string;
  user?: string;
  bot_id?: string;
  app_id?: string;
  team?: string;
  text: string;
  blocks?: Block[];
  attachments?: Record<string, unknown>[];
  files?: SlackFile[];
  ts: string;
  thread_ts?: string;
  reply_count?: number;
  reply_users?: string[];
  reply_users_count?: number;
  latest_reply?: string;
  subscribed?: boolean;
  edited?: { user: string; ts: string };
  reactions?: Reaction[];
  pinned_to?: string[];
  metadata?: Record<string, unknown>;
}

/** An ephemeral message or a response_url reply, visible only to `user`. */
export interface EphemeralMessage extends Message {
  channel: string;
  /** Which mechanism produced it, for assertions: chat.postEphemeral, a slash-command ack, or a response_url post. */
  source: 'chat.postEphemeral' | 'ack' | 'response_url';
}

export interface TextValue {
  value: string;
  creator: string;
  last_set: number;
}

/** A conversation as conversations.info returns it. */
export interface Channel {
  id: string;
  name: string;
  is_channel: boolean;
  is_group: boolean;
  is_im: boolean;
  is_mpim: boolean;
  is_private: boolean;
  is_archived: boolean;
  is_general: boolean;
  is_member: boolean;
  is_shared: boolean;
  is_ext_shared: boolean;
  is_org_shared: boolean;
  created: number;
  creator: string;
  name_normalized: string;
  topic: TextValue;
  purpose: TextValue;
  num_members: number;
  /** Only on IM channels: the other party. */
  user?: string;
}

export interface Bookmark {
  id: string;
  channel_id: string;
  title: string;
  link: string;
  emoji: string | null;
  icon_url: string | null;
  type: string;
  entity_id: string | null;
  date_created: number;
  date_updated: number;
  rank: string;
  last_updated_by_user_id: string;
  last_updated_by_team_id: string;
  shortcut_id: string | null;
  app_id: string | null;
}

/** A user as users.info returns it (subset). */
export interface User {
  id: string;
  team_id: string;
  name: string;
  deleted: boolean;
  real_name: string;
  tz: string;
  tz_label: string;
  tz_offset: number;
  is_admin: boolean;
  is_owner: boolean;
  is_bot: boolean;
  is_app_user: boolean;
  updated: number;
  profile: {
    title: string;
    real_name: string;
    real_name_normalized: string;
    display_name: string;
    display_name_normalized: string;
    email?: string;
    image_48: string;
    bot_id?: string;
    team: string;
  };
}

/** A user group as usergroups.list returns it (subset). */
export interface Usergroup {
  id: string;
  team_id: string;
  is_usergroup: true;
  name: string;
  description: string;
  handle: string;
  is_external: boolean;
  date_create: number;
  date_update: number;
  date_delete: number;
  created_by: string;
  user_count: number;
  users: string[];
}

/** A modal or home view as views.open/update/publish return it. */
export interface View {
  id: string;
  team_id: string;
  type: 'modal' | 'home';
  title?: Block;
  submit?: Block | null;
  close?: Block | null;
  blocks: Block[];
  private_metadata: string;
  callback_id: string;
  external_id: string;
  state: { values: Record<string, Record<string, unknown>> };
  hash: string;
  clear_on_close: boolean;
  notify_on_close: boolean;
  root_view_id: string;
  previous_view_id: string | null;
  app_id: string;
  app_installed_team_id: string;
  bot_id: string;
  /** Emulator-only: validation errors from the last `response_action: "errors"`, shown in the UI. */
  errors?: Record<string, string>;
}

/** Where a response_url posts to, and how many uses it has left (Slack allows 5 within 30 minutes). */
export interface ResponseTarget {
  id: string;
  channel: string;
  user: string;
  /** The message the interaction came from (block_actions), so replace_original/delete_original can find it. */
  messageTs?: string;
  ephemeralTs?: string;
  threadTs?: string;
  usesLeft: number;
  expiresAt: number;
}
