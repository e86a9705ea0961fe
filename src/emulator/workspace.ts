import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { formatZodIssues, ValidationError } from '../errors.js';
import type {
  Bookmark,
  Channel,
  EphemeralMessage,
  Message,
  ResponseTarget,
  SlackFile,
  User,
  Usergroup,
  View,
} from './types.js';

// ---------------------------------------------------------------------------------------------------------------
// Seed file schema

const userSeed = z.object({
  id: z.string().regex(/^[UW][A-Z0-9]+$/, 'user ids look like U0ALICE'),
  name: z.string().min(1),
  real_name: z.string().optional(),
  display_name: z.string().optional(),
  title: z.string().default(''),
  email: z.string().email().optional(),
  tz: z.string().default('UTC'),
  is_admin: z.boolean().default(false),
  deleted: z.boolean().default(false),
});

const usergroupSeed = z.object({
  id: z.string().regex(/^S[A-Z0-9]+$/, 'user group ids look like S0SREONCALL'),
  handle: z.string().min(1),
  name: z.string().min(1),
  description: z.string().default(''),
  users: z.array(z.string()).default([]),
});

const channelSeed = z.object({
  id: z.string().regex(/^[CG][A-Z0-9]+$/, 'channel ids look like C0INCIDENTS'),
  name: z.string().regex(/^[a-z0-9_-]{1,80}$/, 'channel names are lowercase letters, digits, - and _'),
  is_private: z.boolean().default(false),
  is_general: z.boolean().default(false),
  is_archived: z.boolean().default(false),
  topic: z.string().default(''),
  purpose: z.string().default(''),
  members: z.array(z.string()).default([]),
});

export const workspaceSeedSchema = z
  .object({
    team: z.object({ id: z.string().min(1), name: z.string().min(1), domain: z.string().default('local-workspace') }),
    bot: z
      .object({
        user_id: z.string().default('U0BOT'),
        bot_id: z.string().default('B0BOT'),
        app_id: z.string().default('A0LOCAL'),
        name: z.string().default('incident-bot'),
      })
      .default({}),
    users: z.array(userSeed).default([]),
    usergroups: z.array(usergroupSeed).default([]),
    channels: z.array(channelSeed).default([]),
  })
  .superRefine((seed, ctx) => {
    const userIds = new Set([...seed.users.map((u) => u.id), seed.bot.user_id]);
    seed.usergroups.forEach((g, i) => {
      for (const u of g.users) {
        if (!userIds.has(u))
          ctx.addIssue({ code: 'custom', path: ['usergroups', i, 'users'], message: `unknown user ${u}` });
      }
    });
    seed.channels.forEach((c, i) => {
      for (const u of c.members) {
        if (!userIds.has(u))
          ctx.addIssue({ code: 'custom', path: ['channels', i, 'members'], message: `unknown user ${u}` });
      }
    });
  });

/** The seed as written in YAML (defaults optional). */
export type WorkspaceSeedInput = z.input<typeof workspaceSeedSchema>;
/** The seed after validation and defaults. */
export type WorkspaceSeed = z.infer<typeof workspaceSeedSchema>;

/** Where the shipped default seed lives, both from src/ (tsx, vitest) and from dist/ (built package). */
export function defaultWorkspacePath(): string {
  const candidates = [
    new URL('./workspace.default.yml', import.meta.url),
    new URL('../../src/emulator/workspace.default.yml', import.meta.url),
  ];
  for (const c of candidates) {
    const p = fileURLToPath(c);
    if (existsSync(p)) return p;
  }
  return fileURLToPath(candidates[0]!);
}

/** Parses and validates a seed; errors name the bad field so a user can fix their YAML. */
export function parseWorkspaceSeed(input: unknown, source = 'workspace'): WorkspaceSeed {
  const result = workspaceSeedSchema.safeParse(input);
  if (!result.success) {
    throw new ValidationError(`invalid emulator workspace (${source}): ${formatZodIssues(result.error.issues)}`);
  }
  return result.data;
}

export function loadWorkspaceSeed(pathOrSeed?: string | WorkspaceSeedInput): WorkspaceSeed {
  if (pathOrSeed !== undefined && typeof pathOrSeed !== 'string') return parseWorkspaceSeed(pathOrSeed);
  const path = pathOrSeed ?? defaultWorkspacePath();
  const text = readFileSync(path, 'utf8');
  return parseWorkspaceSeed(parseYaml(text), path);
}

// ---------------------------------------------------------------------------------------------------------------
// Runtime state

/** Internal channel record: the public shape plus what Slack keeps beside it. */
export interface ChannelRecord {
  info: Omit<Channel, 'num_members' | 'is_member'>;
  members: Set<string>;
  /** Every message of the channel, top-level and replies, in ts order. */
  messages: Message[];
  pins: Set<string>;
  bookmarks: Bookmark[];
}

export interface StoredFile {
  file: SlackFile;
  content: Buffer | null;
  length: number;
}

/** The stored form of a workspace (JSON); see WorkspaceState.snapshot(). */
export interface WorkspaceSnapshot {
  format: 1;
  team: string;
  idCounter: number;
  lastTsMicros: number;
  channels: {
    info: ChannelRecord['info'];
    members: string[];
    messages: Message[];
    pins: string[];
    bookmarks: Bookmark[];
  }[];
  ephemerals: Record<string, EphemeralMessage[]>;
  homes: Record<string, View>;
  files: { file: SlackFile; length: number; content: string | null }[];
}

/** Subtypes Slack posts on its own (joins, topic changes); ChannelView hides them unless asked. */
export const SYSTEM_SUBTYPES = new Set([
  'channel_join',
  'channel_leave',
  'channel_topic',
  'channel_purpose',
  'channel_archive',
]);

const nowSec = () => Math.floor(Date.now() / 1000);

/**
 * The whole emulated workspace. Mutations go through methods so `version` moves and the UI can poll cheaply.
 * Tests read it for assertions; only the emulator writes it.
 */
export class WorkspaceState {
  readonly team: WorkspaceSeed['team'];
  readonly bot: WorkspaceSeed['bot'];
  readonly users = new Map<string, User>();
  readonly usergroups = new Map<string, Usergroup>();
  readonly channels = new Map<string, ChannelRecord>();
  /** Ephemeral messages and response_url replies, per user id. */
  readonly ephemerals = new Map<string, EphemeralMessage[]>();
  /** Open modal stacks per user id (last = top). */
  readonly modals = new Map<string, View[]>();
  /** Published App Home views per user id. */
  readonly homes = new Map<string, View>();
  readonly files = new Map<string, StoredFile>();
  readonly responseTargets = new Map<string, ResponseTarget>();
  /** trigger_id → user and expiry (Slack: 3 seconds). */
  readonly triggers = new Map<string, { user: string; expiresAt: number }>();
  version = 0;
  private lastTsMicros = 0;
  private idCounter = 0;
  private readonly listeners = new Set<() => void>();

  constructor(seed: WorkspaceSeed) {
    this.team = seed.team;
    this.bot = seed.bot;
    this.seedUsers(seed);
    for (const g of seed.usergroups) {
      this.usergroups.set(g.id, {
        id: g.id,
        team_id: seed.team.id,
        is_usergroup: true,
        name: g.name,
        description: g.description,
        handle: g.handle,
        is_external: false,
        date_create: nowSec(),
        date_update: nowSec(),
        date_delete: 0,
        created_by: seed.bot.user_id,
        user_count: g.users.length,
        users: [...g.users],
      });
    }
    for (const c of seed.channels) {
      const rec = this.createChannel(c.name, this.firstHuman() ?? seed.bot.user_id, c.is_private, c.id);
      rec.info.is_general = c.is_general;
      rec.info.is_archived = c.is_archived;
      rec.info.topic.value = c.topic;
      rec.info.purpose.value = c.purpose;
      for (const m of c.members) rec.members.add(m);
    }
  }

  private seedUsers(seed: WorkspaceSeed): void {
    const mk = (id: string, name: string, realName: string, title: string, isBot: boolean, extra: Partial<User>) => {
      const user: User = {
        id,
        team_id: seed.team.id,
        name,
        deleted: false,
        real_name: realName,
        tz: 'UTC',
        tz_label: 'Coordinated Universal Time',
        tz_offset: 0,
        is_admin: false,
        is_owner: false,
        is_bot: isBot,
        is_app_user: false,
        updated: nowSec(),
        profile: {
          title,
          real_name: realName,
          real_name_normalized: realName,
          display_name: name,
          display_name_normalized: name,
          image_48: '',
          team: seed.team.id,
        },
        ...extra,
      };
      this.users.set(id, user);
      return user;
    };
    for (const u of seed.users) {
      const user = mk(u.id, u.name, u.real_name ?? u.name, u.title, false, {
        tz: u.tz,
        is_admin: u.is_admin,
        deleted: u.deleted,
      });
      if (u.display_name) user.profile.display_name = user.profile.display_name_normalized = u.display_name;
      if (u.email) user.profile.email = u.email;
    }
    const bot = mk(seed.bot.user_id, seed.bot.name, seed.bot.name, '', true, {});
    bot.profile.bot_id = seed.bot.bot_id;
  }

  private firstHuman(): string | undefined {
    for (const u of this.users.values()) if (!u.is_bot) return u.id;
    return undefined;
  }

  // -- persistence ---------------------------------------------------------------------------------------------

  /**
   * What must outlive a restart: channels with members, messages, pins and bookmarks; ephemerals, App Home
   * views and files; the id and ts counters (so new ids never collide with stored ones). Users and user groups
   * come from the seed each time; triggers and open modals are short-lived on Slack too and are not kept.
   */
  snapshot(): WorkspaceSnapshot {
    return {
      format: 1,
      team: this.team.id,
      idCounter: this.idCounter,
      lastTsMicros: this.lastTsMicros,
      channels: [...this.channels.values()].map((c) => ({
        info: c.info,
        members: [...c.members],
        messages: c.messages,
        pins: [...c.pins],
        bookmarks: c.bookmarks,
      })),
      ephemerals: Object.fromEntries(this.ephemerals),
      homes: Object.fromEntries(this.homes),
      files: [...this.files.values()].map((f) => ({
        file: f.file,
        length: f.length,
        content: f.content ? f.content.toString('base64') : null,
      })),
    };
  }

  /** Replaces channels, messages, homes and files with a snapshot's (see snapshot()). */
  restore(snap: WorkspaceSnapshot): void {
    if (snap.format !== 1) throw new ValidationError(`emulator workspace snapshot: unknown format ${snap.format}`);
    if (snap.team !== this.team.id)
      throw new ValidationError(
        `emulator workspace snapshot belongs to team ${snap.team}, not ${this.team.id} (start with --reset-workspace)`,
      );
    this.channels.clear();
    for (const c of snap.channels) {
      this.channels.set(c.info.id, {
        info: c.info,
        members: new Set(c.members),
        messages: c.messages,
        pins: new Set(c.pins),
        bookmarks: c.bookmarks,
      });
    }
    this.ephemerals.clear();
    for (const [u, list] of Object.entries(snap.ephemerals)) this.ephemerals.set(u, list);
    this.homes.clear();
    for (const [u, v] of Object.entries(snap.homes)) this.homes.set(u, v);
    this.files.clear();
    for (const f of snap.files)
      this.files.set(f.file.id, {
        file: f.file,
        length: f.length,
        content: f.content === null ? null : Buffer.from(f.content, 'base64'),
      });
    this.idCounter = Math.max(this.idCounter, snap.idCounter);
    this.lastTsMicros = Math.max(this.lastTsMicros, snap.lastTsMicros);
    this.touch();
  }

  // -- change notification -------------------------------------------------------------------------------------

  /** Marks the state changed (UI polling and waiters key on `version`). */
  touch(): void {
    this.version++;
    for (const l of this.listeners) l();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // -- ids and timestamps --------------------------------------------------------------------------------------

  /** Slack-style message ts ("1700000000.000100"), strictly increasing even within one microsecond. */
  nextTs(): string {
    const micros = Math.max(Date.now() * 1000, this.lastTsMicros + 1);
    this.lastTsMicros = micros;
    const sec = Math.floor(micros / 1_000_000);
    return `${sec}.${String(micros % 1_000_000).padStart(6, '0')}`;
  }

  /** Unique id with Slack's prefix convention (C channel, V view, F file, Bk bookmark...). */
  newId(prefix: string): string {
    this.idCounter++;
    const rand = Math.random().toString(36).slice(2, 8).toUpperCase();
    return `${prefix}${String(this.idCounter).padStart(3, '0')}${rand}`;
  }

  // -- lookups --------------------------------------------------------------------------------------------------

  /** Accepts U0ALICE, alice, @alice or alice@example.com. */
  resolveUser(ref: string): User | undefined {
    const r = ref.trim().replace(/^@/, '');
    const byId = this.users.get(r) ?? this.users.get(r.toUpperCase());
    if (byId) return byId;
    for (const u of this.users.values()) {
      if (u.name === r || u.profile.email === r || u.profile.display_name === r) return u;
    }
    return undefined;
  }

  /** Accepts C0…, #name or name, as chat.postMessage does. A user id resolves to the DM with the bot. */
  resolveChannel(ref: string): ChannelRecord | undefined {
    const r = ref.trim();
    const byId = this.channels.get(r);
    if (byId) return byId;
    const name = r.replace(/^#/, '');
    for (const c of this.channels.values()) if (!c.info.is_im && c.info.name === name) return c;
    if (/^[UW][A-Z0-9]+$/.test(r) && this.users.has(r)) return this.openDm(r);
    return undefined;
  }

  resolveUsergroup(ref: string): Usergroup | undefined {
    const r = ref.replace(/^@/, '');
    const byId = this.usergroups.get(r);
    if (byId) return byId;
    for (const g of this.usergroups.values()) if (g.handle === r) return g;
    return undefined;
  }

  /** The public conversations.info shape, as seen by `viewer` (is_member). */
  channelInfo(rec: ChannelRecord, viewer = this.bot.user_id): Channel {
    return { ...rec.info, num_members: rec.members.size, is_member: rec.members.has(viewer) };
  }

  /** Every conversation (channels, private channels, DMs) in creation order, as conversations.info shows them. */
  listChannels(): Channel[] {
    return [...this.channels.values()].map((c) => this.channelInfo(c));
  }

  // -- mutations ------------------------------------------------------------------------------------------------

  createChannel(name: string, creator: string, isPrivate = false, id?: string): ChannelRecord {
    const created = nowSec();
    const cid = id ?? this.newId(isPrivate ? 'G' : 'C');
    const rec: ChannelRecord = {
      info: {
        id: cid,
        name,
        is_channel: !isPrivate,
        is_group: isPrivate,
        is_im: false,
        is_mpim: false,
        is_private: isPrivate,
        is_archived: false,
        is_general: false,
        is_shared: false,
        is_ext_shared: false,
        is_org_shared: false,
        created,
        creator,
        name_normalized: name,
        topic: { value: '', creator: '', last_set: 0 },
        purpose: { value: '', creator: '', last_set: 0 },
      },
      members: new Set([creator]),
      messages: [],
      pins: new Set(),
      bookmarks: [],
    };
    this.channels.set(cid, rec);
    this.touch();
    return rec;
  }

  /** The bot's DM with a user (what conversations.open returns); created on first use. */
  openDm(userId: string): ChannelRecord {
    const id = `D${userId.slice(1)}`;
    const existing = this.channels.get(id);
    if (existing) return existing;
    const rec = this.createChannel(userId, this.bot.user_id, true, id);
    Object.assign(rec.info, { is_channel: false, is_group: false, is_im: true, is_private: true, user: userId });
    rec.members.add(userId);
    return rec;
  }

  addMessage(rec: ChannelRecord, message: Message): Message {
    rec.messages.push(message);
    if (message.thread_ts && message.thread_ts !== message.ts) this.noteReply(rec, message);
    this.touch();
    return message;
  }

  /** Keeps the parent's reply_count / reply_users / latest_reply as Slack reports them. */
  private noteReply(rec: ChannelRecord, reply: Message): void {
    const parent = this.findMessage(rec, reply.thread_ts!);
    if (!parent) return;
    parent.thread_ts = parent.ts;
    parent.reply_count = (parent.reply_count ?? 0) + 1;
    const who = reply.user ?? reply.bot_id ?? '';
    const users = new Set(parent.reply_users ?? []);
    users.add(who);
    parent.reply_users = [...users];
    parent.reply_users_count = users.size;
    parent.latest_reply = reply.ts;
    parent.subscribed = false;
  }

  findMessage(rec: ChannelRecord, ts: string): Message | undefined {
    return rec.messages.find((m) => m.ts === ts);
  }

  /** Top-level messages (including thread broadcasts), oldest first: what a channel shows. */
  topLevel(rec: ChannelRecord): Message[] {
    return rec.messages.filter((m) => !m.thread_ts || m.thread_ts === m.ts || m.subtype === 'thread_broadcast');
  }

  /** Parent then replies, oldest first (conversations.replies). Broadcast copies are replies too. */
  thread(rec: ChannelRecord, ts: string): Message[] {
    const parent = this.findMessage(rec, ts);
    if (!parent) return [];
    const replies = rec.messages.filter((m) => m.thread_ts === ts && m.ts !== ts);
    return [parent, ...replies];
  }

  deleteMessage(rec: ChannelRecord, ts: string): boolean {
    const i = rec.messages.findIndex((m) => m.ts === ts);
    if (i < 0) return false;
    rec.messages.splice(i, 1);
    rec.pins.delete(ts);
    this.touch();
    return true;
  }

  /** Posts a Slack system message (channel_join, channel_topic...) from `user`. */
  systemMessage(rec: ChannelRecord, subtype: string, user: string, text: string): Message {
    return this.addMessage(rec, { type: 'message', subtype, user, text, ts: this.nextTs() });
  }

  addEphemeral(user: string, msg: Omit<EphemeralMessage, 'ts' | 'type'> & { ts?: string }): EphemeralMessage {
    const full: EphemeralMessage = { type: 'message', ...msg, ts: msg.ts ?? this.nextTs() };
    const list = this.ephemerals.get(user) ?? [];
    list.push(full);
    this.ephemerals.set(user, list);
    this.touch();
    return full;
  }

  modalStack(user: string): View[] {
    let stack = this.modals.get(user);
    if (!stack) {
      stack = [];
      this.modals.set(user, stack);
    }
    return stack;
  }

  /** Finds an open modal or home view by id, external_id or callback_id (the latter for test convenience). */
  findView(ref: string, user?: string): { view: View; user: string } | undefined {
    const users = user ? [user] : [...this.modals.keys(), ...this.homes.keys()];
    for (const u of users) {
      const stack = [...(this.modals.get(u) ?? [])].reverse();
      const home = this.homes.get(u);
      for (const v of home ? [...stack, home] : stack) {
        if (v.id === ref || (v.external_id && v.external_id === ref)) return { view: v, user: u };
      }
      for (const v of stack) if (v.callback_id === ref) return { view: v, user: u };
    }
    return undefined;
  }

  issueTrigger(user: string): string {
    const id = `${Date.now()}.${this.newId('').replace(/\D/g, '')}.${Math.random().toString(16).slice(2, 34)}`;
    this.triggers.set(id, { user, expiresAt: Date.now() + 3000 });
    return id;
  }

  issueResponseTarget(t: Omit<ResponseTarget, 'id' | 'usesLeft' | 'expiresAt'>): ResponseTarget {
    const target: ResponseTarget = { ...t, id: this.newId('R'), usesLeft: 5, expiresAt: Date.now() + 30 * 60_000 };
    this.responseTargets.set(target.id, target);
    return target;
  }
}
