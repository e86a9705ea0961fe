/**
 * A fired timer wakes the outbox sender: its ping is posted at once, not when the sender next polls
 * (OUTBOX_POLL_MS, ten minutes here, so only a wake-up can post it in time).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { amPayload, eventually, startTestBot, type TestBot } from '../helpers/bot.js';
import { backends, dropSchemas } from '../helpers/db.js';

afterAll(dropSchemas);

describe.each(backends)('a fired timer on %s', (backend) => {
  let t: TestBot;
  afterEach(async () => {
    await t?.close();
  });

  it('wakes the outbox sender, so the ping does not wait for its poll', async () => {
    let clock = Date.now();
    t = await startTestBot(
      backend,
      { RUNBOOKS_DIR: 'test/fixtures/runbooks-e2e', OUTBOX_POLL_MS: '600000' },
      { now: () => new Date(clock) },
    );
    await t.alert(
      amPayload([{ alertname: 'CheckoutLatencyHigh', labels: { namespace: 'shop', severity: 'warning' } }]),
    );
    await t.settle();
    const ch = t.emulator.channel((await t.bot.service.get(1)).channelId!);
    // The runbook's acknowledge timer (10 min) comes due; nothing else wakes the sender from here on.
    clock += 10.5 * 60_000;
    await eventually(() =>
      expect(ch.messages().map((m) => m.text)).toContainEqual(
        expect.stringContaining('INC-1 Nobody has acknowledged this incident yet'),
      ),
    );
  });
});
