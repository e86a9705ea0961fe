import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startTestBot, type TestBot } from '../helpers/bot.js';
import { backends, dropSchemas } from '../helpers/db.js';

afterAll(dropSchemas);
const backend = backends.at(-1)!;

describe(`quiet incident channels on ${backend}`, () => {
  let t: TestBot;
  afterEach(async () => {
    await t?.close();
  });

  it('each action adds exactly one public message, the topic is set once and the pinned header carries the state', async () => {
    t = await startTestBot(backend);
    const alice = t.emulator.as('alice');
    await alice.slash('/incident', 'declare P2 Checkout errors');
    await t.settle();
    const inc = await t.bot.service.get(1);
    const ch = t.emulator.channel(inc.channelId!);
    const inCh = alice.in(inc.channelId!);
    const topic = ch.topic.value;
    const actions = [
      'ack',
      'severity P1',
      'assign @bob comms',
      'update Rolled back the checkout deploy',
      'status identified',
      'followup @bob alert on checkout 5xx',
      'resolve Rolled back',
    ];
    for (const a of actions) {
      const before = ch.messages().filter((m) => !(m as { subtype?: string }).subtype).length;
      const reply = await inCh.slash('/incident', a);
      expect(reply.status, a).toBe(200);
      await t.settle();
      const after = ch.messages().filter((m) => !(m as { subtype?: string }).subtype);
      expect(
        after.length - before,
        `${a}: ${after
          .slice(before)
          .map((m) => m.text)
          .join(' | ')}`,
      ).toBe(1);
    }
    expect(ch.topic.value).toBe(topic);
    const header = ch.messages()[0]!;
    expect(ch.pins.map((m) => m.ts)).toEqual([header.ts]);
    const shown = JSON.stringify(header.blocks);
    expect(shown).toContain('P1');
    expect(shown).toMatch(/Resolved|resolved/);
  });
});
