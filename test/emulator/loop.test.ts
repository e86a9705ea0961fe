import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closedViews, type Loop, startLoop } from './harness.js';

describe('emulator ⇄ Bolt app, full loop', () => {
  let loop: Loop;
  beforeEach(async () => {
    loop = await startLoop();
  });
  afterEach(async () => {
    await loop.close();
  });

  async function declare() {
    const { emulator } = loop;
    const ack = await emulator.as('alice').slash('/incident', 'declare P1 API down');
    // The app keeps working after its ack; its last step is the response_url reply.
    await emulator.waitFor(() =>
      emulator
        .as('alice')
        .ephemerals()
        .some((e) => e.text.startsWith('Created')),
    );
    const channel = emulator.state.resolveChannel('#inc-api-down')!;
    return { ack, channel: emulator.channel(channel.info.id) };
  }

  it('declares an incident from a slash command: ack, channel, invite, topic, pinned message', async () => {
    const { emulator } = loop;
    const { ack, channel } = await declare();
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ response_type: 'ephemeral', text: 'Declaring P1: API down…' });
    expect(channel.info).toMatchObject({
      name: 'inc-api-down',
      is_channel: true,
      is_archived: false,
      creator: 'U0BOT',
    });
    expect(channel.members).toEqual(expect.arrayContaining(['U0BOT', 'U0ALICE']));
    expect(channel.topic.value).toBe('P1 — API down');
    const [msg] = channel.messages();
    expect(msg).toMatchObject({
      type: 'message',
      bot_id: 'B0BOT',
      user: 'U0BOT',
      text: 'P1 incident declared: API down',
    });
    expect(channel.pins.map((m) => m.ts)).toEqual([msg!.ts]);
    expect(channel.messages({ includeSystem: true }).map((m) => m.subtype)).toEqual(
      expect.arrayContaining(['channel_join', 'channel_topic']),
    );
    // The ack and the response_url reply are ephemerals for alice only.
    await emulator.waitFor(() => emulator.as('alice').ephemerals().length >= 2);
    expect(
      emulator
        .as('alice')
        .ephemerals()
        .map((e) => [e.source, e.text]),
    ).toEqual([
      ['ack', 'Declaring P1: API down…'],
      ['response_url', `Created <#${channel.id}>`],
    ]);
    expect(emulator.as('bob').ephemerals()).toEqual([]);
    await emulator.waitFor(() => emulator.channel('#incidents').latest()?.text.includes(channel.id));
    await emulator.idle(50);
    expect(emulator.stats().calls).toMatchObject({
      'conversations.create': 1,
      'conversations.invite': 1,
      'conversations.setTopic': 1,
      'chat.postMessage': 2,
      'pins.add': 1,
    });
  });

  it('plain-text and in_channel acks are shown like Slack shows them', async () => {
    const { emulator } = loop;
    const help = await emulator.as('bob').slash('/incident', 'help');
    expect(help.body).toBe('Usage: /incident declare P1 <title>');
    expect(emulator.as('bob').ephemerals().at(-1)).toMatchObject({
      text: help.body,
      source: 'ack',
      channel: 'C0INCIDENTS',
    });
    await emulator.as('bob').in('#general').slash('/incident', 'shout hello');
    const texts = emulator
      .channel('#general')
      .messages()
      .map((m) => [m.user, m.text]);
    expect(texts).toEqual([
      ['U0BOB', '/incident shout hello'],
      ['U0BOT', 'Shouting: hello'],
    ]);
  });

  it('tells the user about an app that does not ack in time (operation_timeout)', async () => {
    await loop.close();
    loop = await startLoop({ ackTimeoutMs: 200 });
    const res = await loop.emulator.as('carol').slash('/incident', 'slow');
    expect(res).toMatchObject({ status: 0, error: 'operation_timeout' });
    expect(loop.emulator.as('carol').ephemerals().at(-1)?.text).toBe(
      '/incident failed with the error "operation_timeout"',
    );
  });

  it('button click sends block_actions; response_url and chat.update work', async () => {
    const { emulator } = loop;
    const { channel } = await declare();
    const bob = emulator.as('bob').in(channel.id);
    const res = await bob.click({ actionId: 'ack_incident' });
    expect(res.status).toBe(200);
    await emulator.waitFor(() => channel.messages()[0]!.edited);
    expect(channel.messages()[0]!.text).toBe('acknowledged');
    expect(JSON.stringify(channel.messages()[0]!.blocks)).toContain('Acknowledged by <@U0BOB>');
    await emulator.waitFor(() => bob.ephemerals().some((e) => e.source === 'response_url'));
    expect(bob.ephemerals().at(-1)?.text).toBe('Thanks <@U0BOB>, acknowledged.');
  });

  it('response_url replace_original replaces the clicked message', async () => {
    const { emulator } = loop;
    const { channel } = await declare();
    const ts = channel.messages()[0]!.ts;
    await emulator.as('carol').in(channel.id).click({ actionId: 'resolve', blockId: 'incident_actions' });
    await emulator.waitFor(() => channel.messages()[0]!.text === 'Resolved ✅');
    expect(channel.messages()[0]).toMatchObject({ ts, text: 'Resolved ✅' });
    expect(channel.messages()[0]!.blocks).toBeUndefined();
  });

  it('click opens a modal; submission with errors keeps it open; a valid one closes it and posts', async () => {
    const { emulator } = loop;
    const { channel } = await declare();
    const carol = emulator.as('carol').in(channel.id);
    await carol.click({ actionId: 'open_update' });
    await emulator.waitFor(() => carol.openViews().length === 1);
    const [view] = carol.openViews();
    expect(view).toMatchObject({ type: 'modal', callback_id: 'incident_update', private_metadata: channel.id });

    const bad = await carol.submitView('incident_update', { status: { value: 'identified' } });
    expect(bad.body).toEqual({ response_action: 'errors', errors: { summary: 'Please write a summary' } });
    expect(carol.openViews()[0]!.errors).toEqual({ summary: 'Please write a summary' });

    const ok = await carol.submitView(view!.id, {
      status: { value: 'identified' },
      summary: { value: 'Bad deploy rolled back' },
      lead: { value: 'U0BOB' },
    });
    expect(ok.status).toBe(200);
    expect(carol.openViews()).toEqual([]);
    await emulator.waitFor(() => channel.latest()?.text.startsWith('*identified*'));
    expect(channel.latest()?.text).toBe('*identified*: Bad deploy rolled back (lead <@U0BOB>)');
  });

  it('view_submission acks push, update and clear the modal stack; closing sends view_closed', async () => {
    const { emulator } = loop;
    const erin = emulator.as('erin');
    await erin.slash('/incident', 'wizard');
    await emulator.waitFor(() => erin.openViews().length === 1);
    await erin.submitView('wizard_1', { field: { value: 'one' } });
    expect(erin.openViews().map((v) => v.callback_id)).toEqual(['wizard_1', 'wizard_2']);
    const [root, pushed] = erin.openViews();
    expect(pushed).toMatchObject({ root_view_id: root!.id, previous_view_id: root!.id });
    await erin.submitView('wizard_2', { field: { value: 'update' } });
    expect(erin.openViews().map((v) => v.callback_id)).toEqual(['wizard_1', 'wizard_3']);
    expect(erin.openViews()[1]!.id).toBe(pushed!.id); // updated in place
    await erin.closeView('wizard_1'); // the X button dismisses the whole stack
    expect(erin.openViews()).toEqual([]);
    expect(closedViews).toContain('wizard_1');

    await erin.slash('/incident', 'wizard');
    await emulator.waitFor(() => erin.openViews().length === 1);
    await erin.submitView('wizard_1', { field: { value: 'x' } });
    await erin.submitView('wizard_2', { field: { value: 'done' } });
    expect(erin.openViews()).toEqual([]); // response_action: clear
  });

  it('selects in an ephemeral message send the chosen option; replace_original replaces the ephemeral', async () => {
    const { emulator } = loop;
    const dave = emulator.as('dave');
    await dave.slash('/incident', 'pick');
    expect(dave.ephemerals().at(-1)).toMatchObject({ text: 'Pick a severity', source: 'ack' });
    const res = await dave.click({ actionId: 'pick_sev', value: 'P2' });
    expect(res.status).toBe(200);
    await emulator.waitFor(() => dave.ephemerals().at(-1)?.text === 'Picked P2');
    expect(dave.ephemerals().filter((e) => e.text === 'Pick a severity')).toEqual([]);
    await expect(dave.click({ actionId: 'no_such_button' })).rejects.toThrow(
      /no element with action_id no_such_button/,
    );
  });

  it('app_home_opened lets the app publish a home tab; app_mention gets a threaded reply', async () => {
    const { emulator } = loop;
    const dave = emulator.as('dave');
    await dave.openHome();
    await emulator.waitFor(() => dave.home());
    expect(JSON.stringify(dave.home()?.blocks)).toContain('Hello <@U0DAVE>');

    const msg = await dave.in('#general').say('hey <@U0BOT> are you there?');
    const general = emulator.channel('#general');
    await emulator.waitFor(() => general.thread(msg.ts).length === 2);
    expect(general.thread(msg.ts)[1]).toMatchObject({ text: 'I am here.', thread_ts: msg.ts, bot_id: 'B0BOT' });
    expect(general.messages().find((m) => m.ts === msg.ts)).toMatchObject({ reply_count: 1, reply_users: ['U0BOT'] });
  });

  it('the same driving works over HTTP under /_emulator/', async () => {
    const { emulator, url } = loop;
    const post = async (path: string, body: unknown) => {
      const r = await fetch(`${url}/_emulator/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-emulator-token': emulator.controlToken },
        body: JSON.stringify(body),
      });
      return { status: r.status, json: (await r.json()) as Record<string, unknown> };
    };
    const slash = await post('slash', {
      user: 'erin',
      channel: '#incidents',
      command: '/incident',
      text: 'declare P2 Slow search',
    });
    expect(slash).toMatchObject({ status: 200, json: { status: 200, body: { text: 'Declaring P2: Slow search…' } } });
    await emulator.waitFor(() =>
      emulator
        .as('erin')
        .ephemerals()
        .some((e) => e.text.startsWith('Created')),
    );
    const rec = emulator.state.resolveChannel('inc-slow-search')!;
    const click = await post('click', { user: 'erin', channel: rec.info.id, actionId: 'open_update' });
    expect(click.json.status).toBe(200);
    await emulator.waitFor(() => emulator.as('erin').openViews().length);
    const viewId = emulator.as('erin').openViews()[0]!.id;
    const submit = await post('submit', {
      user: 'erin',
      viewId,
      values: { status: { value: 'monitoring' }, summary: { value: 'ok now' } },
    });
    expect(submit.json.status).toBe(200);
    await emulator.waitFor(() => emulator.channel(rec.info.id).latest()?.text === '*monitoring*: ok now');

    const state = (await (
      await fetch(`${url}/_emulator/state`, { headers: { 'x-emulator-token': emulator.controlToken } })
    ).json()) as {
      channels: { name: string; messages: unknown[] }[];
    };
    expect(state.channels.find((c) => c.name === 'inc-slow-search')?.messages.length).toBeGreaterThan(0);

    const bad = await post('slash', { user: 'nobody', command: '/incident' });
    expect(bad.status).toBe(400);
    expect(String(bad.json.detail)).toContain('unknown user nobody');
    const invalid = await post('click', { user: 'alice' });
    expect(invalid.status).toBe(400);
    expect(String(invalid.json.detail)).toContain('actionId');
  });

  it('response_url is single-channel, limited to 5 uses, and unknown ids are rejected', async () => {
    const { emulator, url } = loop;
    const target = emulator.state.issueResponseTarget({ channel: 'C0GENERAL', user: 'U0ALICE' });
    const send = (id: string, body: unknown) =>
      fetch(`${url}/_emulator/response/${id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const first = await send(target.id, { response_type: 'in_channel', text: 'to everyone' });
    expect(await first.json()).toEqual({ ok: true });
    expect(emulator.channel('#general').latest()?.text).toBe('to everyone');
    for (let i = 0; i < 4; i++) expect((await send(target.id, { text: `eph ${i}` })).status).toBe(200);
    const sixth = await send(target.id, { text: 'too many' });
    expect(sixth.status).toBe(404);
    expect(await sixth.json()).toEqual({ ok: false, error: 'used_url' });
    expect((await send('Rnope', { text: 'x' })).status).toBe(404);
  });
});
