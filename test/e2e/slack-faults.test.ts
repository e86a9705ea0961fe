/**
 * Retries and lost answers against the real bot: a Slack call that acts but loses its answer, for every posting
 * method the bot uses, and an event whose ack is lost and is redelivered with Slack's retry headers. Neither may
 * leave a duplicate visible message or perform an action twice.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../src/emulator/index.js';
import { amPayload, startTestBot, type TestBot, transportEnv } from '../helpers/bot.js';
import { dropSchemas } from '../helpers/db.js';

afterAll(dropSchemas);

/** Visible messages (top level and replies) that appear more than once with the same content. */
function duplicates(messages: Message[]): string[] {
  const seen = new Map<string, number>();
  for (const m of messages) {
    if (m.subtype) continue;
    const key = JSON.stringify([m.text, m.blocks ?? null, m.thread_ts === m.ts ? null : (m.thread_ts ?? null)]);
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return [...seen].filter(([, n]) => n > 1).map(([k]) => k.slice(0, 200));
}

/** Every posting method the bot calls in the main flows. */
const POSTING_METHODS = [
  'conversations.create',
  'conversations.invite',
  'conversations.setTopic',
  'conversations.join',
  'chat.postMessage',
  'chat.update',
  'pins.add',
  'views.open',
  'views.publish',
];

describe('lost answers and redelivered events (pglite)', () => {
  let t: TestBot;
  afterEach(async () => {
    await t?.close();
  });

  it.each(POSTING_METHODS)(
    'a lost answer from %s leaves no duplicate and no second action',
    async (method) => {
      t = await startTestBot('pglite', { RUNBOOKS_DIR: 'test/fixtures/runbooks-e2e' });
      t.emulator.setFaults({ loseAnswerNext: 1, methods: [method] });
      const alice = t.emulator.as('alice');
      await t.alert(
        amPayload([{ alertname: 'CheckoutLatencyHigh', labels: { namespace: 'shop', severity: 'warning' } }]),
      );
      await t.settle();
      await alice.slash('/incident', 'declare P2 Payments failing');
      await t.settle();
      for (const id of [1, 2]) {
        const inc = await t.bot.service.get(id);
        await alice.in(inc.channelId!).click({ actionId: 'incident_ack' });
        await alice.in(inc.channelId!).slash('/incident', `update looking at it ${id}`);
      }
      await alice.in((await t.bot.service.get(2)).channelId!).click({ actionId: 'incident_resolve' });
      const modal = await t.emulator.waitFor(() => alice.openViews().find((v) => v.callback_id === 'resolve_modal'));
      await alice.submitView(modal.id, { summary: { value: 'rolled back' } });
      await alice.openHome();
      await t.settle();
      await t.emulator.idle();

      expect(t.emulator.stats().faults, `the fault on ${method} was injected`).toBe(1);
      const channels = t.emulator.state.listChannels().filter((c) => c.name.startsWith('inc-'));
      expect(channels).toHaveLength(2);
      for (const c of [...channels, { id: 'C0INCIDENTS' }]) {
        const rec = t.emulator.state.channels.get(c.id)!;
        expect(duplicates(rec.messages), `duplicates in ${c.id} after a lost ${method}`).toEqual([]);
        expect(rec.pins.size).toBeLessThanOrEqual(1);
      }
      const announcements = t.emulator
        .channel('#incidents')
        .messages()
        .filter((m) => /INC-\d+ P\d/.test(m.text));
      expect(announcements).toHaveLength(2);
      for (const id of [1, 2]) {
        const kinds = (await t.bot.service.timeline(id)).map((e) => e.kind);
        expect(
          kinds.filter((k) => k === 'acknowledged'),
          `INC-${id} acknowledged once`,
        ).toHaveLength(1);
        expect(
          kinds.filter((k) => k === 'update'),
          `INC-${id} one update`,
        ).toHaveLength(1);
      }
      expect((await t.bot.service.get(2)).status).toBe('resolved');
    },
    120_000,
  );

  it.each(['http', 'socket'] as const)(
    'an event whose ack is lost is redelivered (%s), and acted on once',
    async (transport) => {
      t = await startTestBot('pglite', transportEnv(transport), { emulator: { eventRetryDelaysMs: [0, 50, 50] } });
      await t.emulator.as('alice').slash('/incident', 'declare P3 Slow search');
      await t.settle();
      const before = t.emulator.stats().calls['views.publish'] ?? 0;
      t.emulator.setFaults({ loseAckNext: 1 });
      await t.emulator.as('carol').openHome();
      await t.emulator.idle(200);
      expect(t.emulator.eventRetries()).toBe(1);
      expect(t.emulator.as('carol').home()).toBeDefined();
      expect((t.emulator.stats().calls['views.publish'] ?? 0) - before).toBe(1);
    },
  );
});
