import type { ClickTarget, InteractionResult, Interactions } from './interactions.js';
import type { Bookmark, Channel, EphemeralMessage, Message, TextValue, View } from './types.js';
import { type ChannelRecord, SYSTEM_SUBTYPES, type WorkspaceState } from './workspace.js';

/** A user acting in the workspace: what a person does in the Slack client, as calls. */
export interface UserDriver {
  readonly userId: string;
  /** The same user, acting in another channel (default: #incidents). */
  in(channel: string): UserDriver;
  /** Types `/command text`; resolves with the app's ack (status and body). */
  slash(command: string, text: string): Promise<InteractionResult>;
  /** Clicks a button (or picks `value` in a select) in the newest message that has it, or in the open modal. */
  click(target: ClickTarget): Promise<InteractionResult>;
  /** Submits an open modal (by view id, external_id or callback_id) with values keyed blockId → actionId. */
  submitView(viewIdOrCallbackId: string, values?: Record<string, Record<string, unknown>>): Promise<InteractionResult>;
  /** Dismisses the open modal (view_closed is sent when the app set notify_on_close). */
  closeView(viewIdOrCallbackId: string): Promise<void>;
  /** Opens the App Home tab (app_home_opened event). */
  openHome(): Promise<void>;
  /** Posts a message as this user (message / app_mention events); returns the stored message. */
  say(text: string, opts?: { threadTs?: string }): Promise<Message>;
  /** Ephemeral messages, acks and response_url replies this user has seen, oldest first. */
  ephemerals(): EphemeralMessage[];
  /** This user's open modal stack (last = top). */
  openViews(): View[];
  /** The App Home view published for this user, if any. */
  home(): View | undefined;
}

/** Read-only view of a channel for assertions. */
export interface ChannelView {
  readonly id: string;
  readonly info: Channel;
  readonly members: string[];
  readonly topic: TextValue;
  readonly purpose: TextValue;
  /** Pinned messages. */
  readonly pins: Message[];
  readonly bookmarks: Bookmark[];
  /** Top-level messages oldest first, as the channel shows them; Slack's join/topic notices only when asked. */
  messages(opts?: { includeSystem?: boolean }): Message[];
  /** Parent then replies, oldest first. */
  thread(ts: string): Message[];
  /** Newest top-level message (system notices excluded). */
  latest(): Message | undefined;
}

export function channelView(state: WorkspaceState, rec: ChannelRecord): ChannelView {
  return {
    id: rec.info.id,
    get info() {
      return state.channelInfo(rec);
    },
    get members() {
      return [...rec.members];
    },
    get topic() {
      return { ...rec.info.topic };
    },
    get purpose() {
      return { ...rec.info.purpose };
    },
    get pins() {
      return rec.messages.filter((m) => rec.pins.has(m.ts));
    },
    get bookmarks() {
      return [...rec.bookmarks];
    },
    messages(opts = {}) {
      const all = state.topLevel(rec);
      return opts.includeSystem ? all : all.filter((m) => !m.subtype || !SYSTEM_SUBTYPES.has(m.subtype));
    },
    thread(ts) {
      return state.thread(rec, ts);
    },
    latest() {
      return this.messages().at(-1);
    },
  };
}

export function userDriver(
  state: WorkspaceState,
  interactions: Interactions,
  userRef: string,
  channelRef = '#incidents',
): UserDriver {
  const user = interactions.requireUser(userRef);
  return {
    userId: user.id,
    in: (channel) => userDriver(state, interactions, user.id, channel),
    slash: (command, text) => interactions.slash(user.id, channelRef, command, text),
    click: (target) => interactions.click(user.id, channelRef, target),
    submitView: (ref, values = {}) => interactions.submitView(user.id, ref, values),
    closeView: async (ref) => {
      await interactions.closeView(user.id, ref);
    },
    openHome: async () => {
      await interactions.openHome(user.id);
    },
    say: async (text, opts = {}) => (await interactions.say(user.id, channelRef, text, opts.threadTs)).message,
    ephemerals: () => [...(state.ephemerals.get(user.id) ?? [])],
    openViews: () => [...(state.modals.get(user.id) ?? [])],
    home: () => state.homes.get(user.id),
  };
}
