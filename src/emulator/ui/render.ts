import type { EphemeralMessage, Message, View } from '../types.js';
import { type ChannelRecord, SYSTEM_SUBTYPES, type WorkspaceState } from '../workspace.js';
import { esc, mrkdwn, type RenderContext, renderBlocks, renderForm } from './blockkit.js';

/** The pieces of the page the browser swaps in on every poll. */
export interface UiFragments {
  version: number;
  user: string;
  channel: string;
  sidebar: string;
  main: string;
  title: string;
  /** Changes only when the open modal changes, so typing in a modal is not wiped by a refresh. */
  modalKey: string;
  modal: string;
}

export function renderContext(state: WorkspaceState): RenderContext {
  return {
    userName: (id) => state.users.get(id)?.name ?? (id === 'USLACKBOT' ? 'Slackbot' : id),
    channelName: (id) => state.channels.get(id)?.info.name ?? id,
    groupHandle: (id) => state.usergroups.get(id)?.handle ?? id,
    users: () => [...state.users.values()].filter((u) => !u.is_bot).map((u) => ({ id: u.id, name: u.name })),
    channels: () =>
      [...state.channels.values()].filter((c) => !c.info.is_im).map((c) => ({ id: c.info.id, name: c.info.name })),
  };
}

const HOME = '@home';

/** Channels the sidebar lists for a user: public ones, plus private channels and DMs they are in. */
function visibleChannels(state: WorkspaceState, userId: string): ChannelRecord[] {
  return [...state.channels.values()].filter((c) => !c.info.is_private || c.members.has(userId));
}

function channelLabel(state: WorkspaceState, c: ChannelRecord): string {
  if (c.info.is_im) return `@${state.bot.name}`;
  return `${c.info.is_private ? '🔒' : '#'}${c.info.name}`;
}

function sidebar(state: WorkspaceState, userId: string, current: string): string {
  const items = visibleChannels(state, userId)
    .sort((a, b) => Number(a.info.is_im) - Number(b.info.is_im) || a.info.created - b.info.created)
    .map((c) => {
      const cls = [
        'chan',
        c.info.id === current ? 'active' : '',
        c.members.has(userId) ? '' : 'not-member',
        c.info.is_archived ? 'archived' : '',
      ].join(' ');
      return `<li><a href="#" class="${cls.trim()}" data-channel="${esc(c.info.id)}" data-name="${esc(c.info.name)}">${esc(channelLabel(state, c))}</a></li>`;
    });
  const home = `<li><a href="#" class="chan${current === HOME ? ' active' : ''}" data-channel="${HOME}">🏠 ${esc(state.bot.name)} (Home)</a></li>`;
  return `<ul class="channels">${home}${items.join('')}</ul>`;
}

function clock(ts: string): string {
  return new Date(Number(ts) * 1000).toISOString().slice(11, 19);
}

function author(state: WorkspaceState, m: Message): { name: string; app: boolean } {
  if (m.bot_id) return { name: state.bot.name, app: true };
  if (m.user === 'USLACKBOT') return { name: 'Slackbot', app: true };
  const u = m.user ? state.users.get(m.user) : undefined;
  return { name: u?.real_name || u?.name || m.user || 'unknown', app: Boolean(u?.is_bot) };
}

const NAMED_COLORS: Record<string, string> = { good: '#2eb886', warning: '#daa038', danger: '#a30200' };

/** Legacy attachment colour: Slack's names or hex (with or without #); anything else is ignored. */
function attachmentColor(color: unknown): string {
  if (typeof color !== 'string') return '#ddd';
  if (NAMED_COLORS[color]) return NAMED_COLORS[color];
  const m = /^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.exec(color);
  return m ? `#${m[1]}` : '#ddd';
}

function messageBody(m: Message, ctx: RenderContext): string {
  const blocks = m.blocks?.length ? `<div class="blocks">${renderBlocks(m.blocks, ctx)}</div>` : '';
  const text = !blocks && m.text ? `<div class="text">${mrkdwn(m.text, ctx)}</div>` : '';
  const attachments = (m.attachments ?? [])
    .map((a) => {
      const inner = [
        typeof a.title === 'string' ? `<b>${esc(a.title)}</b>` : '',
        typeof a.text === 'string' ? mrkdwn(a.text, ctx) : '',
        Array.isArray(a.blocks) ? renderBlocks(a.blocks, ctx) : '',
      ].join('');
      const hex = attachmentColor(a.color);
      return `<div class="attachment" style="border-color:${esc(hex)}">${inner}</div>`;
    })
    .join('');
  const files = (m.files ?? [])
    .map(
      (f) =>
        `<div class="file">📄 <a href="${esc(f.url_private)}" target="_blank" rel="noopener">${esc(f.title || f.name)}</a> <span class="muted">${esc(f.size)} bytes</span></div>`,
    )
    .join('');
  const reactions = m.reactions?.length
    ? `<div class="reactions">${m.reactions.map((r) => `<span class="reaction">:${esc(r.name)}: ${r.count}</span>`).join('')}</div>`
    : '';
  return text + blocks + attachments + files + reactions;
}

function renderMessage(state: WorkspaceState, m: Message, ctx: RenderContext, extraClass = ''): string {
  if (m.subtype && SYSTEM_SUBTYPES.has(m.subtype)) {
    return `<div class="msg system" data-ts="${esc(m.ts)}"><span class="muted">${esc(author(state, m).name)} ${mrkdwn(m.text, ctx)}</span></div>`;
  }
  const who = author(state, m);
  const badges = [
    who.app ? '<span class="badge">APP</span>' : '',
    m.edited ? '<span class="muted">(edited)</span>' : '',
    m.pinned_to?.length ? '<span class="badge pin">📌 pinned</span>' : '',
    m.subtype === 'thread_broadcast' ? '<span class="muted">replied to a thread</span>' : '',
  ].join(' ');
  return `<div class="msg ${extraClass}" data-ts="${esc(m.ts)}">
    <div class="meta"><b>${esc(who.name)}</b> ${badges} <span class="muted ts">${clock(m.ts)}</span></div>
    ${messageBody(m, ctx)}</div>`;
}

function renderThread(
  state: WorkspaceState,
  rec: ChannelRecord,
  parent: Message,
  ephemerals: EphemeralMessage[],
  ctx: RenderContext,
): string {
  const replies = state.thread(rec, parent.ts).slice(1);
  const own = ephemerals.filter((e) => e.thread_ts === parent.ts);
  if (!replies.length && !own.length) return '';
  const body = [
    ...replies.map((r) => renderMessage(state, r, ctx, 'reply')),
    ...own.map((e) => renderEphemeral(state, e, ctx)),
  ].join('');
  const n = parent.reply_count ?? replies.length;
  return `<details class="thread" data-thread="${esc(parent.ts)}"><summary>${n} ${n === 1 ? 'reply' : 'replies'}</summary>${body}</details>`;
}

function renderEphemeral(state: WorkspaceState, e: EphemeralMessage, ctx: RenderContext): string {
  return renderMessage(state, e, ctx, 'ephemeral').replace(
    '<div class="meta">',
    '<div class="eph-note">Only visible to you</div><div class="meta">',
  );
}

function channelMain(state: WorkspaceState, rec: ChannelRecord, userId: string, ctx: RenderContext): string {
  const ephemerals = (state.ephemerals.get(userId) ?? []).filter((e) => e.channel === rec.info.id);
  const items: { ts: string; html: string }[] = [];
  for (const m of state.topLevel(rec)) {
    items.push({ ts: m.ts, html: renderMessage(state, m, ctx) + renderThread(state, rec, m, ephemerals, ctx) });
  }
  for (const e of ephemerals.filter((x) => !x.thread_ts))
    items.push({ ts: e.ts, html: renderEphemeral(state, e, ctx) });
  items.sort((a, b) => Number(a.ts) - Number(b.ts));
  const topic = rec.info.topic.value ? `<div class="topic">${mrkdwn(rec.info.topic.value, ctx)}</div>` : '';
  const bookmarks = rec.bookmarks.length
    ? `<div class="bookmarks">${rec.bookmarks.map((b) => `🔖 <a href="${esc(/^https?:/i.test(b.link) ? b.link : '#')}" target="_blank" rel="noopener">${esc(b.title)}</a>`).join(' ')}</div>`
    : '';
  const members = `<div class="muted">${rec.members.size} members${rec.info.is_archived ? ' · archived' : ''}${rec.members.has(userId) ? '' : ' · you are not a member'}</div>`;
  const empty = items.length ? '' : '<div class="muted empty">No messages yet.</div>';
  return `<div class="chan-head">${topic}${bookmarks}${members}</div><div class="messages">${empty}${items.map((i) => i.html).join('')}</div>`;
}

function homeMain(state: WorkspaceState, userId: string, ctx: RenderContext): string {
  const home = state.homes.get(userId);
  if (!home) return '<div class="muted empty">The app has not published a Home tab for this user yet.</div>';
  return `<div class="home" data-view-id="${esc(home.id)}">${renderBlocks(home.blocks, ctx)}</div>`;
}

function modal(view: View | undefined, ctx: RenderContext): string {
  if (!view) return '';
  const title = esc((view.title as { text?: string } | undefined)?.text ?? '');
  const submit = view.submit ? esc((view.submit as { text?: string }).text ?? 'Submit') : '';
  const close = esc((view.close as { text?: string } | null)?.text ?? 'Cancel');
  return `<div class="overlay"><form class="modal" data-view-id="${esc(view.id)}">
    <h2>${title}</h2>
    <div class="modal-body">${renderForm(view.blocks, view.errors, ctx, view.state.values)}</div>
    <div class="modal-foot"><button type="button" class="btn" data-close-view="${esc(view.id)}">${close}</button>
    ${submit ? `<button type="submit" class="btn btn-primary">${submit}</button>` : ''}</div>
  </form></div>`;
}

/** Everything the page shows for one user looking at one channel. */
export function renderFragments(state: WorkspaceState, userRef: string, channelRef: string): UiFragments {
  const ctx = renderContext(state);
  const user = state.resolveUser(userRef) ?? [...state.users.values()].find((u) => !u.is_bot)!;
  const isHome = channelRef === HOME;
  const rec = isHome
    ? undefined
    : (state.resolveChannel(channelRef) ?? state.resolveChannel('#incidents') ?? [...state.channels.values()][0]);
  const top = state.modals.get(user.id)?.at(-1);
  return {
    version: state.version,
    user: user.id,
    channel: isHome ? HOME : (rec?.info.id ?? ''),
    sidebar: sidebar(state, user.id, isHome ? HOME : (rec?.info.id ?? '')),
    title: isHome ? `${state.bot.name} — Home` : rec ? channelLabel(state, rec) : '',
    main: isHome ? homeMain(state, user.id, ctx) : rec ? channelMain(state, rec, user.id, ctx) : '',
    modalKey: top ? `${top.id}:${top.hash}:${JSON.stringify(top.errors ?? {})}` : '',
    modal: modal(top, ctx),
  };
}
