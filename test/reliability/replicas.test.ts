import { afterAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src/store/db.js';
import { checkInvariants } from './scenario.js';
import {
  botEnv,
  cleanupAll,
  createDatabase,
  drained,
  sendAll,
  startBotChild,
  startSlack,
  stormNotifications,
} from './support.js';

afterAll(cleanupAll);
if (!process.env.DATABASE_URL) console.log('DATABASE_URL unset: the two-replica test needs PostgreSQL and is skipped');

const GROUPS = 48;

describe.skipIf(!process.env.DATABASE_URL)('two bot replicas on one PostgreSQL database', () => {
  it('open one incident and one channel per alert group and fire each timer once, whichever replica gets the alert', async () => {
    const emulator = await startSlack();
    const url = await createDatabase();
    const env = botEnv(emulator, { DATABASE_URL: url });
    // Both start at once: migrations race too.
    const a = startBotChild(env);
    const b = startBotChild(env);
    try {
      const urls = await Promise.all([a.url, b.url]);
      const groups = Array.from({ length: GROUPS }, (_, i) => i);
      // Round-robin over the replicas: each group's notifications reach both, concurrently.
      const items = stormNotifications({ groups, rounds: [0, 1, 2, 3, 4, 5], tag: 'Rep', titles: 24 });
      const sent = await sendAll(urls, items, { concurrency: 10 });
      expect(sent.failed).toEqual([]);
      expect(sent.unsent).toEqual([]);
      const db = await openDb({ databaseUrl: url, max: 2 });
      try {
        await drained(db, 60_000);
        const inv = await checkInvariants(db, emulator, sent.accepted, GROUPS);
        console.log(
          `two replicas: ${sent.accepted.length} notifications, ${inv.incidents} incidents, ${inv.channels} channels, ${inv.duplicateHeaders} duplicate headers`,
        );
        expect(inv.duplicateHeaders).toBe(0);
      } finally {
        await db.close();
      }
    } catch (err) {
      console.log(`replica A:\n${a.output()}\nreplica B:\n${b.output()}`);
      throw err;
    } finally {
      a.proc.kill('SIGTERM');
      b.proc.kill('SIGTERM');
      await Promise.all([a.exited, b.exited]);
      await emulator.close();
    }
  });
});
