import { describe, expect, it } from 'vitest';
import { createEmulator } from '../../src/emulator/index.js';
import { esc, mrkdwn, type RenderContext, renderBlocks, renderForm } from '../../src/emulator/ui/blockkit.js';
import { renderFragments } from '../../src/emulator/ui/render.js';

const ctx: RenderContext = {
  userName: (id) => ({ U0ALICE: 'alice' })[id] ?? id,
  channelName: (id) => ({ C0INCIDENTS: 'incidents' })[id] ?? id,
  groupHandle: (id) => ({ S0SREONCALL: 'sre-oncall' })[id] ?? id,
  users: () => [{ id: 'U0ALICE', name: 'alice' }],
  channels: () => [{ id: 'C0INCIDENTS', name: 'incidents' }],
};

describe('mrkdwn → HTML', () => {
  it('renders bold, italic, strike, code, code blocks, quotes and line breaks', () => {
    expect(mrkdwn('*bold* _it_ ~gone~ `x<y`', ctx)).toBe('<b>bold</b> <i>it</i> <s>gone</s> <code>x&lt;y</code>');
    expect(mrkdwn('before\n```a *not bold*\nb```\nafter', ctx)).toBe('before<pre>a *not bold*\nb</pre>after');
    expect(mrkdwn('&gt; quoted\nnext', ctx)).toBe('<blockquote>quoted</blockquote><br>next');
  });

  it('renders links, user / channel / group mentions and special mentions', () => {
    expect(mrkdwn('<https://example.com/a?b=1&amp;c=2|Runbook>', ctx)).toBe(
      '<a href="https://example.com/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">Runbook</a>',
    );
    expect(mrkdwn('<@U0ALICE> in <#C0INCIDENTS> ping <!subteam^S0SREONCALL> <!here>', ctx)).toBe(
      '<span class="mention">@alice</span> in <span class="mention">#incidents</span> ping ' +
        '<span class="mention">@sre-oncall</span> <span class="mention">@here</span>',
    );
    expect(mrkdwn('<#C0INCIDENTS|custom>', ctx)).toBe('<span class="mention">#custom</span>');
  });

  it('never lets text become markup or a script URL', () => {
    const evil = '<javascript:alert(1)|click> <img src=x onerror=alert(1)> "quote" \'single\' &amp;';
    const html = mrkdwn(evil, ctx);
    expect(html).not.toMatch(/<(img|script|a)\b/);
    expect(html).not.toContain('href');
    expect(html).toContain('&quot;quote&quot; &#39;single&#39; &amp;');
    expect(esc('<b onclick="x">')).toBe('&lt;b onclick=&quot;x&quot;&gt;');
  });
});

describe('Block Kit → HTML', () => {
  it('renders header, section text and fields, context, divider, image links and buttons with data for clicks', () => {
    const html = renderBlocks(
      [
        { type: 'header', block_id: 'h', text: { type: 'plain_text', text: 'P1 <API> down' } },
        {
          type: 'section',
          block_id: 's',
          text: { type: 'mrkdwn', text: '*Status*' },
          fields: [{ type: 'mrkdwn', text: '*Sev*\nP1' }],
          accessory: { type: 'button', action_id: 'more', text: { type: 'plain_text', text: 'More' }, value: 'v"1' },
        },
        { type: 'context', block_id: 'c', elements: [{ type: 'mrkdwn', text: 'by <@U0ALICE>' }] },
        { type: 'divider', block_id: 'd' },
        { type: 'image', block_id: 'i', image_url: 'https://example.com/g.png', alt_text: 'graph' },
        {
          type: 'actions',
          block_id: 'a',
          elements: [
            { type: 'button', action_id: 'ok', style: 'primary', text: { type: 'plain_text', text: 'OK' } },
            {
              type: 'button',
              action_id: 'rm',
              style: 'danger',
              text: { type: 'plain_text', text: 'Delete' },
              confirm: { title: { type: 'plain_text', text: 'Sure?' }, text: { type: 'plain_text', text: 'Really.' } },
            },
            {
              type: 'static_select',
              action_id: 'sev',
              options: [{ text: { type: 'plain_text', text: 'P2' }, value: 'p2' }],
            },
          ],
        },
        { type: 'weird', block_id: 'w' },
      ],
      ctx,
    );
    expect(html).toContain('<h3 class="b-header">P1 &lt;API&gt; down</h3>');
    expect(html).toContain('<div class="b-fields"><div><b>Sev</b><br>P1</div></div>');
    expect(html).toContain('data-action-id="more" data-block-id="s" data-value="v&quot;1"');
    expect(html).toContain('by <span class="mention">@alice</span>');
    expect(html).toContain('<hr class="b-divider">');
    expect(html).toContain('<a class="img" href="https://example.com/g.png"');
    expect(html).toContain('class="btn btn-primary" data-action-id="ok" data-block-id="a"');
    expect(html).toContain('class="btn btn-danger"');
    expect(html).toContain('data-confirm="Sure?\nReally."');
    expect(html).toContain('<option value="p2">P2</option>');
    expect(html).toContain('[weird block]');
  });

  it('renders modal inputs as form controls, keeping submitted values and showing errors', () => {
    const blocks = [
      {
        type: 'input',
        block_id: 'title',
        label: { type: 'plain_text', text: 'Title' },
        element: { type: 'plain_text_input', action_id: 't' },
      },
      {
        type: 'input',
        block_id: 'sev',
        label: { type: 'plain_text', text: 'Severity' },
        element: {
          type: 'radio_buttons',
          action_id: 'r',
          options: ['P1', 'P2'].map((v) => ({ text: { type: 'plain_text', text: v }, value: v })),
        },
      },
      {
        type: 'input',
        block_id: 'who',
        optional: true,
        label: { type: 'plain_text', text: 'Who' },
        element: { type: 'users_select', action_id: 'u' },
      },
      {
        type: 'input',
        block_id: 'tags',
        label: { type: 'plain_text', text: 'Tags' },
        element: {
          type: 'checkboxes',
          action_id: 'c',
          options: ['db', 'api'].map((v) => ({ text: { type: 'plain_text', text: v }, value: v })),
        },
      },
    ];
    const html = renderForm(blocks, { title: 'Too <short>' }, ctx, {
      title: { t: { type: 'plain_text_input', value: 'API "down"' } },
      sev: { r: { type: 'radio_buttons', selected_option: { value: 'P2' } } },
      who: { u: { type: 'users_select', selected_user: 'U0ALICE' } },
    });
    expect(html).toContain('value="API &quot;down&quot;"');
    expect(html).toContain('value="P2" checked');
    expect(html).not.toContain('value="P1" checked');
    expect(html).toContain('<option value="U0ALICE" selected>alice</option>');
    expect(html).toContain('<div class="error">Too &lt;short&gt;</div>');
    expect(html).toContain('type="checkbox"');
    expect(html).toContain('(optional)');
  });
});

describe('page fragments', () => {
  it('shows channels for the chosen user, ephemerals only to them, and threads collapsed', () => {
    const emulator = createEmulator({ signingSecret: 's', botToken: 't', baseUrl: 'http://localhost:9' });
    const { state } = emulator;
    const rec = state.resolveChannel('#incidents')!;
    const parent = state.addMessage(rec, { type: 'message', user: 'U0ALICE', text: 'parent', ts: state.nextTs() });
    state.addMessage(rec, {
      type: 'message',
      user: 'U0BOB',
      text: 'a reply',
      ts: state.nextTs(),
      thread_ts: parent.ts,
    });
    state.addEphemeral('U0ALICE', { channel: rec.info.id, text: 'for alice only', source: 'chat.postEphemeral' });
    const secret = state.createChannel('secret', 'U0BOT', true);
    secret.members.add('U0CAROL');

    const alice = renderFragments(state, 'alice', '#incidents');
    expect(alice.title).toBe('#incidents');
    expect(alice.main).toContain('for alice only');
    expect(alice.main).toContain('Only visible to you');
    expect(alice.main).toMatch(/<details class="thread" data-thread="[\d.]+"><summary>1 reply<\/summary>/);
    expect(alice.sidebar).not.toContain('secret');

    const bob = renderFragments(state, 'U0BOB', rec.info.id);
    expect(bob.main).not.toContain('for alice only');
    expect(renderFragments(state, 'carol', 'secret').sidebar).toContain('🔒secret');
  });
});
