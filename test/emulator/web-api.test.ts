import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../../src/emulator/index.js';
import { quietSlackLogger } from './quiet.js';

const TOKEN = 'xoxb-web-api-test';

/** Slack's error code from a rejected WebClient call. */
async function errorOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as { data?: { error?: string } }).data?.error ?? String(e);
  }
  throw new Error('expected the call to fail');
}

describe('emulator Web API', () => {
  let emulator: Emulator;
  let client: WebClient;

  beforeAll(async () => {
    // Every method the emulator serves, whatever the manifest grants (scopes are tested in fidelity.test.ts).
    emulator = createEmulator({ signingSecret: 's', botToken: TOKEN, scopes: 'all' });
    await emulator.listen(0);
    client = new WebClient(TOKEN, {
      slackApiUrl: emulator.apiUrl,
      retryConfig: { retries: 0 },
      logger: quietSlackLogger,
    });
  });
  afterAll(async () => {
    await emulator.close();
  });

  const raw = async (method: string, init: RequestInit) => {
    const r = await fetch(`${emulator.apiUrl}${method}`, { method: 'POST', ...init });
    return (await r.json()) as Record<string, unknown>;
  };

  it('auth.test identifies the bot; a bad token is invalid_auth, a missing one not_authed', async () => {
    const me = await client.auth.test();
    expect(me).toMatchObject({
      ok: true,
      team_id: 'T0LOCAL',
      team: 'Local Workspace',
      user_id: 'U0BOT',
      bot_id: 'B0BOT',
    });
    expect(await errorOf(new WebClient('xoxb-wrong', { slackApiUrl: emulator.apiUrl }).auth.test())).toBe(
      'invalid_auth',
    );
    expect(await raw('auth.test', {})).toEqual({ ok: false, error: 'not_authed' });
    // The token may also come as a form field, and bodies may be JSON.
    expect(await raw('auth.test', { body: new URLSearchParams({ token: TOKEN }) })).toMatchObject({ ok: true });
    const json = await raw('conversations.info', {
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ channel: 'C0INCIDENTS' }),
    });
    expect(json).toMatchObject({ ok: true, channel: { id: 'C0INCIDENTS', name: 'incidents' } });
    expect(await raw('nope.method', { headers: { authorization: `Bearer ${TOKEN}` } })).toEqual({
      ok: false,
      error: 'unknown_method',
    });
  });

  it('conversations.create validates names like Slack and rejects duplicates', async () => {
    const res = await client.conversations.create({ name: 'inc-web-api' });
    expect(res.channel).toMatchObject({
      name: 'inc-web-api',
      is_channel: true,
      is_private: false,
      is_archived: false,
      is_member: true,
      creator: 'U0BOT',
      num_members: 1,
      topic: { value: '' },
      purpose: { value: '' },
    });
    expect(res.channel?.id).toMatch(/^C[A-Z0-9]+$/);
    expect(typeof res.channel?.created).toBe('number');
    expect(await errorOf(client.conversations.create({ name: 'inc-web-api' }))).toBe('name_taken');
    expect(await errorOf(client.conversations.create({ name: 'Has Spaces' }))).toBe('invalid_name_specials');
    expect(await errorOf(client.conversations.create({ name: '' }))).toBe('invalid_name_required');
    expect(await errorOf(client.conversations.create({ name: 'x'.repeat(81) }))).toBe('invalid_name_maxlength');
    expect(await errorOf(client.conversations.create({ name: '---' }))).toBe('invalid_name_punctuation');
    const priv = await client.conversations.create({ name: 'inc-private', is_private: true });
    expect(priv.channel).toMatchObject({ is_private: true, is_group: true, is_channel: false });
  });

  it('conversations.info / join / invite / setTopic / setPurpose / archive', async () => {
    const { channel } = await client.conversations.create({ name: 'inc-lifecycle' });
    const id = channel!.id!;
    expect(await errorOf(client.conversations.info({ channel: 'C0MISSING' }))).toBe('channel_not_found');
    expect(await errorOf(client.conversations.info({ channel: '#incidents' }))).toBe('channel_not_found');

    const joined = await client.conversations.join({ channel: id });
    expect(joined).toMatchObject({ ok: true, warning: 'already_in_channel' });

    await client.conversations.invite({ channel: id, users: 'U0ALICE,U0BOB' });
    expect((await client.conversations.info({ channel: id })).channel?.num_members).toBe(3);
    expect(await errorOf(client.conversations.invite({ channel: id, users: 'U0ALICE' }))).toBe('already_in_channel');
    expect(await errorOf(client.conversations.invite({ channel: id, users: 'U0NOBODY' }))).toBe('user_not_found');
    expect(await errorOf(client.conversations.invite({ channel: id, users: 'U0BOT' }))).toBe('cant_invite_self');
    expect((await client.conversations.members({ channel: id })).members).toEqual(['U0BOT', 'U0ALICE', 'U0BOB']);

    const topic = await client.conversations.setTopic({ channel: id, topic: 'P1 — API down' });
    expect(topic.channel?.topic).toMatchObject({ value: 'P1 — API down', creator: 'U0BOT' });
    await client.conversations.setPurpose({ channel: id, purpose: 'Fix the API' });
    const info = await client.conversations.info({ channel: id });
    expect(info.channel).toMatchObject({ topic: { value: 'P1 — API down' }, purpose: { value: 'Fix the API' } });
    expect(emulator.channel(id).topic.value).toBe('P1 — API down');

    await client.conversations.archive({ channel: id });
    expect((await client.conversations.info({ channel: id })).channel?.is_archived).toBe(true);
    expect(await errorOf(client.conversations.archive({ channel: id }))).toBe('already_archived');
    expect(await errorOf(client.chat.postMessage({ channel: id, text: 'x' }))).toBe('is_archived');
    expect(await errorOf(client.conversations.archive({ channel: 'C0GENERAL' }))).toBe('cant_archive_general');

    // The bot must be in a channel to manage it.
    emulator.state.channels.get('C0GENERAL')!.members.delete('U0BOT');
    expect(await errorOf(client.conversations.setTopic({ channel: 'C0GENERAL', topic: 't' }))).toBe('not_in_channel');
    expect(await errorOf(client.conversations.history({ channel: 'C0GENERAL' }))).toBe('not_in_channel');
    await client.conversations.join({ channel: 'C0GENERAL' });
    expect(emulator.channel('#general').members).toContain('U0BOT');
  });

  it('conversations.list pages with cursors and hides private channels the bot is not in', async () => {
    const all = await client.conversations.list({ limit: 1000 });
    const names = all.channels!.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['incidents', 'general']));
    expect(names).not.toContain('inc-private');
    const withPrivate = await client.conversations.list({ types: 'public_channel,private_channel', limit: 1000 });
    expect(withPrivate.channels!.map((c) => c.name)).toContain('inc-private');
    const first = await client.conversations.list({ limit: 1 });
    expect(first.channels).toHaveLength(1);
    const cursor = first.response_metadata?.next_cursor;
    expect(cursor).toBeTruthy();
    const second = await client.conversations.list({ limit: 1, cursor });
    expect(second.channels![0]!.id).not.toBe(first.channels![0]!.id);
    const archivedHidden = await client.conversations.list({ exclude_archived: true, limit: 1000 });
    expect(archivedHidden.channels!.map((c) => c.name)).not.toContain('inc-lifecycle');
    expect(await errorOf(client.conversations.list({ cursor: 'garbage!' }))).toBe('invalid_cursor');
  });

  it('chat.postMessage by id or name, threads, broadcast; history and replies in Slack order', async () => {
    const { channel } = await client.conversations.create({ name: 'inc-chat' });
    const id = channel!.id!;
    const a = await client.chat.postMessage({ channel: id, text: 'first' });
    const b = await client.chat.postMessage({ channel: '#inc-chat', text: 'second', blocks: [{ type: 'divider' }] });
    const c = await client.chat.postMessage({ channel: 'inc-chat', text: 'third' });
    expect(a).toMatchObject({ ok: true, channel: id, message: { text: 'first', bot_id: 'B0BOT', user: 'U0BOT' } });
    expect(b.channel).toBe(id);
    expect(Number(b.ts)).toBeGreaterThan(Number(a.ts));
    expect(Number(c.ts)).toBeGreaterThan(Number(b.ts));
    expect(a.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(b.message?.blocks?.[0]?.block_id).toBeTruthy();

    const r1 = await client.chat.postMessage({ channel: id, thread_ts: a.ts, text: 'reply 1' });
    await client.chat.postMessage({ channel: id, thread_ts: r1.ts!, text: 'reply 2', reply_broadcast: true });
    expect(await errorOf(client.chat.postMessage({ channel: id, thread_ts: '1.000000', text: 'x' }))).toBe(
      'thread_not_found',
    );

    const history = await client.conversations.history({ channel: id });
    expect(history.messages!.map((m) => m.text)).toEqual(['reply 2', 'third', 'second', 'first']);
    expect(history.messages![0]).toMatchObject({ subtype: 'thread_broadcast', thread_ts: a.ts });
    expect(history.messages![3]).toMatchObject({ thread_ts: a.ts, reply_count: 2, reply_users: ['U0BOT'] });
    const paged = await client.conversations.history({ channel: id, limit: 2 });
    expect(paged).toMatchObject({ has_more: true });
    const rest = await client.conversations.history({
      channel: id,
      limit: 2,
      cursor: paged.response_metadata?.next_cursor,
    });
    expect(rest.messages!.map((m) => m.text)).toEqual(['second', 'first']);
    const since = await client.conversations.history({ channel: id, oldest: b.ts });
    expect(since.messages!.map((m) => m.text)).toEqual(['reply 2', 'third']);

    const replies = await client.conversations.replies({ channel: id, ts: a.ts! });
    expect(replies.messages!.map((m) => m.text)).toEqual(['first', 'reply 1', 'reply 2']);
    expect(await errorOf(client.conversations.replies({ channel: id, ts: '1.000000' }))).toBe('thread_not_found');

    expect(await errorOf(client.chat.postMessage({ channel: 'C0NOPE', text: 'x' }))).toBe('channel_not_found');
    expect(await errorOf(client.chat.postMessage({ channel: id, text: '' }))).toBe('no_text');
    expect(
      await errorOf(client.chat.postMessage({ channel: id, text: 'x', blocks: [{ type: 'bogus' }] as never })),
    ).toBe('invalid_blocks');

    const view = emulator.channel(id);
    expect(view.messages().map((m) => m.text)).toEqual(['first', 'second', 'third', 'reply 2']);
    expect(view.thread(a.ts!).map((m) => m.text)).toEqual(['first', 'reply 1', 'reply 2']);
  });

  it('chat.update / postEphemeral / getPermalink / delete', async () => {
    const { channel } = await client.conversations.create({ name: 'inc-edit' });
    const id = channel!.id!;
    await client.conversations.invite({ channel: id, users: 'U0CAROL' });
    const posted = await client.chat.postMessage({ channel: id, text: 'draft' });
    const updated = await client.chat.update({ channel: id, ts: posted.ts!, text: 'final' });
    expect(updated).toMatchObject({ ok: true, channel: id, ts: posted.ts, text: 'final' });
    expect(emulator.channel(id).latest()).toMatchObject({ text: 'final', edited: { user: 'U0BOT' } });
    expect(await errorOf(client.chat.update({ channel: id, ts: '1.000000', text: 'x' }))).toBe('message_not_found');

    const eph = await client.chat.postEphemeral({ channel: id, user: 'U0CAROL', text: 'psst' });
    expect(eph.message_ts).toMatch(/^\d+\.\d{6}$/);
    expect(emulator.as('carol').ephemerals().at(-1)).toMatchObject({
      text: 'psst',
      channel: id,
      source: 'chat.postEphemeral',
    });
    expect(await errorOf(client.chat.postEphemeral({ channel: id, user: 'U0ERIN', text: 'x' }))).toBe(
      'user_not_in_channel',
    );

    const link = await client.chat.getPermalink({ channel: id, message_ts: posted.ts! });
    expect(link.permalink).toBe(`${emulator.baseUrl}/archives/${id}/p${posted.ts!.replace('.', '')}`);
    const followed = await fetch(link.permalink!, { redirect: 'manual' });
    expect(followed.status).toBe(302);
    expect(await errorOf(client.chat.getPermalink({ channel: id, message_ts: '1.000000' }))).toBe('message_not_found');

    await client.chat.delete({ channel: id, ts: posted.ts! });
    expect(emulator.channel(id).messages()).toEqual([]);
  });

  it('pins.add / bookmarks.add / reactions.add', async () => {
    const { channel } = await client.conversations.create({ name: 'inc-extras' });
    const id = channel!.id!;
    const { ts } = await client.chat.postMessage({ channel: id, text: 'pin me' });
    await client.pins.add({ channel: id, timestamp: ts! });
    expect(await errorOf(client.pins.add({ channel: id, timestamp: ts! }))).toBe('already_pinned');
    expect(await errorOf(client.pins.add({ channel: id, timestamp: '1.000000' }))).toBe('message_not_found');
    expect(emulator.channel(id).pins.map((m) => m.text)).toEqual(['pin me']);

    const bm = await client.bookmarks.add({
      channel_id: id,
      title: 'Runbook',
      type: 'link',
      link: 'https://example.com/rb',
    });
    expect(bm.bookmark).toMatchObject({
      channel_id: id,
      title: 'Runbook',
      link: 'https://example.com/rb',
      type: 'link',
    });
    expect(bm.bookmark?.id).toMatch(/^Bk/);
    expect(emulator.channel(id).bookmarks).toHaveLength(1);
    expect(
      await errorOf(client.bookmarks.add({ channel_id: 'C0NOPE', title: 't', type: 'link', link: 'https://x' })),
    ).toBe('channel_not_found');

    await client.reactions.add({ channel: id, timestamp: ts!, name: 'eyes' });
    expect(emulator.channel(id).latest()?.reactions).toEqual([{ name: 'eyes', users: ['U0BOT'], count: 1 }]);
    expect(await errorOf(client.reactions.add({ channel: id, timestamp: ts!, name: 'eyes' }))).toBe('already_reacted');
    expect(await errorOf(client.reactions.add({ channel: id, timestamp: ts!, name: 'not valid!' }))).toBe(
      'invalid_name',
    );
  });

  it('users.info / list / lookupByEmail and usergroups.list / users.list use the seeded ids', async () => {
    const alice = await client.users.info({ user: 'U0ALICE' });
    expect(alice.user).toMatchObject({
      id: 'U0ALICE',
      name: 'alice',
      is_bot: false,
      profile: { email: 'alice@example.com' },
    });
    expect(await errorOf(client.users.info({ user: 'U0NOPE' }))).toBe('user_not_found');
    const list = await client.users.list({});
    expect(list.members!.map((u) => u.id)).toEqual(['U0ALICE', 'U0BOB', 'U0CAROL', 'U0DAVE', 'U0ERIN', 'U0BOT']);
    expect((await client.users.lookupByEmail({ email: 'carol@example.com' })).user?.id).toBe('U0CAROL');
    expect(await errorOf(client.users.lookupByEmail({ email: 'who@example.com' }))).toBe('users_not_found');

    const groups = await client.usergroups.list({ include_users: true });
    expect(groups.usergroups!.map((g) => [g.id, g.handle, g.users])).toEqual([
      ['S0SREONCALL', 'sre-oncall', ['U0ALICE']],
      ['S0SRESENIORS', 'sre-seniors', ['U0BOB']],
      ['S0ENGLEADS', 'eng-leads', ['U0CAROL']],
      ['S0COMMS', 'comms', ['U0DAVE']],
    ]);
    expect((await client.usergroups.list({})).usergroups![0]!.users).toBeUndefined();
    expect((await client.usergroups.users.list({ usergroup: 'S0ENGLEADS' })).users).toEqual(['U0CAROL']);
    expect(await errorOf(client.usergroups.users.list({ usergroup: 'S0NOPE' }))).toBe('no_such_subteam');
  });

  it('views.open needs a live trigger; views.update honours hash; views.publish sets the home tab', async () => {
    const modal = {
      type: 'modal' as const,
      callback_id: 'cb',
      title: { type: 'plain_text' as const, text: 'Title' },
      submit: { type: 'plain_text' as const, text: 'Go' },
      blocks: [
        {
          type: 'input',
          block_id: 'b',
          label: { type: 'plain_text', text: 'L' },
          element: { type: 'plain_text_input', action_id: 'a' },
        },
      ],
    };
    expect(await errorOf(client.views.open({ trigger_id: 'bogus', view: modal }))).toBe('invalid_trigger_id');
    const trigger = emulator.state.issueTrigger('U0BOB');
    const opened = await client.views.open({ trigger_id: trigger, view: modal });
    expect(opened.view).toMatchObject({ type: 'modal', callback_id: 'cb', state: { values: {} } });
    expect(opened.view?.id).toMatch(/^V/);
    expect(await errorOf(client.views.open({ trigger_id: trigger, view: modal }))).toBe('invalid_trigger_id');
    expect(
      emulator
        .as('bob')
        .openViews()
        .map((v) => v.id),
    ).toEqual([opened.view!.id]);

    const updated = await client.views.update({
      view_id: opened.view!.id!,
      hash: opened.view!.hash,
      view: { ...modal, title: { type: 'plain_text', text: 'New' } },
    });
    expect(updated.view?.title?.text).toBe('New');
    expect(
      await errorOf(client.views.update({ view_id: opened.view!.id!, hash: opened.view!.hash, view: modal })),
    ).toBe('hash_conflict');
    expect(await errorOf(client.views.update({ view_id: 'V0NOPE', view: modal }))).toBe('not_found');
    const noTitle = { ...modal, title: undefined } as never;
    expect(await errorOf(client.views.open({ trigger_id: emulator.state.issueTrigger('U0BOB'), view: noTitle }))).toBe(
      'invalid_arguments',
    );

    const pushed = await client.views.push({
      trigger_id: emulator.state.issueTrigger('U0BOB'),
      view: { ...modal, callback_id: 'cb2' },
    });
    expect(pushed.view).toMatchObject({
      callback_id: 'cb2',
      root_view_id: opened.view!.id,
      previous_view_id: opened.view!.id,
    });
    expect(
      emulator
        .as('bob')
        .openViews()
        .map((v) => v.callback_id),
    ).toEqual(['cb', 'cb2']);
    expect(await errorOf(client.views.push({ trigger_id: emulator.state.issueTrigger('U0DAVE'), view: modal }))).toBe(
      'not_found',
    );

    const home = await client.views.publish({
      user_id: 'U0ERIN',
      view: { type: 'home', blocks: [{ type: 'divider' }] },
    });
    expect(home.view?.type).toBe('home');
    expect(emulator.as('erin').home()?.id).toBe(home.view?.id);
    expect(await errorOf(client.views.publish({ user_id: 'U0NOPE', view: { type: 'home', blocks: [] } }))).toBe(
      'user_not_found',
    );
  });

  it('filesUploadV2 (getUploadURLExternal + upload + completeUploadExternal) posts a file message', async () => {
    const { channel } = await client.conversations.create({ name: 'inc-files' });
    const id = channel!.id!;
    const res = await client.filesUploadV2({
      channel_id: id,
      filename: 'timeline.md',
      title: 'Timeline',
      content: '# Timeline\n- 10:00 declared',
      initial_comment: 'Here is the timeline',
    });
    expect(res.ok).toBe(true);
    const msg = emulator.channel(id).latest()!;
    expect(msg).toMatchObject({ text: 'Here is the timeline', files: [{ name: 'timeline.md', title: 'Timeline' }] });
    const fileId = msg.files![0]!.id;
    expect(emulator.state.files.get(fileId)?.content?.toString()).toBe('# Timeline\n- 10:00 declared');
    const download = await fetch(msg.files![0]!.url_private);
    expect(await download.text()).toBe('# Timeline\n- 10:00 declared');
    expect(await errorOf(client.files.completeUploadExternal({ files: [{ id: 'F0NOPE' }] }))).toBe('file_not_found');
  });

  it('conversations.open gives the bot a DM with a user, and chat.postMessage can post there', async () => {
    const dm = await client.conversations.open({ users: 'U0DAVE' });
    expect(dm).toMatchObject({ ok: true, no_op: false, channel: { id: 'D0DAVE' } });
    expect((await client.conversations.open({ users: 'U0DAVE' })).already_open).toBe(true);
    await client.chat.postMessage({ channel: 'U0DAVE', text: 'you are on call' });
    expect(emulator.channel('D0DAVE').latest()?.text).toBe('you are on call');
    expect((await client.conversations.info({ channel: 'D0DAVE' })).channel).toMatchObject({
      is_im: true,
      user: 'U0DAVE',
    });
    expect(await errorOf(client.conversations.open({ users: 'U0NOPE' }))).toBe('user_not_found');
  });

  it('counts calls per method in stats()', () => {
    const { calls } = emulator.stats();
    expect(calls['chat.postMessage']).toBeGreaterThan(3);
    expect(calls['auth.test']).toBeGreaterThan(0);
  });
});
