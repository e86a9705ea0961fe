/** A workspace that lasts: local mode keeps channels and messages under INCIDENT_BOT_DATA across restarts. */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_WORKSPACE_FILE, startBot } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createEmulator } from '../../src/emulator/index.js';
import { silentLogger } from '../../src/log.js';

const dir = mkdtempSync(join(tmpdir(), 'ib-persist-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = () =>
  loadConfig({ INCIDENT_BOT_DATA: dir, RUNBOOKS_DIR: 'runbooks', LOG_LEVEL: 'silent', OUTBOX_POLL_MS: '50' });

describe('the local workspace lasts across restarts', () => {
  it('keeps channels and messages the incidents point at; --reset-workspace starts fresh', async () => {
    const first = await startBot(config(), { logger: silentLogger, port: 0 });
    await first.emulator!.as('alice').slash('/incident', 'declare P2 Disk full on db-1');
    await first.sender.idle(20_000);
    const inc = await first.service.get(1);
    const before = first
      .emulator!.channel(inc.channelId!)
      .messages()
      .map((m) => m.ts);
    expect(before.length).toBeGreaterThan(0);
    await first.stop();
    expect(existsSync(join(dir, LOCAL_WORKSPACE_FILE))).toBe(true);

    const second = await startBot(config(), { logger: silentLogger, port: 0 });
    try {
      const ch = second.emulator!.channel(inc.channelId!);
      expect(ch.info.name).toBe(inc.channelName);
      expect(ch.messages().map((m) => m.ts)).toEqual(before);
      // Work after the restart lands in the same channel, and new ids never collide with stored ones.
      await second.emulator!.as('alice').in(inc.channelId!).slash('/incident', 'update still filling up');
      await second.sender.idle(20_000);
      expect(ch.messages().length).toBeGreaterThan(before.length);
      const created = second.emulator!.state.createChannel('fresh-one', 'U0ALICE');
      expect(second.emulator!.state.listChannels().filter((c) => c.id === created.info.id)).toHaveLength(1);
    } finally {
      await second.stop();
    }

    const third = await startBot(config(), { logger: silentLogger, port: 0, resetWorkspace: true });
    try {
      expect(third.emulator!.state.resolveChannel(inc.channelId!)).toBeUndefined();
      expect(third.emulator!.state.resolveChannel('#incidents')).toBeDefined();
    } finally {
      await third.stop();
    }
  }, 120_000);

  it('names the file and the way out when it is unreadable', () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{not json');
    expect(() => createEmulator({ signingSecret: 's', botToken: 'x', persistPath: path })).toThrow(
      /broken\.json is not valid JSON.*--reset-workspace/,
    );
  });
});
