import { blockErrors, viewFieldErrors } from './block-limits.js';
import type { Block, Bookmark, Message, SlackFile, View } from './types.js';
import type { ChannelRecord, WorkspaceState } from './workspace.js';

/** A Slack Web API error: answered as HTTP 200 `{ ok: false, error: code, ...extra }`, like Slack does. */
export class SlackApiError extends Error {
  constructor(
    readonly code: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(code);
  }
}

export interface ApiContext {
  state: WorkspaceState;
  /** Public base URL of the emulator (permalinks, upload URLs, file URLs). */
  baseUrl: string;
}

type Result = Record<string, unknown>;
type Handler = (args: Args, ctx: ApiContext) => Result;

/** Typed access to a request's arguments, which arrive as form strings or JSON values. */
export class Args {
  constructor(readonly raw: Record<string, unknown>) {}

  str(key: string): string | undefined {
    const v = this.raw[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    return undefined;
  }

  bool(key: string): boolean {
    const v = this.raw[key];
    return v === true || v === 'true' || v === '1' || v === 1;
  }

  int(key: string, fallback: number): number {
    const n = Number.parseInt(this.str(key) ?? '', 10);
    return Number.isNaN(n) ? fallback : n;
  }

  /** Form bodies carry objects as JSON strings (that is what WebClient sends); JSON bodies carry them as is. */
  json(key: string, errorCode = 'invalid_arguments'): unknown {
    const v = this.raw[key];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v);
    } catch {
      throw new SlackApiError(errorCode, { response_metadata: { messages: [`[ERROR] ${key} is not valid JSON`] } });
    }
  }

  /** Comma-separated id lists (users=U1,U2) or JSON arrays. */
  list(key: string): string[] {
    const v = this.raw[key];
    if (Array.isArray(v)) return v.map(String);
    const s = this.str(key);
    return s
      ? s
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
      : [];
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Shared helpers

const nowSec = () => Math.floor(Date.now() / 1000);

function botId(ctx: ApiContext): string {
  return ctx.state.bot.user_id;
}

/**
 * A channel the bot can see. Conversation methods take ids only; chat.postMessage/postEphemeral also take names.
 * Private channels the bot is not in do not exist for it (Slack answers channel_not_found).
 */
function visibleChannel(ctx: ApiContext, ref: string | undefined, acceptNames = false): ChannelRecord {
  if (!ref) throw new SlackApiError('channel_not_found');
  const rec = acceptNames ? ctx.state.resolveChannel(ref) : ctx.state.channels.get(ref);
  if (!rec) throw new SlackApiError('channel_not_found');
  if (rec.info.is_private && !rec.members.has(botId(ctx))) throw new SlackApiError('channel_not_found');
  return rec;
}

function memberChannel(ctx: ApiContext, ref: string | undefined): ChannelRecord {
  const rec = visibleChannel(ctx, ref);
  if (!rec.members.has(botId(ctx))) throw new SlackApiError('not_in_channel');
  return rec;
}

function notArchived(rec: ChannelRecord): ChannelRecord {
  if (rec.info.is_archived) throw new SlackApiError('is_archived');
  return rec;
}

function requireMessage(
  ctx: ApiContext,
  rec: ChannelRecord,
  ts: string | undefined,
  code = 'message_not_found',
): Message {
  const msg = ts ? ctx.state.findMessage(rec, ts) : undefined;
  if (!msg) throw new SlackApiError(code);
  return msg;
}

/** Opaque pagination cursor, base64 like Slack's. */
function encodeCursor(offset: number): string {
  return Buffer.from(`next:${offset}`).toString('base64');
}

function page<T>(items: T[], args: Args, defaultLimit = 100): { items: T[]; next: string } {
  const cursor = args.str('cursor');
  let offset = 0;
  if (cursor) {
    const m = /^next:(\d+)$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
    if (!m) throw new SlackApiError('invalid_cursor');
    offset = Number(m[1]);
  }
  const limit = Math.max(1, Math.min(1000, args.int('limit', defaultLimit) || defaultLimit));
  const slice = items.slice(offset, offset + limit);
  return { items: slice, next: offset + limit < items.length ? encodeCursor(offset + limit) : '' };
}

const BLOCK_TYPES = new Set([
  'section',
  'divider',
  'header',
  'context',
  'actions',
  'image',
  'input',
  'rich_text',
  'file',
  'video',
  'markdown',
  'call',
]);

function invalidBlocks(...messages: string[]): SlackApiError {
  return new SlackApiError('invalid_blocks', {
    errors: messages,
    response_metadata: { messages: messages.map((m) => `[ERROR] ${m}`) },
  });
}

/**
 * Validates blocks like Slack (known types, unique block_id, size limit) and fills in the block_id / action_id
 * Slack generates when the app leaves them out, so clicks can always name their target.
 */
export function normalizeBlocks(ctx: ApiContext, value: unknown, max: number): Block[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw invalidBlocks('blocks must be an array');
  if (value.length > max) throw invalidBlocks(`no more than ${max} items allowed [json-pointer:/blocks]`);
  const seen = new Set<string>();
  const blocks = value.map((raw, i) => {
    if (!raw || typeof raw !== 'object' || typeof (raw as Block).type !== 'string') {
      throw invalidBlocks(`missing required field: type [json-pointer:/blocks/${i}]`);
    }
    const block = structuredClone(raw) as Block;
    if (!BLOCK_TYPES.has(block.type))
      throw invalidBlocks(`unsupported type: ${block.type} [json-pointer:/blocks/${i}/type]`);
    block.block_id ??= ctx.state.newId('').slice(0, 5);
    if (seen.has(block.block_id))
      throw invalidBlocks(`duplicate block_id: ${block.block_id} [json-pointer:/blocks/${i}]`);
    seen.add(block.block_id);
    const elements: unknown[] = Array.isArray(block.elements) ? block.elements : [];
    const accessory = block.accessory ? [block.accessory] : [];
    const element = block.type === 'input' && block.element ? [block.element] : [];
    for (const el of [...elements, ...accessory, ...element]) {
      if (el && typeof el === 'object' && isInteractive((el as Block).type)) {
        (el as Block).action_id ??= ctx.state.newId('').slice(0, 5);
      }
    }
    return block;
  });
  const errors = blockErrors(blocks, max);
  if (errors.length) throw invalidBlocks(...errors);
  return blocks;
}

function isInteractive(type: string): boolean {
  return (
    type === 'button' ||
    type.endsWith('_select') ||
    type.endsWith('_input') ||
    type === 'checkboxes' ||
    type === 'radio_buttons' ||
    type === 'overflow' ||
    type === 'datepicker' ||
    type === 'timepicker'
  );
}

function botMessage(ctx: ApiContext, fields: Partial<Message>): Message {
  const { state } = ctx;
  return {
    type: 'message',
    user: state.bot.user_id,
    bot_id: state.bot.bot_id,
    app_id: state.bot.app_id,
    team: state.team.id,
    text: '',
    ts: state.nextTs(),
    ...fields,
  };
}

/** Text, blocks and attachments of a message-posting call, validated like chat.postMessage does. */
function messageContent(ctx: ApiContext, args: Args): Pick<Message, 'text' | 'blocks' | 'attachments' | 'metadata'> {
  const text = args.str('text');
  const blocks = normalizeBlocks(ctx, args.json('blocks', 'invalid_blocks'), 50);
  const attachments = args.json('attachments', 'invalid_attachments') as Record<string, unknown>[] | undefined;
  const metadata = args.json('metadata', 'invalid_metadata_format') as Record<string, unknown> | undefined;
  if (!text && !blocks?.length && !attachments?.length) throw new SlackApiError('no_text');
  if (text && text.length > 40_000) throw new SlackApiError('msg_too_long');
  const out: Pick<Message, 'text' | 'blocks' | 'attachments' | 'metadata'> = { text: text ?? '' };
  if (blocks) out.blocks = blocks;
  if (attachments) out.attachments = attachments;
  if (metadata) out.metadata = metadata;
  return out;
}

export function permalink(ctx: ApiContext, channel: string, msg: Message): string {
  const base = `${ctx.baseUrl}/archives/${channel}/p${msg.ts.replace('.', '')}`;
  return msg.thread_ts && msg.thread_ts !== msg.ts ? `${base}?thread_ts=${msg.thread_ts}&cid=${channel}` : base;
}

// ---------------------------------------------------------------------------------------------------------------
// auth / team

const auth: Record<string, Handler> = {
  'auth.test': (_a, ctx) => ({
    url: `${ctx.baseUrl}/`,
    team: ctx.state.team.name,
    user: ctx.state.bot.name,
    team_id: ctx.state.team.id,
    user_id: ctx.state.bot.user_id,
    bot_id: ctx.state.bot.bot_id,
    is_enterprise_install: false,
  }),
  'team.info': (_a, ctx) => ({
    team: { id: ctx.state.team.id, name: ctx.state.team.name, domain: ctx.state.team.domain },
  }),
};

// ---------------------------------------------------------------------------------------------------------------
// conversations.*

/** Slack's channel-name rules and the error code for each violation. */
export function channelNameError(name: string | undefined): string | undefined {
  if (!name) return 'invalid_name_required';
  if (name.length > 80) return 'invalid_name_maxlength';
  if (!/^[a-z0-9_-]+$/.test(name)) return 'invalid_name_specials';
  if (/^[_-]+$/.test(name)) return 'invalid_name_punctuation';
  return undefined;
}

/** Slack posts a channel_join notice for every member added, invited or not. */
function joinMessage(ctx: ApiContext, rec: ChannelRecord, user: string): void {
  ctx.state.systemMessage(rec, 'channel_join', user, `<@${user}> has joined the channel`);
}

const conversations: Record<string, Handler> = {
  'conversations.create': (args, ctx) => {
    const name = args.str('name');
    const err = channelNameError(name);
    if (err) throw new SlackApiError(err);
    for (const c of ctx.state.channels.values()) {
      if (!c.info.is_im && c.info.name === name) throw new SlackApiError('name_taken');
    }
    const rec = ctx.state.createChannel(name!, botId(ctx), args.bool('is_private'));
    return { channel: ctx.state.channelInfo(rec) };
  },

  'conversations.info': (args, ctx) => ({ channel: ctx.state.channelInfo(visibleChannel(ctx, args.str('channel'))) }),

  'conversations.invite': (args, ctx) => {
    const rec = notArchived(memberChannel(ctx, args.str('channel')));
    const users = args.list('users');
    if (users.length === 0) throw new SlackApiError('no_user');
    const errors: { user: string; ok: false; error: string }[] = [];
    for (const u of users) {
      const user = ctx.state.users.get(u);
      if (!user || user.deleted) errors.push({ user: u, ok: false, error: 'user_not_found' });
      else if (u === botId(ctx)) errors.push({ user: u, ok: false, error: 'cant_invite_self' });
      else if (rec.members.has(u)) errors.push({ user: u, ok: false, error: 'already_in_channel' });
    }
    if (errors.length) throw new SlackApiError(errors[0]!.error, { errors });
    for (const u of users) {
      rec.members.add(u);
      joinMessage(ctx, rec, u);
    }
    return { channel: ctx.state.channelInfo(rec) };
  },

  'conversations.join': (args, ctx) => {
    const rec = visibleChannel(ctx, args.str('channel'));
    if (rec.info.is_private || rec.info.is_im) throw new SlackApiError('method_not_supported_for_channel_type');
    notArchived(rec);
    if (rec.members.has(botId(ctx))) {
      return {
        channel: ctx.state.channelInfo(rec),
        warning: 'already_in_channel',
        response_metadata: { warnings: ['already_in_channel'] },
      };
    }
    rec.members.add(botId(ctx));
    joinMessage(ctx, rec, botId(ctx));
    return { channel: ctx.state.channelInfo(rec) };
  },

  'conversations.setTopic': (args, ctx) => setText(args, ctx, 'topic'),
  'conversations.setPurpose': (args, ctx) => setText(args, ctx, 'purpose'),

  'conversations.archive': (args, ctx) => {
    const rec = memberChannel(ctx, args.str('channel'));
    if (rec.info.is_archived) throw new SlackApiError('already_archived');
    if (rec.info.is_general) throw new SlackApiError('cant_archive_general');
    if (rec.info.is_im) throw new SlackApiError('method_not_supported_for_channel_type');
    ctx.state.systemMessage(rec, 'channel_archive', botId(ctx), `archived the channel`);
    rec.info.is_archived = true;
    ctx.state.touch();
    return {};
  },

  'conversations.history': (args, ctx) => {
    const rec = memberChannel(ctx, args.str('channel'));
    const oldest = Number(args.str('oldest') ?? 0);
    const latest = args.str('latest') ? Number(args.str('latest')) : Number.POSITIVE_INFINITY;
    const inclusive = args.bool('inclusive');
    const inRange = (ts: number) => (inclusive ? ts >= oldest && ts <= latest : ts > oldest && ts < latest);
    const all = ctx.state
      .topLevel(rec)
      .filter((m) => inRange(Number(m.ts)))
      .reverse();
    const { items, next } = page(all, args, 100);
    return {
      messages: items.map((m) => structuredClone(m)),
      has_more: next !== '',
      pin_count: rec.pins.size,
      channel_actions_ts: null,
      channel_actions_count: 0,
      response_metadata: { next_cursor: next },
    };
  },

  'conversations.replies': (args, ctx) => {
    const rec = memberChannel(ctx, args.str('channel'));
    const msg = requireMessage(ctx, rec, args.str('ts'), 'thread_not_found');
    const thread = ctx.state.thread(rec, msg.thread_ts ?? msg.ts);
    const { items, next } = page(thread, args, 1000);
    return {
      messages: items.map((m) => structuredClone(m)),
      has_more: next !== '',
      response_metadata: { next_cursor: next },
    };
  },

  'conversations.list': (args, ctx) => {
    const types = new Set(args.list('types').length ? args.list('types') : ['public_channel']);
    const excludeArchived = args.bool('exclude_archived');
    const all = [...ctx.state.channels.values()].filter((c) => {
      if (excludeArchived && c.info.is_archived) return false;
      if (c.info.is_im) return types.has('im') && c.members.has(botId(ctx));
      if (c.info.is_private) return types.has('private_channel') && c.members.has(botId(ctx));
      return types.has('public_channel');
    });
    const { items, next } = page(all, args, 100);
    return { channels: items.map((c) => ctx.state.channelInfo(c)), response_metadata: { next_cursor: next } };
  },

  'conversations.members': (args, ctx) => {
    const rec = visibleChannel(ctx, args.str('channel'));
    const { items, next } = page([...rec.members], args, 100);
    return { members: items, response_metadata: { next_cursor: next } };
  },

  'conversations.open': (args, ctx) => {
    const users = args.list('users').filter((u) => u !== botId(ctx));
    if (users.length !== 1) throw new SlackApiError(users.length === 0 ? 'users_list_not_supplied' : 'not_supported');
    const user = users[0]!;
    if (!ctx.state.users.has(user)) throw new SlackApiError('user_not_found');
    const existed = ctx.state.channels.has(`D${user.slice(1)}`);
    const rec = ctx.state.openDm(user);
    return { no_op: existed, already_open: existed, channel: { id: rec.info.id } };
  },
};

function setText(args: Args, ctx: ApiContext, field: 'topic' | 'purpose'): Result {
  const rec = notArchived(memberChannel(ctx, args.str('channel')));
  const value = args.str(field) ?? '';
  if (value.length > 250) throw new SlackApiError('too_long');
  rec.info[field] = { value, creator: botId(ctx), last_set: nowSec() };
  const verb = field === 'topic' ? 'set the channel topic' : 'set the channel purpose';
  ctx.state.systemMessage(rec, `channel_${field}`, botId(ctx), `${verb}: ${value}`);
  return { channel: ctx.state.channelInfo(rec) };
}

// ---------------------------------------------------------------------------------------------------------------
// chat.*

/** Posts a bot message into a channel (or thread); shared by chat.postMessage and file shares. */
export function postBotMessage(
  ctx: ApiContext,
  rec: ChannelRecord,
  fields: Partial<Message>,
  threadTs?: string,
  broadcast = false,
): Message {
  const msg = botMessage(ctx, fields);
  if (threadTs) {
    const parent = requireMessage(ctx, rec, threadTs, 'thread_not_found');
    msg.thread_ts = parent.thread_ts ?? parent.ts;
    if (broadcast) msg.subtype = 'thread_broadcast';
  }
  return ctx.state.addMessage(rec, msg);
}

const chat: Record<string, Handler> = {
  'chat.postMessage': (args, ctx) => {
    const rec = notArchived(visibleChannel(ctx, args.str('channel'), true));
    const content = messageContent(ctx, args);
    const msg = postBotMessage(ctx, rec, content, args.str('thread_ts') || undefined, args.bool('reply_broadcast'));
    return { channel: rec.info.id, ts: msg.ts, message: structuredClone(msg) };
  },

  'chat.update': (args, ctx) => {
    const rec = visibleChannel(ctx, args.str('channel'));
    const msg = requireMessage(ctx, rec, args.str('ts'));
    if (msg.bot_id !== ctx.state.bot.bot_id) throw new SlackApiError('cant_update_message');
    const text = args.str('text');
    const blocks = normalizeBlocks(ctx, args.json('blocks', 'invalid_blocks'), 50);
    const attachments = args.json('attachments', 'invalid_attachments') as Record<string, unknown>[] | undefined;
    if (text === undefined && blocks === undefined && attachments === undefined) throw new SlackApiError('no_text');
    if (text !== undefined) msg.text = text;
    if (blocks !== undefined) msg.blocks = blocks;
    if (attachments !== undefined) msg.attachments = attachments;
    msg.edited = { user: botId(ctx), ts: ctx.state.nextTs() };
    ctx.state.touch();
    return { channel: rec.info.id, ts: msg.ts, text: msg.text, message: structuredClone(msg) };
  },

  'chat.delete': (args, ctx) => {
    const rec = visibleChannel(ctx, args.str('channel'));
    const msg = requireMessage(ctx, rec, args.str('ts'));
    if (msg.bot_id !== ctx.state.bot.bot_id) throw new SlackApiError('cant_delete_message');
    ctx.state.deleteMessage(rec, msg.ts);
    return { channel: rec.info.id, ts: msg.ts };
  },

  'chat.postEphemeral': (args, ctx) => {
    const rec = notArchived(visibleChannel(ctx, args.str('channel'), true));
    const user = args.str('user');
    if (!user || !rec.members.has(user)) throw new SlackApiError('user_not_in_channel');
    const content = messageContent(ctx, args);
    const msg = botMessage(ctx, content);
    const threadTs = args.str('thread_ts');
    ctx.state.addEphemeral(user, {
      ...msg,
      ...(threadTs ? { thread_ts: threadTs } : {}),
      channel: rec.info.id,
      source: 'chat.postEphemeral',
    });
    return { message_ts: msg.ts };
  },

  'chat.getPermalink': (args, ctx) => {
    const rec = visibleChannel(ctx, args.str('channel'));
    const msg = requireMessage(ctx, rec, args.str('message_ts'));
    return { channel: rec.info.id, permalink: permalink(ctx, rec.info.id, msg) };
  },
};

// ---------------------------------------------------------------------------------------------------------------
// views.*

function viewArgumentError(message: string): SlackApiError {
  return new SlackApiError('invalid_arguments', { response_metadata: { messages: [`[ERROR] ${message}`] } });
}

/** Builds a stored view from the app's view payload, with Slack's validation of the common mistakes. */
export function buildView(ctx: ApiContext, raw: unknown, previous?: View): View {
  if (!raw || typeof raw !== 'object') throw viewArgumentError('missing required field: view');
  const v = raw as Record<string, unknown>;
  const type = v.type;
  if (type !== 'modal' && type !== 'home')
    throw viewArgumentError('must be one of modal, home [json-pointer:/view/type]');
  const title = v.title as Block | undefined;
  if (type === 'modal') {
    if (!title || typeof title.text !== 'string')
      throw viewArgumentError('missing required field: title [json-pointer:/view]');
  }
  const fieldErrors = viewFieldErrors(v);
  if (fieldErrors.length)
    throw new SlackApiError('invalid_arguments', {
      response_metadata: { messages: fieldErrors.map((m) => `[ERROR] ${m}`) },
    });
  let blocks: Block[];
  try {
    blocks = normalizeBlocks(ctx, v.blocks ?? [], 100) ?? [];
  } catch (e) {
    if (e instanceof SlackApiError) throw new SlackApiError('invalid_arguments', e.extra);
    throw e;
  }
  if (type === 'modal' && blocks.some((b) => b.type === 'input') && !v.submit) {
    throw viewArgumentError('must provide a submit property when an input block is present [json-pointer:/view]');
  }
  const id = previous?.id ?? ctx.state.newId('V');
  return {
    id,
    team_id: ctx.state.team.id,
    type,
    ...(title ? { title } : {}),
    submit: (v.submit as Block | undefined) ?? null,
    close: (v.close as Block | undefined) ?? null,
    blocks,
    private_metadata: typeof v.private_metadata === 'string' ? v.private_metadata : '',
    callback_id: typeof v.callback_id === 'string' ? v.callback_id : '',
    external_id: typeof v.external_id === 'string' ? v.external_id : (previous?.external_id ?? ''),
    state: { values: {} },
    hash: `${nowSec()}.${Math.random().toString(36).slice(2, 10)}`,
    clear_on_close: v.clear_on_close === true,
    notify_on_close: v.notify_on_close === true,
    root_view_id: previous?.root_view_id ?? id,
    previous_view_id: previous?.previous_view_id ?? null,
    app_id: ctx.state.bot.app_id,
    app_installed_team_id: ctx.state.team.id,
    bot_id: ctx.state.bot.bot_id,
  };
}

/** Resolves a trigger_id to its user; Slack's triggers expire after 3 s and work once. */
function useTrigger(ctx: ApiContext, triggerId: string | undefined): string {
  if (!triggerId) throw viewArgumentError('missing required field: trigger_id');
  const t = ctx.state.triggers.get(triggerId);
  if (!t) throw new SlackApiError('invalid_trigger_id');
  ctx.state.triggers.delete(triggerId);
  if (Date.now() > t.expiresAt) throw new SlackApiError('expired_trigger_id');
  return t.user;
}

const views: Record<string, Handler> = {
  'views.open': (args, ctx) => {
    const raw = args.json('view');
    const user = useTrigger(ctx, args.str('trigger_id'));
    const view = buildView(ctx, raw);
    if (view.type !== 'modal') throw viewArgumentError('views.open only opens modals [json-pointer:/view/type]');
    const stack = ctx.state.modalStack(user);
    stack.splice(0, stack.length, view);
    ctx.state.touch();
    return { view: structuredClone(view) };
  },

  'views.push': (args, ctx) => {
    const raw = args.json('view');
    const user = useTrigger(ctx, args.str('trigger_id'));
    const stack = ctx.state.modalStack(user);
    if (stack.length === 0) throw new SlackApiError('not_found');
    if (stack.length >= 3) throw new SlackApiError('push_limit_reached');
    const view = buildView(ctx, raw);
    view.root_view_id = stack[0]!.id;
    view.previous_view_id = stack[stack.length - 1]!.id;
    stack.push(view);
    ctx.state.touch();
    return { view: structuredClone(view) };
  },

  'views.update': (args, ctx) => {
    const ref = args.str('view_id') ?? args.str('external_id');
    if (!ref) throw viewArgumentError('either view_id or external_id is required');
    const found = ctx.state.findView(ref);
    if (!found || (args.str('view_id') && found.view.id !== ref)) throw new SlackApiError('not_found');
    const hash = args.str('hash');
    if (hash && hash !== found.view.hash) throw new SlackApiError('hash_conflict');
    const next = buildView(ctx, args.json('view'), found.view);
    Object.assign(found.view, next);
    ctx.state.touch();
    return { view: structuredClone(found.view) };
  },

  'views.publish': (args, ctx) => {
    const userId = args.str('user_id');
    if (!userId || !ctx.state.users.has(userId)) throw new SlackApiError('user_not_found');
    const previous = ctx.state.homes.get(userId);
    const hash = args.str('hash');
    if (hash && previous && hash !== previous.hash) throw new SlackApiError('hash_conflict');
    const view = buildView(ctx, args.json('view'), previous);
    if (view.type !== 'home')
      throw viewArgumentError('views.publish only publishes home views [json-pointer:/view/type]');
    ctx.state.homes.set(userId, view);
    ctx.state.touch();
    return { view: structuredClone(view) };
  },
};

// ---------------------------------------------------------------------------------------------------------------
// users.* / usergroups.*

const users: Record<string, Handler> = {
  'users.info': (args, ctx) => {
    const user = ctx.state.users.get(args.str('user') ?? '');
    if (!user) throw new SlackApiError('user_not_found');
    return { user: structuredClone(user) };
  },

  'users.list': (args, ctx) => {
    const { items, next } = page([...ctx.state.users.values()], args, 200);
    return { members: structuredClone(items), cache_ts: nowSec(), response_metadata: { next_cursor: next } };
  },

  'users.lookupByEmail': (args, ctx) => {
    const email = (args.str('email') ?? '').toLowerCase();
    const user = [...ctx.state.users.values()].find((u) => u.profile.email?.toLowerCase() === email);
    if (!user || !email) throw new SlackApiError('users_not_found');
    return { user: structuredClone(user) };
  },

  'usergroups.list': (args, ctx) => {
    const withUsers = args.bool('include_users');
    const usergroups = [...ctx.state.usergroups.values()].map((g) => {
      const { users: members, ...rest } = structuredClone(g);
      return withUsers ? { ...rest, users: members } : rest;
    });
    return { usergroups };
  },

  'usergroups.users.list': (args, ctx) => {
    const group = ctx.state.usergroups.get(args.str('usergroup') ?? '');
    if (!group) throw new SlackApiError('no_such_subteam');
    return { users: [...group.users] };
  },
};

// ---------------------------------------------------------------------------------------------------------------
// pins / bookmarks / reactions

const extras: Record<string, Handler> = {
  'pins.add': (args, ctx) => {
    const rec = memberChannel(ctx, args.str('channel'));
    const ts = args.str('timestamp');
    if (!ts) throw new SlackApiError('no_item_specified');
    const msg = requireMessage(ctx, rec, ts);
    if (rec.pins.has(ts)) throw new SlackApiError('already_pinned');
    rec.pins.add(ts);
    msg.pinned_to = [...(msg.pinned_to ?? []), rec.info.id];
    ctx.state.touch();
    return {};
  },

  'bookmarks.add': (args, ctx) => {
    const rec = memberChannel(ctx, args.str('channel_id'));
    const title = args.str('title');
    const type = args.str('type');
    const link = args.str('link') ?? '';
    if (!title) throw viewArgumentError('missing required field: title');
    if (type !== 'link') throw new SlackApiError('invalid_bookmark_type');
    if (!/^https?:\/\/\S+$/.test(link)) throw new SlackApiError('invalid_link');
    const now = nowSec();
    const bookmark: Bookmark = {
      id: ctx.state.newId('Bk'),
      channel_id: rec.info.id,
      title,
      link,
      emoji: args.str('emoji') ?? null,
      icon_url: null,
      type: 'link',
      entity_id: null,
      date_created: now,
      date_updated: 0,
      rank: String.fromCharCode(97 + rec.bookmarks.length),
      last_updated_by_user_id: botId(ctx),
      last_updated_by_team_id: ctx.state.team.id,
      shortcut_id: null,
      app_id: ctx.state.bot.app_id,
    };
    rec.bookmarks.push(bookmark);
    ctx.state.touch();
    return { bookmark: structuredClone(bookmark) };
  },

  'reactions.add': (args, ctx) => {
    const rec = visibleChannel(ctx, args.str('channel'));
    const ts = args.str('timestamp');
    if (!ts) throw new SlackApiError('no_item_specified');
    const msg = requireMessage(ctx, rec, ts);
    const name = (args.str('name') ?? '').replace(/^:|:$/g, '');
    if (!/^[a-z0-9_+'-]+$/.test(name)) throw new SlackApiError('invalid_name');
    msg.reactions ??= [];
    let reaction = msg.reactions.find((r) => r.name === name);
    if (!reaction) {
      reaction = { name, users: [], count: 0 };
      msg.reactions.push(reaction);
    }
    if (reaction.users.includes(botId(ctx))) throw new SlackApiError('already_reacted');
    reaction.users.push(botId(ctx));
    reaction.count++;
    ctx.state.touch();
    return {};
  },
};

// ---------------------------------------------------------------------------------------------------------------
// files (the external upload flow WebClient.filesUploadV2 uses)

const files: Record<string, Handler> = {
  'files.getUploadURLExternal': (args, ctx) => {
    const filename = args.str('filename');
    const length = args.int('length', -1);
    if (!filename || length < 0) throw viewArgumentError('filename and length are required');
    const id = ctx.state.newId('F');
    const ext = filename.includes('.') ? filename.split('.').pop()!.toLowerCase() : 'text';
    const file: SlackFile = {
      id,
      name: filename,
      title: filename,
      mimetype: ext === 'txt' || ext === 'md' || ext === 'text' ? 'text/plain' : 'application/octet-stream',
      filetype: ext,
      size: length,
      user: botId(ctx),
      created: nowSec(),
      url_private: `${ctx.baseUrl}/_emulator/files/${id}/${encodeURIComponent(filename)}`,
      permalink: `${ctx.baseUrl}/_emulator/files/${id}/${encodeURIComponent(filename)}`,
    };
    ctx.state.files.set(id, { file, content: null, length });
    return { upload_url: `${ctx.baseUrl}/_emulator/upload/${id}`, file_id: id };
  },

  'files.completeUploadExternal': (args, ctx) => {
    const list = args.json('files');
    if (!Array.isArray(list) || list.length === 0) throw viewArgumentError('files must be a non-empty array');
    const done: SlackFile[] = [];
    for (const entry of list as { id?: string; title?: string }[]) {
      const stored = ctx.state.files.get(entry.id ?? '');
      if (!stored || stored.content === null) throw new SlackApiError('file_not_found');
      if (entry.title) stored.file.title = entry.title;
      done.push(stored.file);
    }
    const channelId = args.str('channel_id') ?? args.list('channels')[0];
    if (channelId) {
      const rec = notArchived(visibleChannel(ctx, channelId));
      postBotMessage(
        ctx,
        rec,
        { text: args.str('initial_comment') ?? '', files: structuredClone(done) },
        args.str('thread_ts') || undefined,
      );
    }
    return { files: structuredClone(done) };
  },
};

/** Every Web API method the emulator serves. */
export const METHODS: Record<string, Handler> = {
  ...auth,
  ...conversations,
  ...chat,
  ...views,
  ...users,
  ...extras,
  ...files,
};

/** Runs one method; Slack's answer shape whether it succeeds or fails. */
export function callMethod(method: string, raw: Record<string, unknown>, ctx: ApiContext): Result {
  const handler = METHODS[method];
  if (!handler) return { ok: false, error: 'unknown_method' };
  try {
    return { ok: true, ...handler(new Args(raw), ctx) };
  } catch (e) {
    if (e instanceof SlackApiError) return { ok: false, error: e.code, ...e.extra };
    throw e;
  }
}
