import type { Block } from '../types.js';

/** Names for ids in mrkdwn (<@U…>, <#C…>, <!subteam^S…>) and the users a users_select offers. */
export interface RenderContext {
  userName(id: string): string;
  channelName(id: string): string;
  groupHandle(id: string): string;
  users(): { id: string; name: string }[];
  channels(): { id: string; name: string }[];
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML content and attribute values; everything the app or a user wrote goes through it. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** Slack escapes &, < and > in message text; undo that before escaping again for HTML. */
function unslack(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Only links a browser cannot turn into script. */
function safeUrl(url: string): string | undefined {
  return /^(https?:|mailto:)/i.test(url.trim()) ? url.trim() : undefined;
}

function link(url: string, label: string): string {
  const safe = safeUrl(url);
  return safe ? `<a href="${esc(safe)}" target="_blank" rel="noopener noreferrer">${label}</a>` : label;
}

/** Bold, italic and strike on already-escaped text (the markers are not HTML-special, so this stays safe). */
function emphasis(escaped: string): string {
  return escaped
    .replace(/(^|[\s(])\*([^*\n]+)\*(?=$|[\s).,!?:;])/g, '$1<b>$2</b>')
    .replace(/(^|[\s(])_([^_\n]+)_(?=$|[\s).,!?:;])/g, '$1<i>$2</i>')
    .replace(/(^|[\s(])~([^~\n]+)~(?=$|[\s).,!?:;])/g, '$1<s>$2</s>');
}

/** One <…> control sequence: links, mentions, channel references, special mentions. */
function controlSequence(inner: string, ctx: RenderContext): string {
  const [target = '', label] = inner.split('|', 2);
  if (target.startsWith('@')) return `<span class="mention">@${esc(label ?? ctx.userName(target.slice(1)))}</span>`;
  if (target.startsWith('#')) return `<span class="mention">#${esc(label ?? ctx.channelName(target.slice(1)))}</span>`;
  if (target.startsWith('!subteam^')) {
    return `<span class="mention">${esc(label ?? `@${ctx.groupHandle(target.slice(9))}`)}</span>`;
  }
  if (target.startsWith('!date^')) return esc(label ?? target);
  if (target.startsWith('!')) return `<span class="mention">@${esc(target.slice(1))}</span>`;
  return link(unslack(target), esc(unslack(label ?? target)));
}

/** Renders Slack mrkdwn to HTML: code blocks, inline code, links/mentions, *bold* _italic_ ~strike~, > quotes. */
export function mrkdwn(text: string, ctx: RenderContext): string {
  const out: string[] = [];
  const token = /```([\s\S]*?)```|`([^`\n]+)`|<([^<>\n]+)>/g;
  let last = 0;
  for (let m = token.exec(text); m; m = token.exec(text)) {
    const before = text.slice(last, m.index);
    // A code block is a block of its own: the line breaks around it would only add blank lines.
    out.push(plain(m[1] !== undefined ? before.replace(/\n$/, '') : before));
    if (m[1] !== undefined && text[token.lastIndex] === '\n') token.lastIndex++;
    if (m[1] !== undefined) out.push(`<pre>${esc(unslack(m[1].replace(/^\n/, '')))}</pre>`);
    else if (m[2] !== undefined) out.push(`<code>${esc(unslack(m[2]))}</code>`);
    else out.push(controlSequence(m[3]!, ctx));
    last = token.lastIndex;
  }
  out.push(plain(text.slice(last)));
  return quoteLines(out.join(''));
}

/** The emoji shortcodes the bot uses, shown as Slack shows them; others stay as :code:. */
const EMOJI: Record<string, string> = {
  red_circle: '🔴',
  large_orange_circle: '🟠',
  large_yellow_circle: '🟡',
  large_blue_circle: '🔵',
  large_green_circle: '🟢',
  mag: '🔍',
  dart: '🎯',
  eyes: '👀',
  white_check_mark: '✅',
  warning: '⚠️',
  book: '📖',
  rotating_light: '🚨',
  alarm_clock: '⏰',
  fire: '🔥',
  tada: '🎉',
  memo: '📝',
  mega: '📣',
  zzz: '💤',
  x: '❌',
  no_entry: '⛔',
  no_entry_sign: '🚫',
  satellite_antenna: '📡',
  hourglass: '⌛',
  hourglass_flowing_sand: '⏳',
  stopwatch: '⏱️',
  sunny: '☀️',
  thread: '🧵',
  page_facing_up: '📄',
  bust_in_silhouette: '👤',
  chart_with_upwards_trend: '📈',
  arrows_counterclockwise: '🔄',
  point_right: '👉',
  information_source: 'ℹ️',
  grey_question: '❔',
  heavy_multiplication_x: '✖️',
  leftwards_arrow_with_hook: '↩️',
  pencil2: '✏️',
  pushpin: '📌',
  repeat: '🔁',
  globe_with_meridians: '🌐',
  chart_with_downwards_trend: '📉',
  link: '🔗',
};

function emoji(escaped: string): string {
  return escaped.replace(/:([a-z0-9_+-]+):/g, (m, name: string) => EMOJI[name] ?? m);
}

function plain(segment: string): string {
  return emoji(emphasis(esc(unslack(segment)))).replace(/\n/g, '<br>');
}

/** Lines starting with "&gt; " (an escaped "> ") become quotes. */
function quoteLines(html: string): string {
  return html
    .split('<br>')
    .map((line) => (line.startsWith('&gt; ') ? `<blockquote>${line.slice(5)}</blockquote>` : line))
    .join('<br>');
}

type TextObject = { type?: string; text?: string; emoji?: boolean };

/** A text object (plain_text or mrkdwn). */
export function textObject(t: unknown, ctx: RenderContext): string {
  if (!t || typeof t !== 'object') return '';
  const o = t as TextObject;
  if (o.type === 'mrkdwn') return mrkdwn(o.text ?? '', ctx);
  return esc(o.text ?? '').replace(/\n/g, '<br>');
}

function plainText(t: unknown): string {
  return t && typeof t === 'object' ? String((t as TextObject).text ?? '') : '';
}

/** data-* attributes a click sends back to /_emulator/click. */
function actionAttrs(block: Block, el: Block, extra = ''): string {
  return `data-action-id="${esc(el.action_id)}" data-block-id="${esc(block.block_id)}"${extra}`;
}

function confirmAttr(el: Block): string {
  const c = el.confirm as { title?: unknown; text?: unknown } | undefined;
  if (!c) return '';
  return ` data-confirm="${esc(`${plainText(c.title)}\n${plainText(c.text)}`.trim())}"`;
}

type Option = { text?: unknown; value?: string; description?: unknown };

function optionList(el: Block): Option[] {
  const direct = Array.isArray(el.options) ? (el.options as Option[]) : [];
  const groups = Array.isArray(el.option_groups) ? (el.option_groups as { options?: Option[] }[]) : [];
  return [...direct, ...groups.flatMap((g) => g.options ?? [])];
}

function selectOptions(options: { value: string; label: string }[], selected: string[], placeholder: string): string {
  const head = `<option value="">${esc(placeholder || 'Select…')}</option>`;
  const body = options
    .map(
      (o) => `<option value="${esc(o.value)}"${selected.includes(o.value) ? ' selected' : ''}>${esc(o.label)}</option>`,
    )
    .join('');
  return head + body;
}

/** Options of any select-like element, with workspace users/channels for the *_select pickers. */
function choicesFor(el: Block, ctx: RenderContext): { value: string; label: string }[] {
  if (el.type === 'users_select' || el.type === 'multi_users_select') {
    return ctx.users().map((u) => ({ value: u.id, label: u.name }));
  }
  if (/^(multi_)?(conversations|channels)_select$/.test(el.type)) {
    return ctx.channels().map((c) => ({ value: c.id, label: `#${c.name}` }));
  }
  return optionList(el).map((o) => ({ value: String(o.value ?? ''), label: plainText(o.text) }));
}

function initialValues(el: Block): string[] {
  const one = (el.initial_option as Option | undefined)?.value;
  const many = ((el.initial_options as Option[] | undefined) ?? []).map((o) => String(o.value));
  const ids = [el.initial_user, el.initial_conversation, el.initial_channel].filter(
    (x): x is string => typeof x === 'string',
  );
  const idLists = [el.initial_users, el.initial_conversations, el.initial_channels].flatMap((x) =>
    Array.isArray(x) ? x : [],
  );
  return [...(one ? [one] : []), ...many, ...ids, ...idLists.map(String)];
}

/** An interactive element in a message or home view (clicking posts block_actions immediately). */
function interactive(block: Block, el: Block, ctx: RenderContext): string {
  if (el.type === 'button') {
    const style = el.style === 'primary' || el.style === 'danger' ? ` btn-${el.style}` : '';
    const value = el.value !== undefined ? ` data-value="${esc(el.value)}"` : '';
    const url = typeof el.url === 'string' && safeUrl(el.url) ? ` data-url="${esc(el.url)}"` : '';
    return `<button type="button" class="btn${style}" ${actionAttrs(block, el, value + url + confirmAttr(el))}>${esc(plainText(el.text))}</button>`;
  }
  if (el.type === 'overflow') {
    const opts = optionList(el).map((o) => ({ value: String(o.value ?? ''), label: plainText(o.text) }));
    return `<select class="act" ${actionAttrs(block, el, confirmAttr(el))}>${selectOptions(opts, [], '⋯')}</select>`;
  }
  if (el.type.endsWith('_select') || el.type === 'radio_buttons' || el.type === 'checkboxes') {
    const placeholder = plainText(el.placeholder);
    return `<select class="act" ${actionAttrs(block, el, confirmAttr(el))}>${selectOptions(choicesFor(el, ctx), initialValues(el), placeholder)}</select>`;
  }
  if (el.type === 'datepicker') {
    return `<input type="date" class="act" ${actionAttrs(block, el)} value="${esc(el.initial_date ?? '')}">`;
  }
  return `<span class="unsupported">[${esc(el.type)}]</span>`;
}

function image(el: Block): string {
  const url = typeof el.image_url === 'string' ? el.image_url : '';
  const alt = String(el.alt_text ?? 'image');
  return safeUrl(url)
    ? `<a class="img" href="${esc(url)}" target="_blank" rel="noopener noreferrer">🖼 ${esc(alt)}</a>`
    : `🖼 ${esc(alt)}`;
}

/** A rich_text block, approximately: sections, lists, quotes and preformatted runs. */
function richText(block: Block, ctx: RenderContext): string {
  type RT = {
    type: string;
    text?: string;
    url?: string;
    user_id?: string;
    channel_id?: string;
    usergroup_id?: string;
    name?: string;
    elements?: RT[];
    style?: Record<string, boolean>;
  };
  const inline = (e: RT): string => {
    switch (e.type) {
      case 'text': {
        let s = esc(e.text ?? '').replace(/\n/g, '<br>');
        if (e.style?.code) s = `<code>${s}</code>`;
        if (e.style?.bold) s = `<b>${s}</b>`;
        if (e.style?.italic) s = `<i>${s}</i>`;
        if (e.style?.strike) s = `<s>${s}</s>`;
        return s;
      }
      case 'link':
        return link(e.url ?? '', esc(e.text ?? e.url ?? ''));
      case 'user':
        return `<span class="mention">@${esc(ctx.userName(e.user_id ?? ''))}</span>`;
      case 'channel':
        return `<span class="mention">#${esc(ctx.channelName(e.channel_id ?? ''))}</span>`;
      case 'usergroup':
        return `<span class="mention">@${esc(ctx.groupHandle(e.usergroup_id ?? ''))}</span>`;
      case 'emoji':
        return `:${esc(e.name)}:`;
      default:
        return (e.elements ?? []).map(inline).join('');
    }
  };
  const section = (e: RT): string => {
    const inner = (e.elements ?? []).map(inline).join('');
    if (e.type === 'rich_text_preformatted') return `<pre>${inner}</pre>`;
    if (e.type === 'rich_text_quote') return `<blockquote>${inner}</blockquote>`;
    if (e.type === 'rich_text_list')
      return `<ul>${(e.elements ?? []).map((i) => `<li>${section(i)}</li>`).join('')}</ul>`;
    return `<div>${inner}</div>`;
  };
  return `<div class="b-rich">${((block.elements as RT[]) ?? []).map(section).join('')}</div>`;
}

/** One block of a message or a home view (inputs are only rendered inside modal forms). */
export function renderBlock(block: Block, ctx: RenderContext): string {
  switch (block.type) {
    case 'header':
      return `<h3 class="b-header">${textObject(block.text, ctx)}</h3>`;
    case 'divider':
      return '<hr class="b-divider">';
    case 'section': {
      const text = block.text ? `<div class="b-text">${textObject(block.text, ctx)}</div>` : '';
      const fields = Array.isArray(block.fields)
        ? `<div class="b-fields">${block.fields.map((f) => `<div>${textObject(f, ctx)}</div>`).join('')}</div>`
        : '';
      const acc = block.accessory as Block | undefined;
      const accessory = acc
        ? `<div class="b-accessory">${acc.type === 'image' ? image(acc) : interactive(block, acc, ctx)}</div>`
        : '';
      return `<div class="b-section"><div class="b-main">${text}${fields}</div>${accessory}</div>`;
    }
    case 'context': {
      const els = (Array.isArray(block.elements) ? (block.elements as Block[]) : []).map((e) =>
        e.type === 'image' ? image(e) : textObject(e, ctx),
      );
      return `<div class="b-context">${els.join(' · ')}</div>`;
    }
    case 'actions': {
      const els = (Array.isArray(block.elements) ? (block.elements as Block[]) : []).map((e) =>
        interactive(block, e, ctx),
      );
      return `<div class="b-actions">${els.join('')}</div>`;
    }
    case 'image':
      return `<div class="b-image">${block.title ? `${textObject(block.title, ctx)} ` : ''}${image(block)}</div>`;
    case 'rich_text':
      return richText(block, ctx);
    case 'markdown':
      return `<div class="b-text">${esc(block.text ?? '').replace(/\n/g, '<br>')}</div>`;
    case 'input':
      return `<div class="b-context">[input: ${textObject(block.label, ctx)}]</div>`;
    default:
      return `<div class="unsupported">[${esc(block.type)} block]</div>`;
  }
}

export function renderBlocks(blocks: Block[] | undefined, ctx: RenderContext): string {
  return (blocks ?? []).map((b) => renderBlock(b, ctx)).join('');
}

type StateEntry = Record<string, unknown>;

/** What a state.values entry holds, as option values / ids / text (so a re-rendered form keeps what was entered). */
function stateValues(entry: StateEntry | undefined): string[] | undefined {
  if (!entry) return undefined;
  const one = (o: unknown) => (o && typeof o === 'object' ? String((o as Option).value ?? '') : undefined);
  const out: unknown[] = [
    entry.value,
    one(entry.selected_option),
    ...(Array.isArray(entry.selected_options) ? entry.selected_options.map(one) : []),
    entry.selected_user,
    ...(Array.isArray(entry.selected_users) ? entry.selected_users : []),
    entry.selected_conversation,
    entry.selected_channel,
    entry.selected_date,
    entry.selected_time,
  ];
  return out.filter((v): v is string => typeof v === 'string');
}

/** A form control for an input block's element inside a modal; name = blockId/actionId so the JS can collect it. */
function formControl(block: Block, el: Block, ctx: RenderContext, entry?: StateEntry): string {
  const current = stateValues(entry);
  if (current) {
    // Show the submitted state instead of the initial values: same element, different initial_*.
    el = { ...el, initial_value: current[0] ?? '', initial_date: current[0], initial_time: current[0] };
    el.initial_option = undefined;
    el.initial_options = current.map((value) => ({ value }));
    el.initial_user = el.initial_conversation = el.initial_channel = undefined;
  }
  const name = `${block.block_id}/${el.action_id}`;
  const attrs = `name="${esc(name)}" data-type="${esc(el.type)}" data-block-id="${esc(block.block_id)}" data-action-id="${esc(el.action_id)}"`;
  const placeholder = esc(plainText(el.placeholder));
  switch (el.type) {
    case 'plain_text_input':
    case 'email_text_input':
    case 'url_text_input':
    case 'number_input': {
      const value = esc(el.initial_value ?? '');
      if (el.multiline) return `<textarea ${attrs} placeholder="${placeholder}">${value}</textarea>`;
      const type = el.type === 'number_input' ? 'number' : el.type === 'email_text_input' ? 'email' : 'text';
      return `<input type="${type}" ${attrs} placeholder="${placeholder}" value="${value}">`;
    }
    case 'radio_buttons':
    case 'checkboxes': {
      const kind = el.type === 'radio_buttons' ? 'radio' : 'checkbox';
      const initial = initialValues(el);
      return optionList(el)
        .map((o) => {
          const v = String(o.value ?? '');
          const checked = initial.includes(v) ? ' checked' : '';
          return `<label class="opt"><input type="${kind}" ${attrs} value="${esc(v)}"${checked}> ${esc(plainText(o.text))}</label>`;
        })
        .join('');
    }
    case 'datepicker':
      return `<input type="date" ${attrs} value="${esc(el.initial_date ?? '')}">`;
    case 'timepicker':
      return `<input type="time" ${attrs} value="${esc(el.initial_time ?? '')}">`;
    default: {
      if (!el.type.endsWith('_select')) return `<span class="unsupported">[${esc(el.type)}]</span>`;
      const multiple = el.type.startsWith('multi_') ? ' multiple' : '';
      return `<select ${attrs}${multiple}>${selectOptions(choicesFor(el, ctx), initialValues(el), plainText(el.placeholder))}</select>`;
    }
  }
}

/** Modal body: input blocks as form fields (with validation errors), other blocks as in messages. */
export function renderForm(
  blocks: Block[],
  errors: Record<string, string> | undefined,
  ctx: RenderContext,
  values: Record<string, Record<string, unknown>> = {},
): string {
  return blocks
    .map((block) => {
      if (block.type !== 'input') return renderBlock(block, ctx);
      const el = block.element as Block | undefined;
      const label = `${textObject(block.label, ctx)}${block.optional ? ' <span class="muted">(optional)</span>' : ''}`;
      const hint = block.hint ? `<div class="muted">${textObject(block.hint, ctx)}</div>` : '';
      const error = errors?.[block.block_id ?? '']
        ? `<div class="error">${esc(errors[block.block_id ?? ''])}</div>`
        : '';
      const entry = el ? (values[block.block_id ?? '']?.[el.action_id as string] as StateEntry | undefined) : undefined;
      const control = el ? formControl(block, el, ctx, entry) : '';
      return `<div class="b-input" data-block="${esc(block.block_id)}"><label class="lbl">${label}</label>${control}${hint}${error}</div>`;
    })
    .join('');
}
