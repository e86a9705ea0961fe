import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openDb } from '../../src/store/db.js';
import { eventually, startTestBot, type TestBot } from '../helpers/bot.js';
import { backends, dropSchemas } from '../helpers/db.js';

afterAll(dropSchemas);

describe.each(backends)('status page and postmortem on %s', (backend) => {
  let t: TestBot;
  afterEach(async () => {
    await t?.close();
  });

  async function declared() {
    const alice = t.emulator.as('alice');
    await alice.slash('/incident', 'declare P1 Login failing');
    await t.settle();
    const inc = await t.bot.service.get(1);
    return { alice: alice.in(inc.channelId!), inc };
  }

  it('lets only the commander or comms publish, through compose, preview and publish', async () => {
    t = await startTestBot(backend);
    const { alice, inc } = await declared();
    // Nobody holds a role yet: erin is refused, and the refusal is on the timeline.
    const erin = t.emulator.as('erin').in(inc.channelId!);
    const denied = await erin.slash('/incident', 'statuspage');
    expect(JSON.stringify(denied.body)).toContain('Only the commander or comms lead of INC-1 can publish');
    expect((await t.bot.service.timeline(1)).some((e) => e.kind === 'denied' && e.actor === 'U0ERIN')).toBe(true);

    await alice.slash('/incident', 'ack');
    await alice.slash('/incident', 'statuspage');
    const compose = alice.openViews().at(-1)!;
    expect(compose.callback_id).toBe('statuspage_compose');
    const asked = (compose.blocks as { block_id?: string }[])
      .map((b) => b.block_id)
      .filter((id) => id?.startsWith('f:'));
    expect(asked).toContain('f:update');
    const preview = await alice.submitView('statuspage_compose', {
      status: { value: { type: 'static_select', selected_option: { value: 'identified' } } },
      'f:update': { value: { type: 'plain_text_input', value: 'We found a bad config push and are reverting it.' } },
    });
    expect(preview.status).toBe(200);
    const previewView = await t.emulator.waitFor(() =>
      alice.openViews().find((v) => v.callback_id === 'statuspage_publish'),
    );
    const body = JSON.stringify(previewView.blocks);
    expect(body).toContain('We found a bad config push and are reverting it.');
    expect(body).toContain('Login failing');
    await alice.submitView('statuspage_publish');
    await eventually(async () => expect((await t.bot.service.get(1)).statuspageIncidentId).toBeTruthy());
    await t.settle();
    const posted = t.emulator
      .channel(inc.channelId!)
      .messages()
      .map((m) => m.text)
      .join('\n');
    expect(posted).toContain('Status page incident created* (identified)');
    expect(
      t.emulator
        .channel('incidents')
        .messages()
        .map((m) => m.text)
        .join('\n'),
    ).toContain('INC-1');
    // A later status change offers the matching status-page update.
    await alice.slash('/incident', 'status monitoring');
    await t.settle();
    const offer = t.emulator
      .channel(inc.channelId!)
      .messages()
      .filter((m) => m.text.includes('status page still'));
    expect(offer).toHaveLength(1);
    expect(JSON.stringify(offer[0]!.blocks)).toContain('incident_statuspage');
  });

  it('posts a postmortem draft as a file and exports it from the CLI', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ib-pm-'));
    const db = backend === 'pglite' ? await openDb({ dataDir: dir }) : undefined;
    t = await startTestBot(backend, {}, db ? { db } : {});
    const { alice, inc } = await declared();
    await alice.slash('/incident', 'ack');
    await alice.slash('/incident', 'update Reverted the auth config');
    await alice.slash('/incident', 'resolve Config reverted');
    await t.settle();
    const res = await alice.slash('/incident', 'postmortem');
    expect(JSON.stringify(res.body)).toContain('Postmortem draft for INC-1 posted');
    const file = await t.emulator.waitFor(() =>
      t.emulator
        .channel(inc.channelId!)
        .messages()
        .find((m) => (m as { files?: unknown[] }).files?.length),
    );
    expect(JSON.stringify(file)).toContain('inc-1-postmortem.md');
    if (backend !== 'pglite') return;
    await t.close();
    // The same store, read by the CLI.
    const run = promisify(execFile);
    const env = { ...process.env, INCIDENT_BOT_DATA: dir, DATABASE_URL: '', LOG_LEVEL: 'silent' };
    const md = await run(process.execPath, ['--import', 'tsx', 'src/main.ts', 'incidents', 'export', '1'], { env });
    expect(md.stdout).toContain('Login failing');
    expect(md.stdout).toContain('Reverted the auth config');
    const json = JSON.parse(
      (
        await run(
          process.execPath,
          ['--import', 'tsx', 'src/main.ts', 'incidents', 'export', 'INC-1', '--format', 'json'],
          { env },
        )
      ).stdout,
    );
    expect(json.incident.status).toBe('resolved');
    expect(json.durations.toResolve).toBeGreaterThanOrEqual(0);
    await expect(
      run(process.execPath, ['--import', 'tsx', 'src/main.ts', 'incidents', 'export', '99'], { env }),
    ).rejects.toMatchObject({
      stderr: expect.stringContaining('INC-99 does not exist'),
    });
    t = undefined as never;
  });

  it('uses the COMMUNICATION_TEMPLATE file when the runbook has no template', async () => {
    t = await startTestBot(backend, { COMMUNICATION_TEMPLATE: 'test/fixtures/templates/acme-status.md' });
    const { alice } = await declared();
    await alice.slash('/incident', 'ack');
    await alice.slash('/incident', 'statuspage');
    const compose = alice.openViews().at(-1)!;
    const asked = (compose.blocks as { block_id?: string }[])
      .map((b) => b.block_id)
      .filter((id) => id?.startsWith('f:'));
    expect(asked.length).toBeGreaterThan(0);
    const values: Record<string, Record<string, unknown>> = {};
    for (const id of asked)
      values[id!] = {
        value: { type: 'plain_text_input', value: id === 'f:update' ? 'Logins fail for some users.' : 'eu-west-1' },
      };
    await alice.submitView('statuspage_compose', values);
    const preview = await t.emulator.waitFor(() =>
      alice.openViews().find((v) => v.callback_id === 'statuspage_publish'),
    );
    const text = JSON.stringify(preview.blocks);
    expect(text).toContain('ACME Cloud status');
    expect(text).toContain('eu-west-1');
  });
});
