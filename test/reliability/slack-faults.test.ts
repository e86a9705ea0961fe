import { afterAll, describe, expect, it } from 'vitest';
import { startTestBot } from '../helpers/bot.js';
import { dropSchemas } from '../helpers/db.js';
import { count, sleep } from './support.js';

afterAll(dropSchemas);

const INCIDENTS = 4;
const UPDATES = 12;
const backend = process.env.DATABASE_URL ? 'postgres' : 'pglite';

describe(`Slack answering 500s, timeouts and 429s for a while (${backend})`, () => {
  it('delays the Slack work without losing it, and keeps each channel in order', async () => {
    // Budget off: this test is about what Slack's own 429s, 5xx and timeouts do (with the budget on, the bot
    // stays under the limits and never sees a 429; test/e2e/budget.test.ts covers that).
    const t = await startTestBot(backend, { SLACK_BUDGET: 'off' });
    try {
      const { emulator, bot } = t;
      // Rate limits on all along (429 + Retry-After); 5xx and hanging calls for the first seconds.
      emulator.setRateLimits({ enabled: true, overrides: { 'chat.postMessage': { perMinute: 120, burst: 2 } } });
      emulator.setFaults({ errorRate: 0.5, errorStatus: 500, timeoutRate: 0.1, timeoutMs: 1500, seed: 11 });
      const faultsOn = Date.now();

      const ids: number[] = [];
      for (let i = 1; i <= INCIDENTS; i++) {
        const inc = await bot.service.declare({
          title: `Flaky Slack ${i}`,
          severity: 'P2',
          actor: 'U0ALICE',
          source: 'api',
        });
        ids.push(inc.id);
      }
      // Numbered updates, one after another per incident, the incidents side by side.
      await Promise.all(
        ids.map(async (id) => {
          for (let n = 1; n <= UPDATES; n++) {
            await bot.service.update(id, `update ${n} of INC-${id}`, 'U0ALICE');
            await sleep(50);
          }
        }),
      );
      // Faults for at least 5 s and until 20 calls have failed (at most 12 s), then Slack recovers.
      while (Date.now() - faultsOn < 12_000 && (Date.now() - faultsOn < 5000 || emulator.stats().faults < 20))
        await sleep(100);
      emulator.setFaults({});
      const stats = emulator.stats();
      expect(stats.faults).toBeGreaterThanOrEqual(10);

      await t.settle(90_000);
      expect(emulator.stats().rateLimited).toBeGreaterThan(0);
      expect(
        await count(bot.db, "SELECT count(*)::int AS n FROM outbox WHERE status = 'failed'"),
        'nothing failed for good',
      ).toBe(0);
      for (const id of ids) {
        const inc = await bot.service.get(id);
        expect(inc.channelId, `INC-${id} has a channel`).toBeTruthy();
        const msgs = emulator.channel(inc.channelId!).messages();
        expect(msgs.some((m) => m.ts === inc.headerTs && (m.text ?? '').startsWith(`INC-${id} `))).toBe(true);
        const updates = msgs
          .map((m) => /update (\d+) of INC-(\d+)/.exec(m.text ?? ''))
          .filter((m): m is RegExpExecArray => m !== null);
        expect(updates.every((m) => Number(m[2]) === id)).toBe(true);
        // Every update exactly once, in the order they were posted.
        expect(updates.map((m) => Number(m[1]))).toEqual(Array.from({ length: UPDATES }, (_, i) => i + 1));
      }
      const channels = emulator.state.listChannels().filter((c) => c.name.startsWith('inc-'));
      expect(channels.length).toBe(INCIDENTS);
      const announced = emulator
        .channel('incidents')
        .messages()
        .filter((m) => /Flaky Slack/.test(m.text ?? ''));
      expect(announced.length).toBe(INCIDENTS);
      console.log(
        `slack faults: ${stats.faults} injected faults, ${emulator.stats().rateLimited} 429s, settled ${Date.now() - faultsOn} ms after faults began`,
      );
    } finally {
      await t.close();
    }
  });
});
