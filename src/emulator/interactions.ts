import { blockErrors } from './block-limits.js';
import type { AckBody, Deliverer, DeliveryResult } from './deliver.js';
import type { Block, EphemeralMessage, Message, User, View } from './types.js';
import { type ApiContext, buildView, postBotMessage, SlackApiError } from './web-api.js';
import type { ChannelRecord, WorkspaceState } from './workspace.js';

/** Legacy verification token Slack still puts in payloads; Bolt ignores it (it checks signatures). */
export const VERIFICATION_TOKEN = 'emulator-verification-token';

export interface InteractionResult {
  status: number;
  body: AckBody;
  error?: string;
}

export interface ClickTarget {
  actionId: string;
  blockId?: string;
  /** Picks among buttons sharing an action_id, or the option to select in a select/overflow/radio. */
  value?: string;
  channel?: string;
  messageTs?: string;
  /** Click inside an open modal or the App Home instead of a message. */
  viewId?: string;
}

/** Where a clickable element was found. */
interface Located {
  element: Block;
  block: Block;
  container:
    | { kind: 'message'; channel: ChannelRecord; message: Message }
    | { kind: 'ephemeral'; channel: ChannelRecord; message: EphemeralMessage }
    | { kind: 'view'; view: View };
}

/** Elements a user can act on inside a block (actions elements, section accessory, input element). */
function elementsOf(block: Block): Block[] {
  const out: Block[] = [];
  if (Array.isArray(block.elements)) out.push(...(block.elements as Block[]));
  if (block.accessory && typeof block.accessory === 'object') out.push(block.accessory as Block);
  if (block.type === 'input' && block.element && typeof block.element === 'object') out.push(block.element as Block);
  return out.filter((e) => e && typeof e === 'object' && typeof e.action_id === 'string');
}

function findInBlocks(blocks: Block[] | undefined, t: ClickTarget): { element: Block; block: Block } | undefined {
  for (const block of blocks ?? []) {
    if (t.blockId && block.block_id !== t.blockId) continue;
    for (const element of elementsOf(block)) {
      if (element.action_id !== t.actionId) continue;
      if (t.value !== undefined && element.type === 'button' && element.value !== t.value) continue;
      return { element, block };
    }
  }
  return undefined;
}

type Option = { text?: { text?: string }; value?: string };

function optionsOf(element: Block): Option[] {
  const direct = Array.isArray(element.options) ? (element.options as Option[]) : [];
  const groups = Array.isArray(element.option_groups) ? (element.option_groups as { options?: Option[] }[]) : [];
  return [...direct, ...groups.flatMap((g) => g.options ?? [])];
}

function findOption(element: Block, value: unknown): Option | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'object' && 'value' in (value as object)) return value as Option;
  const v = String(value);
  return optionsOf(element).find((o) => o.value === v || o.text?.text === v) ?? { text: { text: v }, value: v };
}

const asArray = (v: unknown): unknown[] =>
  Array.isArray(v) ? v : v === undefined || v === null || v === '' ? [] : [v];

/**
 * An element's state entry as Slack puts it in `state.values` / `actions[]`, from a test-friendly value
 * (a string for text inputs and single selects, an array for multi-selects and checkboxes).
 */
export function elementState(element: Block, given: unknown): Record<string, unknown> {
  if (given && typeof given === 'object' && !Array.isArray(given) && 'type' in (given as object)) {
    return given as Record<string, unknown>;
  }
  const type = element.type;
  const has = given !== undefined;
  switch (type) {
    case 'static_select':
    case 'external_select':
    case 'radio_buttons':
    case 'overflow':
      return { type, selected_option: has ? findOption(element, given) : (element.initial_option ?? null) };
    case 'multi_static_select':
    case 'multi_external_select':
    case 'checkboxes':
      return {
        type,
        selected_options: has ? asArray(given).map((g) => findOption(element, g)) : (element.initial_options ?? []),
      };
    case 'users_select':
      return { type, selected_user: has ? given : (element.initial_user ?? null) };
    case 'multi_users_select':
      return { type, selected_users: has ? asArray(given) : (element.initial_users ?? []) };
    case 'conversations_select':
      return { type, selected_conversation: has ? given : (element.initial_conversation ?? null) };
    case 'channels_select':
      return { type, selected_channel: has ? given : (element.initial_channel ?? null) };
    case 'datepicker':
      return { type, selected_date: has ? given : (element.initial_date ?? null) };
    case 'timepicker':
      return { type, selected_time: has ? given : (element.initial_time ?? null) };
    default:
      return { type, value: has ? (given === null ? null : String(given)) : (element.initial_value ?? null) };
  }
}

/** Drives the app the way Slack's clients do: slash commands, clicks, modal submissions, events, response_url. */
export class Interactions {
  constructor(
    private readonly state: WorkspaceState,
    private readonly deliverer: Deliverer,
    private readonly api: () => ApiContext,
  ) {}

  private userRef(user: User) {
    return { id: user.id, username: user.name, name: user.name, team_id: this.state.team.id };
  }

  private teamRef() {
    return { id: this.state.team.id, domain: this.state.team.domain };
  }

  requireUser(ref: string): User {
    const user = this.state.resolveUser(ref);
    if (!user) throw new Error(`emulator: unknown user ${ref}`);
    return user;
  }

  requireChannel(ref: string): ChannelRecord {
    const rec = this.state.resolveChannel(ref);
    if (!rec) throw new Error(`emulator: unknown channel ${ref}`);
    return rec;
  }

  private responseUrl(id: string): string {
    return `${this.api().baseUrl}/_emulator/response/${id}`;
  }

  // -- slash commands -------------------------------------------------------------------------------------------

  async slash(userRef: string, channelRef: string, command: string, text: string): Promise<InteractionResult> {
    const user = this.requireUser(userRef);
    const rec = this.requireChannel(channelRef);
    const cmd = command.startsWith('/') ? command : `/${command}`;
    const target = this.state.issueResponseTarget({ channel: rec.info.id, user: user.id });
    const result = await this.deliverer.form({
      token: VERIFICATION_TOKEN,
      team_id: this.state.team.id,
      team_domain: this.state.team.domain,
      channel_id: rec.info.id,
      channel_name: rec.info.is_im ? 'directmessage' : rec.info.name,
      user_id: user.id,
      user_name: user.name,
      command: cmd,
      text,
      api_app_id: this.state.bot.app_id,
      is_enterprise_install: 'false',
      response_url: this.responseUrl(target.id),
      trigger_id: this.state.issueTrigger(user.id),
    });
    this.recordSlashAck(user, rec, `${cmd} ${text}`.trim(), result);
    return result;
  }

  /** Shows the ack like Slack: text bodies and JSON messages appear to the user (or channel when in_channel). */
  private recordSlashAck(user: User, rec: ChannelRecord, invocation: string, result: DeliveryResult): void {
    if (result.error) {
      const command = invocation.split(' ')[0];
      this.state.addEphemeral(user.id, {
        channel: rec.info.id,
        user: 'USLACKBOT',
        text: `${command} failed with the error "${result.error}"`,
        source: 'ack',
      });
      return;
    }
    const body = result.body;
    if (body === '' || body === undefined || body === null) return;
    if (typeof body === 'string') {
      this.state.addEphemeral(user.id, { ...this.botFields(), text: body, channel: rec.info.id, source: 'ack' });
      return;
    }
    if (typeof body !== 'object' || (!body.text && !body.blocks && !body.attachments)) return;
    if (Array.isArray(body.blocks) && blockErrors(body.blocks, 50).length) {
      // Slack drops an ack whose blocks it cannot show and tells the user the command failed.
      this.state.addEphemeral(user.id, {
        channel: rec.info.id,
        user: 'USLACKBOT',
        text: `${invocation.split(' ')[0]} failed with the error "invalid_blocks"`,
        source: 'ack',
      });
      return;
    }
    const content = { text: String(body.text ?? ''), ...(Array.isArray(body.blocks) ? { blocks: body.blocks } : {}) };
    if (body.response_type === 'in_channel') {
      // Slack shows the invocation as the user's message, then the app's answer to everyone.
      this.state.addMessage(rec, { type: 'message', user: user.id, text: invocation, ts: this.state.nextTs() });
      postBotMessage(this.api(), rec, content);
    } else {
      this.state.addEphemeral(user.id, { ...this.botFields(), ...content, channel: rec.info.id, source: 'ack' });
    }
  }

  private botFields() {
    return { user: this.state.bot.user_id, bot_id: this.state.bot.bot_id, app_id: this.state.bot.app_id };
  }

  // -- block_actions --------------------------------------------------------------------------------------------

  /** Finds the element: in the named view, else the user's top modal, else the newest matching message. */
  locate(user: User, channelRef: string, t: ClickTarget): Located {
    if (t.viewId) {
      const found = this.state.findView(t.viewId, user.id);
      const hit = found && findInBlocks(found.view.blocks, t);
      if (!found || !hit) throw new Error(`emulator: no element ${t.actionId} in view ${t.viewId}`);
      return { ...hit, container: { kind: 'view', view: found.view } };
    }
    const top = this.state.modals.get(user.id)?.at(-1);
    const inModal = top && !t.messageTs && findInBlocks(top.blocks, t);
    if (top && inModal) return { ...inModal, container: { kind: 'view', view: top } };
    const rec = this.requireChannel(t.channel ?? channelRef);
    const ephemerals = (this.state.ephemerals.get(user.id) ?? []).filter((e) => e.channel === rec.info.id);
    const candidates: (Message | EphemeralMessage)[] = [...rec.messages, ...ephemerals]
      .filter((m) => !t.messageTs || m.ts === t.messageTs)
      .sort((a, b) => Number(b.ts) - Number(a.ts));
    for (const m of candidates) {
      const hit = findInBlocks(m.blocks, t);
      if (!hit) continue;
      const container =
        'source' in m
          ? { kind: 'ephemeral' as const, channel: rec, message: m }
          : { kind: 'message' as const, channel: rec, message: m };
      return { ...hit, container };
    }
    const home = this.state.homes.get(user.id);
    const inHome = home && findInBlocks(home.blocks, t);
    if (home && inHome) return { ...inHome, container: { kind: 'view', view: home } };
    const where = t.messageTs ? `message ${t.messageTs}` : `#${rec.info.name}`;
    throw new Error(
      `emulator: no element with action_id ${t.actionId}${t.blockId ? ` in block ${t.blockId}` : ''} in ${where}`,
    );
  }

  async click(userRef: string, channelRef: string, t: ClickTarget): Promise<InteractionResult> {
    const user = this.requireUser(userRef);
    const found = this.locate(user, channelRef, t);
    const action = this.actionPayload(found, t);
    const base = {
      type: 'block_actions',
      user: this.userRef(user),
      api_app_id: this.state.bot.app_id,
      token: VERIFICATION_TOKEN,
      trigger_id: this.state.issueTrigger(user.id),
      team: this.teamRef(),
      enterprise: null,
      is_enterprise_install: false,
      actions: [action],
    };
    const c = found.container;
    if (c.kind === 'view') {
      const values = this.viewValues(c.view, {});
      return this.deliverer.interaction({
        ...base,
        container: { type: 'view', view_id: c.view.id },
        view: { ...structuredClone(c.view), state: { values } },
        state: { values },
      });
    }
    const target = this.state.issueResponseTarget({
      channel: c.channel.info.id,
      user: user.id,
      ...(c.kind === 'message' ? { messageTs: c.message.ts } : { ephemeralTs: c.message.ts }),
      ...(c.message.thread_ts ? { threadTs: c.message.thread_ts } : {}),
    });
    const container: Record<string, unknown> = {
      type: 'message',
      message_ts: c.message.ts,
      channel_id: c.channel.info.id,
      is_ephemeral: c.kind === 'ephemeral',
    };
    if (c.message.thread_ts) container.thread_ts = c.message.thread_ts;
    const { source: _source, channel: _channel, ...message } = c.message as EphemeralMessage;
    return this.deliverer.interaction({
      ...base,
      container,
      channel: { id: c.channel.info.id, name: c.channel.info.name },
      // Slack leaves the message out for ephemeral containers.
      ...(c.kind === 'message' ? { message: structuredClone(message) } : {}),
      state: { values: {} },
      response_url: this.responseUrl(target.id),
    });
  }

  private actionPayload(found: Located, t: ClickTarget): Record<string, unknown> {
    const { element, block } = found;
    const common = { action_id: element.action_id, block_id: block.block_id, action_ts: this.state.nextTs() };
    if (element.type === 'button') {
      return {
        ...common,
        type: 'button',
        text: element.text,
        ...(element.value !== undefined ? { value: element.value } : {}),
        ...(element.style ? { style: element.style } : {}),
        ...(element.url ? { url: element.url } : {}),
      };
    }
    return { ...common, ...elementState(element, t.value) };
  }

  // -- view_submission ------------------------------------------------------------------------------------------

  /** state.values for every input (and actions-block) element of a view, with the given values filled in. */
  viewValues(view: View, given: Record<string, Record<string, unknown>>): Record<string, Record<string, unknown>> {
    const values: Record<string, Record<string, unknown>> = {};
    for (const block of view.blocks) {
      if (block.type !== 'input' && block.type !== 'actions' && block.type !== 'section') continue;
      for (const el of elementsOf(block)) {
        if (el.type === 'button' || el.type === 'overflow') continue;
        const blockId = block.block_id!;
        const g = given[blockId]?.[el.action_id as string];
        const previous = view.state.values[blockId]?.[el.action_id as string];
        values[blockId] ??= {};
        values[blockId][el.action_id as string] =
          g !== undefined ? elementState(el, g) : (previous ?? elementState(el, undefined));
      }
    }
    return values;
  }

  async submitView(
    userRef: string,
    viewRef: string,
    given: Record<string, Record<string, unknown>>,
  ): Promise<InteractionResult> {
    const user = this.requireUser(userRef);
    const found = this.state.findView(viewRef, user.id);
    if (found?.view.type !== 'modal') throw new Error(`emulator: ${user.name} has no open modal ${viewRef}`);
    const view = found.view;
    const values = this.viewValues(view, given);
    view.state = { values };
    const result = await this.deliverer.interaction({
      type: 'view_submission',
      team: this.teamRef(),
      user: this.userRef(user),
      api_app_id: this.state.bot.app_id,
      token: VERIFICATION_TOKEN,
      trigger_id: this.state.issueTrigger(user.id),
      view: structuredClone(view),
      response_urls: [],
      is_enterprise_install: false,
      enterprise: null,
    });
    if (!result.error) this.applyViewResponse(user, view, result.body);
    return result;
  }

  /** Applies the app's ack to the modal stack: close (empty ack), errors, update, push or clear. */
  private applyViewResponse(user: User, view: View, body: AckBody): void {
    const stack = this.state.modalStack(user.id);
    const action = body && typeof body === 'object' ? body.response_action : undefined;
    if (action === 'errors') {
      view.errors = body.errors ?? {};
    } else if (action === 'update' || action === 'push') {
      // Same validation and block_id filling as views.update / views.push.
      const next = this.viewFromAck(body.view, action === 'update' ? view : undefined);
      if (!next) return;
      if (action === 'update') Object.assign(view, next, { errors: undefined });
      else stack.push({ ...next, root_view_id: stack[0]?.id ?? next.id, previous_view_id: view.id });
    } else if (action === 'clear') {
      stack.length = 0;
    } else {
      const i = stack.indexOf(view);
      if (i >= 0) stack.splice(i, 1);
    }
    this.state.touch();
  }

  /** A view from a response_action ack; an invalid one leaves the modal as is, as Slack shows an error instead. */
  private viewFromAck(raw: unknown, previous?: View): View | undefined {
    try {
      return buildView(this.api(), raw, previous);
    } catch (e) {
      if (e instanceof SlackApiError) return undefined;
      throw e;
    }
  }

  /** The user dismisses a modal; Slack sends view_closed only when the app asked (notify_on_close). */
  async closeView(userRef: string, viewRef: string): Promise<InteractionResult | undefined> {
    const user = this.requireUser(userRef);
    const found = this.state.findView(viewRef, user.id);
    if (found?.view.type !== 'modal') return undefined;
    const stack = this.state.modalStack(user.id);
    const view = found.view;
    stack.length = 0; // Closing with the X dismisses the whole stack.
    this.state.touch();
    if (!view.notify_on_close) return undefined;
    return this.deliverer.interaction({
      type: 'view_closed',
      team: this.teamRef(),
      user: this.userRef(user),
      api_app_id: this.state.bot.app_id,
      token: VERIFICATION_TOKEN,
      view: structuredClone(view),
      is_cleared: true,
      is_enterprise_install: false,
      enterprise: null,
    });
  }

  // -- events ---------------------------------------------------------------------------------------------------

  private eventEnvelope(event: Record<string, unknown>) {
    return {
      token: VERIFICATION_TOKEN,
      team_id: this.state.team.id,
      api_app_id: this.state.bot.app_id,
      event,
      type: 'event_callback',
      event_id: this.state.newId('Ev'),
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [
        {
          enterprise_id: null,
          team_id: this.state.team.id,
          user_id: this.state.bot.user_id,
          is_bot: true,
          is_enterprise_install: false,
        },
      ],
      is_ext_shared_channel: false,
      event_context: `4-${Buffer.from(this.state.newId('')).toString('base64')}`,
    };
  }

  async openHome(userRef: string): Promise<InteractionResult> {
    const user = this.requireUser(userRef);
    const dm = this.state.openDm(user.id);
    const home = this.state.homes.get(user.id);
    return this.deliverer.event(
      this.eventEnvelope({
        type: 'app_home_opened',
        user: user.id,
        channel: dm.info.id,
        tab: 'home',
        ...(home ? { view: structuredClone(home) } : {}),
        event_ts: this.state.nextTs(),
      }),
    );
  }

  /** The user posts a message; the app gets `message` (and `app_mention` when the bot is mentioned). */
  async say(
    userRef: string,
    channelRef: string,
    text: string,
    threadTs?: string,
  ): Promise<{ message: Message; results: InteractionResult[] }> {
    const user = this.requireUser(userRef);
    const rec = this.requireChannel(channelRef);
    const message: Message = {
      type: 'message',
      user: user.id,
      text,
      ts: this.state.nextTs(),
      team: this.state.team.id,
    };
    if (threadTs) {
      const parent = this.state.findMessage(rec, threadTs);
      if (!parent) throw new Error(`emulator: no message ${threadTs} in #${rec.info.name}`);
      message.thread_ts = parent.thread_ts ?? parent.ts;
    }
    this.state.addMessage(rec, message);
    const channelType = rec.info.is_im ? 'im' : rec.info.is_private ? 'group' : 'channel';
    const base = { ...structuredClone(message), channel: rec.info.id, event_ts: message.ts };
    const results = [await this.deliverer.event(this.eventEnvelope({ ...base, channel_type: channelType }))];
    if (text.includes(`<@${this.state.bot.user_id}>`)) {
      results.push(await this.deliverer.event(this.eventEnvelope({ ...base, type: 'app_mention' })));
    }
    return { message, results };
  }

  // -- response_url ---------------------------------------------------------------------------------------------

  /** Handles a POST to a response_url; returns Slack's answer (status + body). */
  respond(id: string, body: Record<string, unknown>): { status: number; body: Record<string, unknown> } {
    const target = this.state.responseTargets.get(id);
    if (!target || Date.now() > target.expiresAt) return { status: 404, body: { ok: false, error: 'expired_url' } };
    if (target.usesLeft <= 0) return { status: 404, body: { ok: false, error: 'used_url' } };
    target.usesLeft--;
    const rec = this.state.channels.get(target.channel);
    if (!rec) return { status: 404, body: { ok: false, error: 'channel_not_found' } };
    const content: Partial<Message> = { text: typeof body.text === 'string' ? body.text : '' };
    if (Array.isArray(body.blocks)) {
      const errors = blockErrors(body.blocks, 50);
      if (errors.length) return { status: 400, body: { ok: false, error: 'invalid_blocks', errors } };
      content.blocks = body.blocks as Block[];
    }
    if (body.delete_original === true || body.delete_original === 'true') return this.deleteOriginal(rec, target);
    if (body.replace_original === true || body.replace_original === 'true') {
      if (this.replaceOriginal(rec, target, content)) return { status: 200, body: { ok: true } };
    }
    if (!content.text && !content.blocks) return { status: 400, body: { ok: false, error: 'no_text' } };
    const threadTs = typeof body.thread_ts === 'string' ? body.thread_ts : target.threadTs;
    if (body.response_type === 'in_channel') {
      postBotMessage(this.api(), rec, content, threadTs);
    } else {
      this.state.addEphemeral(target.user, {
        ...this.botFields(),
        text: '',
        ...content,
        ...(threadTs ? { thread_ts: threadTs } : {}),
        channel: rec.info.id,
        source: 'response_url',
      });
    }
    return { status: 200, body: { ok: true } };
  }

  private deleteOriginal(rec: ChannelRecord, target: { user: string; messageTs?: string; ephemeralTs?: string }) {
    if (target.messageTs) this.state.deleteMessage(rec, target.messageTs);
    if (target.ephemeralTs) {
      const list = this.state.ephemerals.get(target.user) ?? [];
      this.state.ephemerals.set(
        target.user,
        list.filter((e) => e.ts !== target.ephemeralTs),
      );
      this.state.touch();
    }
    return { status: 200, body: { ok: true } };
  }

  private replaceOriginal(
    rec: ChannelRecord,
    target: { user: string; messageTs?: string; ephemeralTs?: string },
    content: Partial<Message>,
  ): boolean {
    const original = target.messageTs
      ? this.state.findMessage(rec, target.messageTs)
      : (this.state.ephemerals.get(target.user) ?? []).find((e) => e.ts === target.ephemeralTs);
    if (!original) return false;
    original.text = content.text ?? '';
    if (content.blocks) original.blocks = content.blocks;
    else delete original.blocks;
    if (target.messageTs) original.edited = { user: this.state.bot.user_id, ts: this.state.nextTs() };
    this.state.touch();
    return true;
  }
}
