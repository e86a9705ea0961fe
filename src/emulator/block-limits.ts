/**
 * Block Kit validation as strict as Slack's: the documented length and count limits of blocks, elements,
 * composition objects and views, and where plain_text is required instead of mrkdwn.
 * Sources: https://api.slack.com/reference/block-kit/blocks, …/block-elements, …/composition-objects,
 * https://api.slack.com/reference/surfaces/views. Messages follow Slack's wording:
 * `must be less than 76 characters [json-pointer:/blocks/2/elements/0/text/text]`.
 */

type Obj = Record<string, unknown>;

/** Every limit checked, in one place (characters are counted as Unicode code points). */
export const BLOCK_LIMITS = {
  blocksPerMessage: 50,
  blocksPerView: 100,
  blockId: 255,
  actionId: 255,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  textObject: 3000,
  markdownText: 12_000,
  imageUrl: 3000,
  altText: 2000,
  imageTitle: 2000,
  inputLabel: 2000,
  inputHint: 2000,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  accessibilityLabel: 75,
  placeholder: 150,
  options: 100,
  optionGroups: 100,
  checkboxOptions: 10,
  radioOptions: 10,
  overflowOptions: 5,
  optionText: 75,
  optionValue: 150,
  optionDescription: 75,
  optionGroupLabel: 75,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  inputMaxLength: 3000,
  viewTitle: 24,
  viewSubmit: 24,
  viewClose: 24,
  privateMetadata: 3000,
  callbackId: 255,
  externalId: 255,
} as const;

const len = (s: string) => [...s].length;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Collects Slack-style error messages while walking a payload. */
class Checker {
  readonly errors: string[] = [];

  fail(path: string, message: string): void {
    this.errors.push(`${message} [json-pointer:${path}]`);
  }

  str(v: unknown, path: string, max: number, required = false): void {
    if (v === undefined || v === null) {
      if (required) this.fail(path, 'missing required field');
      return;
    }
    if (typeof v !== 'string') {
      this.fail(path, 'must be a string');
      return;
    }
    if (len(v) > max) this.fail(path, `must be less than ${max + 1} characters`);
  }

  /** A text object: `plain` forces plain_text; text must be 1..max characters. */
  text(v: unknown, path: string, max: number, opts: { plain?: boolean; required?: boolean } = {}): void {
    if (v === undefined || v === null) {
      if (opts.required) this.fail(path, 'missing required field');
      return;
    }
    if (!isObj(v)) {
      this.fail(path, 'must be a text object');
      return;
    }
    if (v.type !== 'plain_text' && v.type !== 'mrkdwn') {
      this.fail(`${path}/type`, 'must be one of plain_text, mrkdwn');
      return;
    }
    if (opts.plain && v.type !== 'plain_text') {
      this.fail(`${path}/type`, 'must be plain_text');
      return;
    }
    if (typeof v.text !== 'string') {
      this.fail(`${path}/text`, 'missing required field');
      return;
    }
    if (len(v.text) < 1) this.fail(`${path}/text`, 'must be more than 0 characters');
    else if (len(v.text) > max) this.fail(`${path}/text`, `must be less than ${max + 1} characters`);
  }

  count(v: unknown, path: string, max: number, min = 0): unknown[] {
    if (!Array.isArray(v)) {
      if (min > 0) this.fail(path, 'missing required field');
      return [];
    }
    if (v.length > max) this.fail(path, `must provide no more than ${max} items`);
    if (v.length < min) this.fail(path, `must provide at least ${min} items`);
    return v;
  }

  confirm(v: unknown, path: string): void {
    if (v === undefined) return;
    if (!isObj(v)) {
      this.fail(path, 'must be a confirm object');
      return;
    }
    this.text(v.title, `${path}/title`, BLOCK_LIMITS.confirmTitle, { plain: true, required: true });
    // Slack documents plain_text here; older apps send mrkdwn and it is still accepted.
    this.text(v.text, `${path}/text`, BLOCK_LIMITS.confirmText, { required: true });
    this.text(v.confirm, `${path}/confirm`, BLOCK_LIMITS.confirmButton, { plain: true, required: true });
    this.text(v.deny, `${path}/deny`, BLOCK_LIMITS.confirmButton, { plain: true, required: true });
    if (v.style !== undefined && v.style !== 'primary' && v.style !== 'danger')
      this.fail(`${path}/style`, 'must be one of primary, danger');
  }

  option(v: unknown, path: string, opts: { mrkdwn: boolean; url: boolean }): void {
    if (!isObj(v)) {
      this.fail(path, 'must be an option object');
      return;
    }
    this.text(v.text, `${path}/text`, BLOCK_LIMITS.optionText, { plain: !opts.mrkdwn, required: true });
    this.str(v.value, `${path}/value`, BLOCK_LIMITS.optionValue);
    this.text(v.description, `${path}/description`, BLOCK_LIMITS.optionDescription, { plain: !opts.mrkdwn });
    if (opts.url) this.str(v.url, `${path}/url`, BLOCK_LIMITS.buttonUrl);
    else if (v.url !== undefined) this.fail(`${path}/url`, 'is only allowed in overflow menus');
  }

  options(el: Obj, path: string, max: number, opts: { mrkdwn: boolean; url: boolean; min?: number }): void {
    const hasGroups = el.option_groups !== undefined;
    if (hasGroups && el.options !== undefined) this.fail(path, 'must provide either options or option_groups');
    if (hasGroups) {
      this.count(el.option_groups, `${path}/option_groups`, BLOCK_LIMITS.optionGroups, 1).forEach((g, i) => {
        const gp = `${path}/option_groups/${i}`;
        if (!isObj(g)) {
          this.fail(gp, 'must be an option group');
          return;
        }
        this.text(g.label, `${gp}/label`, BLOCK_LIMITS.optionGroupLabel, { plain: true, required: true });
        this.count(g.options, `${gp}/options`, BLOCK_LIMITS.options, 1).forEach((o, j) => {
          this.option(o, `${gp}/options/${j}`, opts);
        });
      });
      return;
    }
    this.count(el.options, `${path}/options`, max, opts.min ?? 1).forEach((o, i) => {
      this.option(o, `${path}/options/${i}`, opts);
    });
  }

  element(v: unknown, path: string): void {
    if (!isObj(v) || typeof v.type !== 'string') {
      this.fail(`${path}/type`, 'missing required field');
      return;
    }
    const t = v.type;
    if (t !== 'image') this.str(v.action_id, `${path}/action_id`, BLOCK_LIMITS.actionId);
    this.text(v.placeholder, `${path}/placeholder`, BLOCK_LIMITS.placeholder, { plain: true });
    this.confirm(v.confirm, `${path}/confirm`);
    switch (t) {
      case 'button':
        this.text(v.text, `${path}/text`, BLOCK_LIMITS.buttonText, { plain: true, required: true });
        this.str(v.value, `${path}/value`, BLOCK_LIMITS.buttonValue);
        this.str(v.url, `${path}/url`, BLOCK_LIMITS.buttonUrl);
        this.str(v.accessibility_label, `${path}/accessibility_label`, BLOCK_LIMITS.accessibilityLabel);
        if (v.style !== undefined && v.style !== 'primary' && v.style !== 'danger')
          this.fail(`${path}/style`, 'must be one of primary, danger');
        break;
      case 'static_select':
      case 'multi_static_select':
        this.options(v, path, BLOCK_LIMITS.options, { mrkdwn: false, url: false });
        break;
      case 'overflow':
        this.options(v, path, BLOCK_LIMITS.overflowOptions, { mrkdwn: false, url: true });
        break;
      case 'checkboxes':
        this.options(v, path, BLOCK_LIMITS.checkboxOptions, { mrkdwn: true, url: false });
        break;
      case 'radio_buttons':
        this.options(v, path, BLOCK_LIMITS.radioOptions, { mrkdwn: true, url: false });
        break;
      case 'plain_text_input': {
        const max = typeof v.max_length === 'number' ? v.max_length : BLOCK_LIMITS.inputMaxLength;
        if (max < 1 || max > BLOCK_LIMITS.inputMaxLength)
          this.fail(`${path}/max_length`, `must be between 1 and ${BLOCK_LIMITS.inputMaxLength}`);
        if (typeof v.min_length === 'number' && (v.min_length < 0 || v.min_length > max))
          this.fail(`${path}/min_length`, 'must be between 0 and max_length');
        if (typeof v.initial_value === 'string' && len(v.initial_value) > max)
          this.fail(`${path}/initial_value`, `must be less than ${max + 1} characters`);
        break;
      }
      case 'image':
        this.str(v.image_url, `${path}/image_url`, BLOCK_LIMITS.imageUrl);
        this.str(v.alt_text, `${path}/alt_text`, BLOCK_LIMITS.altText, true);
        break;
      default:
        break;
    }
  }

  block(v: unknown, path: string): void {
    if (!isObj(v)) {
      this.fail(path, 'must be a block');
      return;
    }
    this.str(v.block_id, `${path}/block_id`, BLOCK_LIMITS.blockId);
    switch (v.type) {
      case 'section': {
        this.text(v.text, `${path}/text`, BLOCK_LIMITS.sectionText);
        const fields = this.count(v.fields, `${path}/fields`, BLOCK_LIMITS.sectionFields);
        fields.forEach((f, i) => {
          this.text(f, `${path}/fields/${i}`, BLOCK_LIMITS.fieldText, { required: true });
        });
        if (v.text === undefined && fields.length === 0) this.fail(path, 'must provide either text or fields');
        if (v.accessory !== undefined) this.element(v.accessory, `${path}/accessory`);
        break;
      }
      case 'header':
        this.text(v.text, `${path}/text`, BLOCK_LIMITS.headerText, { plain: true, required: true });
        break;
      case 'context':
        this.count(v.elements, `${path}/elements`, BLOCK_LIMITS.contextElements, 1).forEach((e, i) => {
          const ep = `${path}/elements/${i}`;
          if (isObj(e) && e.type === 'image') this.element(e, ep);
          else this.text(e, ep, BLOCK_LIMITS.textObject, { required: true });
        });
        break;
      case 'actions':
        this.count(v.elements, `${path}/elements`, BLOCK_LIMITS.actionsElements, 1).forEach((e, i) => {
          this.element(e, `${path}/elements/${i}`);
        });
        break;
      case 'image':
        this.str(v.image_url, `${path}/image_url`, BLOCK_LIMITS.imageUrl);
        this.str(v.alt_text, `${path}/alt_text`, BLOCK_LIMITS.altText, true);
        this.text(v.title, `${path}/title`, BLOCK_LIMITS.imageTitle, { plain: true });
        break;
      case 'input':
        this.text(v.label, `${path}/label`, BLOCK_LIMITS.inputLabel, { plain: true, required: true });
        this.text(v.hint, `${path}/hint`, BLOCK_LIMITS.inputHint, { plain: true });
        if (v.element === undefined) this.fail(`${path}/element`, 'missing required field');
        else this.element(v.element, `${path}/element`);
        break;
      case 'markdown':
        this.str(v.text, `${path}/text`, BLOCK_LIMITS.markdownText, true);
        break;
      default:
        break;
    }
  }
}

/** Slack-style error messages for a list of blocks (empty when valid); `max` is 50 for messages, 100 for views. */
export function blockErrors(blocks: unknown[], max: number, root = '/blocks'): string[] {
  const c = new Checker();
  if (blocks.length > max) c.fail(root, `must provide no more than ${max} items`);
  blocks.forEach((b, i) => {
    c.block(b, `${root}/${i}`);
  });
  return c.errors;
}

/** Slack-style error messages for a view's own fields (title, submit, close, private_metadata, ids). */
export function viewFieldErrors(view: Obj): string[] {
  const c = new Checker();
  const modal = view.type === 'modal';
  c.text(view.title, '/view/title', BLOCK_LIMITS.viewTitle, { plain: true, required: modal });
  c.text(view.submit, '/view/submit', BLOCK_LIMITS.viewSubmit, { plain: true });
  c.text(view.close, '/view/close', BLOCK_LIMITS.viewClose, { plain: true });
  c.str(view.private_metadata, '/view/private_metadata', BLOCK_LIMITS.privateMetadata);
  c.str(view.callback_id, '/view/callback_id', BLOCK_LIMITS.callbackId);
  c.str(view.external_id, '/view/external_id', BLOCK_LIMITS.externalId);
  return c.errors;
}
