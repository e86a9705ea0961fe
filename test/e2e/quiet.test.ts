import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { UserDriver } from '../../src/emulator/client.js';
import { eventually, startTestBot, type TestBot } from '../helpers/bot.js';
import { backends, dropSchemas } from '../helpers/db.js';

afterAll(dropSchemas);
const backend = backends.at(-1)!;

/**
 * Issue #19 "Quiet channels": one public line per action, private replies only for errors, refusals, help
 * and lists a person asked for; the topic is set once and the pinned header is the live state.
 */
describe(`quiet incident channels on ${backend}`, () => {
  let t: TestBot;
  afterEach(async () => {
    await t?.close();
  });

  it('each action adds exactly one public message and no private one, the topic is set once and the pinned header carries the state', async () => {
    t = await startTestBot(backend);
    const alice = t.emulator.as('alice');
    await alice.slash('/incident', 'declare P2 Checkout errors');
    await t.settle();
    const inc = await t.bot.service.get(1);
    const ch = t.emulator.channel(inc.channelId!);
    const inCh = alice.in(inc.channelId!);
    const people = ['alice', 'bob'].map((u) => t.emulator.as(u).in(inc.channelId!));
    const topic = ch.topic.value;
    const publicLines = () => ch.messages().filter((m) => !(m as { subtype?: string }).subtype);
    const privateCount = () => people.reduce((n, p) => n + p.ephemerals().length, 0);

    /** Does `act`, then checks it added one public message and nothing private for anyone. */
    async function once(what: string, act: () => Promise<unknown>): Promise<string> {
      const before = publicLines().length;
      const privateBefore = privateCount();
      await act();
      // A button's work runs after its ack: wait for its line, then for anything else it might send.
      await eventually(() => expect(publicLines().length).toBeGreaterThan(before));
      await t.settle();
      const added = publicLines().slice(before);
      expect(added.length, `${what}: ${added.map((m) => m.text).join(' | ')}`).toBe(1);
      const echoes = people.flatMap((p) => p.ephemerals()).slice(privateBefore);
      expect(
        privateCount() - privateBefore,
        `${what} answered privately: ${echoes.map((e) => e.text).join(' | ')}`,
      ).toBe(0);
      return added[0]!.text;
    }
    const slash = (p: UserDriver, text: string) => async () => {
      const reply = await p.slash('/incident', text);
      expect(reply.status, text).toBe(200);
      expect(reply.body ?? '', `${text}: ack body`).toBe('');
    };

    expect(await once('snooze 15', slash(inCh, 'snooze 15'))).toContain('snoozed paging of INC-1');
    expect(await once('snooze off', slash(inCh, 'snooze off'))).toContain('cancelled the snooze of INC-1');
    // The header's Acknowledge button, like its command, is said once in the channel.
    expect(
      await once('header Acknowledge', () => inCh.click({ actionId: 'incident_ack', messageTs: ch.messages()[0]!.ts })),
    ).toContain('<@U0ALICE> acknowledged INC-1');
    // The header's Post update form with a new status: one change, one line saying both.
    await inCh.click({ actionId: 'incident_update', messageTs: ch.messages()[0]!.ts });
    await t.emulator.waitFor(() => inCh.openViews().find((v) => v.callback_id === 'update_modal'));
    expect(
      await once('update form with a status', () =>
        inCh.submitView('update_modal', {
          text: { value: { type: 'plain_text_input', value: 'Found the bad deploy' } },
          status: { value: { type: 'static_select', selected_option: { value: 'identified' } } },
        }),
      ),
    ).toContain('status now *identified*:\nFound the bad deploy');
    for (const [a, line] of [
      ['severity P1', 'set severity to *P1*'],
      ['assign @bob comms', '<@U0BOB> is now *comms*'],
      ['update Rolled back the checkout deploy', 'Rolled back the checkout deploy'],
      ['status monitoring', 'set the status to *monitoring*'],
      ['followup @bob alert on checkout 5xx', 'Follow-up for <@U0BOB>'],
      ['runbook', 'Runbook'],
      ['resolve Rolled back', 'resolved INC-1'],
    ] as const)
      expect(await once(a, slash(inCh, a)), a).toContain(line);
    // The postmortem draft is a file in the channel, with no private note beside it.
    const privateBefore = privateCount();
    expect((await inCh.slash('/incident', 'postmortem')).body ?? '').toBe('');
    await eventually(() => expect(ch.messages().some((m) => (m as { files?: unknown[] }).files?.length)).toBe(true));
    expect(privateCount()).toBe(privateBefore);

    expect(ch.topic.value).toBe(topic);
    const header = ch.messages()[0]!;
    expect(ch.pins.map((m) => m.ts)).toEqual([header.ts]);
    const shown = JSON.stringify(header.blocks);
    expect(shown).toContain('P1');
    expect(shown).toMatch(/Resolved|resolved/);
  });

  it('keeps private what one person asked for, and errors and refusals', async () => {
    t = await startTestBot(backend);
    const alice = t.emulator.as('alice');
    await alice.slash('/incident', 'declare P2 Checkout errors');
    await t.settle();
    const inc = await t.bot.service.get(1);
    const ch = t.emulator.channel(inc.channelId!);
    const inCh = alice.in(inc.channelId!);
    const before = ch.messages().length;
    for (const [a, words] of [
      ['help', '/incident'],
      ['timers', 'Timers of INC-1'],
      ['timeline', 'Timeline of INC-1'],
      ['followups', 'INC-1'],
      ['list', 'open incident'],
      ['status', 'INC-1'],
      ['severity P9', 'Severity must be'],
      ['snooze off', 'not snoozed'],
    ] as const)
      expect(JSON.stringify((await inCh.slash('/incident', a)).body), a).toContain(words);
    await t.settle();
    expect(ch.messages().length).toBe(before);
  });
});
