import { afterAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import { type Db, openDb } from '../../src/store/db.js';
import { checkInvariants } from './scenario.js';
import {
  type BotChild,
  botEnv,
  cleanupAll,
  count,
  createDatabase,
  drained,
  type Notification,
  PING_TEXT,
  sendAll,
  startBotChild,
  startSlack,
  stormNotifications,
  tempDir,
} from './support.js';

afterAll(cleanupAll);
if (!process.env.DATABASE_URL) console.log('DATABASE_URL unset: the kill -9 storm runs on PGlite file storage only');

const GROUPS = 48;
/** Groups 0..39 start before the kill; 40..47 only after the restart. */
const EARLY = Array.from({ length: 40 }, (_, i) => i);
const ALL = Array.from({ length: GROUPS }, (_, i) => i);

/** PGlite: one process per directory, so the test opens it only once the bot child has exited. */
async function untilSlackQuiet(emulator: Emulator, groups: number, timeoutMs: number): Promise<void> {
  await emulator.waitFor(() => {
    const chans = emulator.state.listChannels().filter((c) => c.name.startsWith('inc-'));
    if (chans.length < groups) return false;
    return chans.every((c) =>
      emulator
        .channel(c.id)
        .messages()
        .some((m) => (m.text ?? '').includes(PING_TEXT)),
    );
  }, timeoutMs);
  await emulator.idle(1500, timeoutMs);
}

async function storm(backend: 'pglite' | 'postgres') {
  const emulator = await startSlack();
  let storage: Record<string, string>;
  let open: () => Promise<Db>;
  if (backend === 'postgres') {
    const url = await createDatabase();
    storage = { DATABASE_URL: url };
    open = () => openDb({ databaseUrl: url, max: 2 });
  } else {
    const dir = tempDir('ib-rel-kill9-');
    storage = { INCIDENT_BOT_DATA: dir };
    open = () => openDb({ dataDir: dir });
  }
  const env = botEnv(emulator, storage);
  const tag = backend === 'postgres' ? 'Pg' : 'Lite';
  const before: Notification[] = stormNotifications({ groups: EARLY, rounds: [0, 1, 2, 3], tag, titles: 24 });
  const after: Notification[] = [
    ...stormNotifications({ groups: ALL.slice(40), rounds: [0, 1, 2, 3], tag, titles: 24 }),
    ...stormNotifications({ groups: ALL, rounds: [4, 5, 6, 7], tag, titles: 24 }),
  ];
  const t0 = Date.now();
  const phase = (what: string) => console.log(`kill -9 on ${backend}: ${what} at ${Date.now() - t0} ms`);
  let first: BotChild | null = startBotChild(env);
  try {
    const url1 = await first.url;
    phase('first child listening');
    // Kill -9 mid-storm: after 90 accepted, with requests still in flight and the outbox busy creating channels.
    const child = first;
    const one = await sendAll([url1], before, {
      concurrency: 8,
      onAccepted: (n) => {
        if (n >= 90 && child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
        return n >= 90;
      },
    });
    const exit = await first.exited;
    expect(exit.signal).toBe('SIGKILL');
    first = null;
    expect(one.accepted.length).toBeGreaterThanOrEqual(90);
    expect(one.accepted.length).toBeLessThan(before.length);
    phase('killed');
    const slackBefore = emulator.state.listChannels().filter((c) => c.name.startsWith('inc-')).length;

    const second = startBotChild(env);
    const url2 = await second.url;
    phase('second child listening');
    // What failed while the bot died, Alertmanager sends again; then the rest of the storm.
    const two = await sendAll([url2], [...one.failed, ...one.unsent, ...after], { concurrency: 8 });
    expect(two.failed).toEqual([]);
    expect(two.unsent).toEqual([]);
    const accepted = [...one.accepted, ...two.accepted];
    phase('storm sent');

    let db: Db;
    if (backend === 'postgres') {
      db = await open();
      await drained(db, 90_000);
    } else {
      await untilSlackQuiet(emulator, GROUPS, 90_000);
      second.proc.kill('SIGTERM');
      expect((await second.exited).code).toBe(0);
      db = await open();
    }
    phase('drained');
    try {
      expect(
        await count(db, "SELECT count(*)::int AS n FROM outbox WHERE status IN ('pending', 'inflight')"),
        'outbox drained',
      ).toBe(0);
      const inv = await checkInvariants(db, emulator, accepted, GROUPS);
      console.log(
        `kill -9 on ${backend}: ${one.accepted.length} accepted before the kill (${one.failed.length} in flight failed, ` +
          `${slackBefore} channels by then), ${accepted.length} in all; ${inv.incidents} incidents, ${inv.channels} channels, ` +
          `${inv.duplicateHeaders} channels with a duplicate header`,
      );
      // A retry after the crash finds the header the dead process posted instead of posting another.
      expect(inv.duplicateHeaders, 'channels with a duplicate header').toBe(0);
    } finally {
      await db.close();
      if (second.proc.exitCode === null) second.proc.kill('SIGTERM');
      await second.exited;
    }
  } catch (err) {
    if (first) console.log(first.output());
    throw err;
  } finally {
    await emulator.close();
  }
}

// Concurrent: most of each run is waiting out the 60 s outbox lease of the rows the killed bot held.
describe.concurrent('bot killed with -9 in the middle of an alert storm', () => {
  it('on PGlite file storage: after a restart every accepted alert is in an incident, one channel each, one ping per timer', () =>
    storm('pglite'));

  it.skipIf(!process.env.DATABASE_URL)(
    'on PostgreSQL: after a restart every accepted alert is in an incident, one channel each, one ping per timer',
    () => storm('postgres'),
  );
});
