/**
 * The announcement in #incidents stays current: one message per incident, edited in place on acknowledge, severity
 * change (by a person or by a more severe alert joining), commander change and resolve; changes in a row make one
 * edit of the latest state; a failed edit is retried, not dropped. Through the local workspace, real signatures.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../src/emulator/index.js';
import { enqueueAnnouncementUpdate } from '../../src/incidents/service.js';
import { repairHeads } from '../../src/store/outbox.js';
import { amPayload, startTestBot, type TestBot } from '../helpers/bot.js';
import { backends, dropSchemas } from '../helpers/db.js';

afterAll(dropSchemas);

const blockText = (m: Message) => JSON.stringify(m.blocks ?? []);

describe.each(backends)('the announcement follows the incident, on %s', (backend) => {
  let t: TestBot;
  afterEach(async () => {
    await t?.close();
  });

  /** The bot's messages in #incidents about INC-`id` (announcements carry the block id announce:<id>). */
  const announcements = (id: number) =>
    t.emulator
      .channel('incidents')
      .messages()
      .filter((m) => blockText(m).includes(`"announce:${id}"`) || m.text.includes(`INC-${id} `));

  /** The one announcement of INC-`id`; fails when there is none or more than one. */
  const theAnnouncement = (id: number): Message => {
    const list = announcements(id);
    expect(list, `messages about INC-${id} in #incidents`).toHaveLength(1);
    return list[0]!;
  };

  const announceRows = async () =>
    (
      await t.bot.db.query<{ status: string; attempts: number; coalesce_key: string | null }>(
        "SELECT status, attempts, coalesce_key FROM outbox WHERE op = 'slack.announceUpdate' ORDER BY id",
      )
    ).rows;

  it('edits one message on acknowledge, severity, commander and resolve, and the workspace page shows it', async () => {
    t = await startTestBot(backend);
    const alice = t.emulator.as('alice');
    await alice.slash('/incident', 'declare P3 Checkout slow');
    await t.settle();
    const inc = await t.bot.service.get(1);
    const first = theAnnouncement(1);
    expect(first.text).toContain('INC-1 P3: Checkout slow · investigating');
    expect(blockText(first)).toContain(`<#${inc.channelId}>`);
    expect(blockText(first)).toContain('Not acknowledged yet');
    expect(first.edited).toBeUndefined();
    const inChannel = alice.in(inc.channelId!);

    await inChannel.slash('/incident', 'ack');
    await t.settle();
    let now = theAnnouncement(1);
    expect(now.ts).toBe(first.ts);
    expect(now.edited).toBeDefined();
    expect(blockText(now)).toContain('Acknowledged by <@U0ALICE> after');
    expect(blockText(now)).toContain('Commander: <@U0ALICE>');

    await inChannel.slash('/incident', 'severity P1');
    await t.settle();
    now = theAnnouncement(1);
    expect(now.ts).toBe(first.ts);
    expect(now.text).toContain('INC-1 P1: Checkout slow');
    expect(blockText(now)).toContain(':red_circle: *INC-1 · P1*');

    // Down again is a change too.
    await inChannel.slash('/incident', 'severity P2');
    await t.settle();
    expect(theAnnouncement(1).text).toContain('INC-1 P2: Checkout slow');

    await t.emulator.as('bob').in(inc.channelId!).slash('/incident', 'assign @bob commander');
    await t.settle();
    now = theAnnouncement(1);
    expect(blockText(now)).toContain('Commander: <@U0BOB>');
    expect(blockText(now)).not.toContain('Commander: <@U0ALICE>');

    await inChannel.slash('/incident', 'status monitoring');
    await t.settle();
    expect(blockText(theAnnouncement(1))).toContain('Monitoring');

    await inChannel.slash('/incident', 'resolve rolled back');
    await t.settle();
    now = theAnnouncement(1);
    expect(now.ts).toBe(first.ts);
    expect(now.text).toMatch(/^INC-1 P2: Checkout slow · resolved after (\d+ s|\d+ min)$/);
    expect(blockText(now)).toContain(':white_check_mark: *INC-1 · P2* Checkout slow — resolved after');
    expect(blockText(now)).toContain('Resolved');
    // No separate "resolved" line: #incidents holds exactly one message about INC-1.
    expect(
      t.emulator
        .channel('incidents')
        .messages()
        .filter((m) => m.text.includes('INC-1')),
    ).toHaveLength(1);

    // The local workspace page shows the edited message in its current state.
    const page = await (await fetch(`${t.bot.url}/?channel=${encodeURIComponent('#incidents')}`)).text();
    expect(page).toContain('resolved after');
    expect(page).toContain('(edited)');
    expect(page).not.toContain('Not acknowledged yet');
  });

  it('edits it when a critical alert joins and raises the severity, with no second line in #incidents', async () => {
    t = await startTestBot(backend);
    const gk = { groupKey: 'raise' };
    await t.alert(amPayload([{ alertname: 'Latency', fingerprint: 'a1', labels: { severity: 'warning' } }], gk));
    await t.settle();
    expect(theAnnouncement(1).text).toContain('INC-1 P3: ');
    await t.alert(
      amPayload(
        [
          { alertname: 'Latency', fingerprint: 'a1', labels: { severity: 'warning' } },
          { alertname: 'ErrorsBurning', fingerprint: 'a2', labels: { severity: 'critical' } },
        ],
        gk,
      ),
    );
    await t.settle();
    const now = theAnnouncement(1);
    expect(now.text).toContain('INC-1 P1: ');
    expect(now.edited).toBeDefined();
    expect(blockText(now)).toContain('Declared by an alert');
  });

  it('coalesces changes in a row into one edit of the latest state', async () => {
    t = await startTestBot(backend);
    await t.emulator.as('alice').slash('/incident', 'declare P3 Search degraded');
    await t.settle();
    const first = theAnnouncement(1);
    // Three changes while nothing is sent: they share one waiting edit.
    await t.bot.sender.stop();
    await t.bot.service.ack(1, 'U0ALICE');
    await t.bot.service.setSeverity(1, 'P1', 'U0ALICE');
    await t.bot.service.assign(1, 'commander', 'U0CAROL', 'U0ALICE');
    expect(await announceRows()).toEqual([
      { status: 'pending', attempts: 0, coalesce_key: 'slack.announceUpdate:inc:1' },
    ]);
    t.bot.sender.start();
    await t.settle();
    const now = theAnnouncement(1);
    expect(now.ts).toBe(first.ts);
    expect(now.text).toContain('INC-1 P1: Search degraded');
    expect(blockText(now)).toContain('Commander: <@U0CAROL>');
    expect(blockText(now)).toContain('Acknowledged by <@U0ALICE>');
    // One edit, and its coalesce key is free again (cleared at claim): the next change gets an edit of its own.
    expect(await announceRows()).toEqual([{ status: 'done', attempts: 1, coalesce_key: null }]);
    await t.bot.service.resolve(1, 'U0CAROL');
    await t.settle();
    expect(await announceRows()).toHaveLength(2);
    expect(theAnnouncement(1).text).toContain('resolved after');
  });

  it('retries a failed edit until Slack takes it', async () => {
    t = await startTestBot(backend);
    await t.emulator.as('alice').slash('/incident', 'declare P2 Payments failing');
    await t.settle();
    await t.bot.sender.stop();
    // Only the announcement's edit waits (the storm code's way to ask for one), so the injected failure hits it.
    await t.bot.service.resolve(1, 'U0ALICE');
    await t.bot.db.query("DELETE FROM outbox WHERE status = 'pending' AND op <> 'slack.announceUpdate'");
    // Rows deleted by hand may have been the head its key waited behind (the sender repairs that once a minute).
    await repairHeads(t.bot.db);
    t.emulator.setFaults({ failNext: 1, errorStatus: 503, methods: ['chat.update'] });
    t.bot.sender.start();
    await t.settle();
    expect(t.emulator.stats().faults).toBe(1);
    expect(await announceRows()).toEqual([{ status: 'done', attempts: 2, coalesce_key: null }]);
    expect(theAnnouncement(1).text).toContain('INC-1 P2: Payments failing · resolved after');
    // Asked for again with nothing changed: one more edit, same message.
    await t.bot.db.tx((q) => enqueueAnnouncementUpdate(q, { id: 1 }));
    t.bot.sender.kick();
    await t.settle();
    expect(announcements(1)).toHaveLength(1);
  });

  it('finds an announcement an older version posted (its ts never stored) and edits it in place', async () => {
    t = await startTestBot(backend);
    await t.emulator.as('alice').slash('/incident', 'declare P2 Cache cold');
    await t.settle();
    // As an older version left it: "INC-1 P2: Cache cold" without a block id, and no stored ts.
    const old = theAnnouncement(1);
    old.text = 'INC-1 P2: Cache cold';
    old.blocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'INC-1 · P2 Cache cold' } }];
    await t.bot.db.query('DELETE FROM incident_announcements');
    await t.bot.service.ack(1, 'U0ALICE');
    await t.settle();
    const now = theAnnouncement(1);
    expect(now.ts).toBe(old.ts);
    expect(blockText(now)).toContain('Acknowledged by <@U0ALICE>');
  });

  it('posts the announcement again when it was deleted, once, and edits the new one after', async () => {
    t = await startTestBot(backend);
    await t.emulator.as('alice').slash('/incident', 'declare P2 Queue backlog');
    await t.settle();
    const old = theAnnouncement(1);
    const rec = t.emulator.state.channels.get('C0INCIDENTS')!;
    t.emulator.state.deleteMessage(rec, old.ts);
    await t.bot.service.ack(1, 'U0ALICE');
    await t.settle();
    const posted = theAnnouncement(1);
    expect(posted.ts).not.toBe(old.ts);
    expect(blockText(posted)).toContain('Acknowledged by <@U0ALICE>');
    await t.bot.service.resolve(1, 'U0ALICE');
    await t.settle();
    expect(theAnnouncement(1).ts).toBe(posted.ts);
    expect(theAnnouncement(1).text).toContain('resolved after');
  });
});
