/** The local workspace refuses what Slack refuses, with Slack's error shapes; scopes; lost answers. */
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../../src/emulator/index.js';
import { quietSlackLogger } from './quiet.js';

const TOKEN = 'xoxb-strict-test';
const pt = (text: string) => ({ type: 'plain_text', text });
const md = (text: string) => ({ type: 'mrkdwn', text });
const x = (n: number) => 'x'.repeat(n);

describe('strict like Slack', () => {
  let emulator: Emulator;
  let client: WebClient;
  beforeAll(async () => {
    emulator = createEmulator({ signingSecret: 's', botToken: TOKEN });
    await emulator.listen(0);
    client = new WebClient(TOKEN, {
      slackApiUrl: emulator.apiUrl,
      retryConfig: { retries: 0 },
      logger: quietSlackLogger,
    });
  });
  afterAll(() => emulator.close());

  const post = async (blocks: unknown[]) => {
    const r = await fetch(`${emulator.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ channel: '#general', text: 'fallback', blocks }),
    });
    return (await r.json()) as { ok: boolean; error?: string; errors?: string[] };
  };

  const button = (extra: Record<string, unknown> = {}) => ({
    type: 'button',
    action_id: 'b',
    text: pt('Go'),
    ...extra,
  });
  const option = (text: string, value = 'v') => ({ text: pt(text), value });
  const cases: [string, unknown[], string][] = [
    ['section text 3000', [{ type: 'section', text: md(x(3001)) }], '/blocks/0/text/text'],
    ['section fields 10', [{ type: 'section', fields: Array.from({ length: 11 }, () => md('f')) }], '/blocks/0/fields'],
    ['field text 2000', [{ type: 'section', fields: [md(x(2001))] }], '/blocks/0/fields/0/text'],
    ['section needs text or fields', [{ type: 'section' }], '/blocks/0'],
    ['header 150', [{ type: 'header', text: pt(x(151)) }], '/blocks/0/text/text'],
    ['header is plain_text', [{ type: 'header', text: md('hi') }], '/blocks/0/text/type'],
    [
      'context 10 elements',
      [{ type: 'context', elements: Array.from({ length: 11 }, () => md('c')) }],
      '/blocks/0/elements',
    ],
    [
      'actions 25 elements',
      [{ type: 'actions', elements: Array.from({ length: 26 }, (_, i) => button({ action_id: `b${i}` })) }],
      '/blocks/0/elements',
    ],
    [
      'button text 75',
      [{ type: 'actions', elements: [button({ text: pt(x(76)) })] }],
      '/blocks/0/elements/0/text/text',
    ],
    [
      'button text is plain_text',
      [{ type: 'actions', elements: [button({ text: md('Go') })] }],
      '/blocks/0/elements/0/text/type',
    ],
    ['button value 2000', [{ type: 'actions', elements: [button({ value: x(2001) })] }], '/blocks/0/elements/0/value'],
    [
      'button url 3000',
      [{ type: 'actions', elements: [button({ url: `https://e.x/${x(3000)}` })] }],
      '/blocks/0/elements/0/url',
    ],
    ['button style', [{ type: 'actions', elements: [button({ style: 'blue' })] }], '/blocks/0/elements/0/style'],
    [
      'action_id 255',
      [{ type: 'actions', elements: [button({ action_id: x(256) })] }],
      '/blocks/0/elements/0/action_id',
    ],
    ['block_id 255', [{ type: 'divider', block_id: x(256) }], '/blocks/0/block_id'],
    [
      'options 100',
      [
        {
          type: 'actions',
          elements: [
            {
              type: 'static_select',
              action_id: 's',
              options: Array.from({ length: 101 }, (_, i) => option(`o${i}`, `${i}`)),
            },
          ],
        },
      ],
      '/blocks/0/elements/0/options',
    ],
    [
      'option text 75',
      [{ type: 'actions', elements: [{ type: 'static_select', action_id: 's', options: [option(x(76))] }] }],
      '/blocks/0/elements/0/options/0/text/text',
    ],
    [
      'option value 150',
      [{ type: 'actions', elements: [{ type: 'static_select', action_id: 's', options: [option('o', x(151))] }] }],
      '/blocks/0/elements/0/options/0/value',
    ],
    [
      'overflow 5 options',
      [
        {
          type: 'actions',
          elements: [
            { type: 'overflow', action_id: 'o', options: Array.from({ length: 6 }, (_, i) => option(`o${i}`)) },
          ],
        },
      ],
      '/blocks/0/elements/0/options',
    ],
    [
      'placeholder 150',
      [{ type: 'actions', elements: [{ type: 'users_select', action_id: 'u', placeholder: pt(x(151)) }] }],
      '/blocks/0/elements/0/placeholder/text',
    ],
    [
      'confirm title 100',
      [
        {
          type: 'actions',
          elements: [button({ confirm: { title: pt(x(101)), text: pt('t'), confirm: pt('y'), deny: pt('n') } })],
        },
      ],
      '/blocks/0/elements/0/confirm/title/text',
    ],
    [
      'confirm text 300',
      [
        {
          type: 'actions',
          elements: [button({ confirm: { title: pt('t'), text: md(x(301)), confirm: pt('y'), deny: pt('n') } })],
        },
      ],
      '/blocks/0/elements/0/confirm/text/text',
    ],
    [
      'confirm button 30',
      [
        {
          type: 'actions',
          elements: [button({ confirm: { title: pt('t'), text: pt('t'), confirm: pt(x(31)), deny: pt('n') } })],
        },
      ],
      '/blocks/0/elements/0/confirm/confirm/text',
    ],
    ['empty text', [{ type: 'section', text: md('') }], '/blocks/0/text/text'],
    [
      'initial_value over max_length',
      [
        {
          type: 'input',
          label: pt('Title'),
          element: { type: 'plain_text_input', action_id: 'v', max_length: 200, initial_value: x(201) },
        },
      ],
      '/blocks/0/element/initial_value',
    ],
  ];

  it.each(cases)('refuses %s with invalid_blocks naming the field', async (_name, blocks, pointer) => {
    const res = await post(blocks);
    expect(res).toMatchObject({ ok: false, error: 'invalid_blocks' });
    expect(res.errors?.join('\n')).toContain(`[json-pointer:${pointer}]`);
  });

  it('accepts everything exactly at its limit', async () => {
    const res = await post([
      { type: 'header', text: pt(x(150)) },
      { type: 'section', text: md(x(3000)), fields: Array.from({ length: 10 }, () => md(x(2000))) },
      { type: 'context', elements: Array.from({ length: 10 }, () => md('c')) },
      {
        type: 'actions',
        elements: Array.from({ length: 25 }, (_, i) => button({ action_id: `${i}`, text: pt(x(75)), value: x(2000) })),
      },
    ]);
    expect(res).toMatchObject({ ok: true });
  });

  it('checks modal title, submit, close and private_metadata', async () => {
    const view = (over: Record<string, unknown>) => ({ type: 'modal', title: pt('T'), blocks: [], ...over });
    for (const [over, pointer] of [
      [{ title: pt(x(25)) }, '/view/title/text'],
      [{ submit: pt(x(25)) }, '/view/submit/text'],
      [{ close: pt(x(25)) }, '/view/close/text'],
      [{ title: md('T') }, '/view/title/type'],
      [{ private_metadata: x(3001) }, '/view/private_metadata'],
      [{ callback_id: x(256) }, '/view/callback_id'],
    ] as const) {
      const err = await client.views
        .open({ trigger_id: emulator.state.issueTrigger('U0ALICE'), view: view(over) as never })
        .catch((e) => e.data);
      expect(err).toMatchObject({ ok: false, error: 'invalid_arguments' });
      expect(JSON.stringify(err.response_metadata)).toContain(pointer);
    }
  });

  it('channel names: 80 characters, lowercase', async () => {
    const err = (name: string) => client.conversations.create({ name }).catch((e) => e.data.error);
    expect(await err(x(81))).toBe('invalid_name_maxlength');
    expect(await err('Incident')).toBe('invalid_name_specials');
    expect((await client.conversations.create({ name: x(80) })).ok).toBe(true);
  });

  it('grants the manifest scopes and answers missing_scope for the others', async () => {
    expect((await client.users.list({})).ok).toBe(true);
    const err = await client.users.lookupByEmail({ email: 'alice@example.com' }).catch((e) => e.data);
    expect(err).toMatchObject({ ok: false, error: 'missing_scope', needed: 'users:read.email' });
    expect(err.provided).toContain('chat:write');
    expect(
      await client.reactions.add({ channel: 'C0GENERAL', timestamp: '1.0', name: 'x' }).catch((e) => e.data.error),
    ).toBe('missing_scope');
  });

  it('a lost answer: the call acts, the caller sees a dropped connection', async () => {
    const before = emulator.channel('#general').messages().length;
    emulator.setFaults({ loseAnswerNext: 1, methods: ['chat.postMessage'] });
    await expect(client.chat.postMessage({ channel: '#general', text: 'sent once' })).rejects.toMatchObject({
      code: 'slack_webapi_request_error',
    });
    expect(emulator.channel('#general').messages().length).toBe(before + 1);
    expect(emulator.stats().faults).toBeGreaterThan(0);
    emulator.setFaults({});
  });
});
