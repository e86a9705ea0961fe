import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startTestBot, type TestBot } from '../helpers/bot.js';
import { backends, dropSchemas } from '../helpers/db.js';

afterAll(dropSchemas);
const backend = backends.at(-1)!;

describe(`App Home and long timelines on ${backend}`, () => {
  let t: TestBot;
  afterEach(async () => {
    await t?.close();
  });

  it('/incident timeline on a long incident shows the latest events and says how many earlier ones exist', async () => {
    t = await startTestBot(backend);
    const alice = t.emulator.as('alice');
    await alice.slash('/incident', 'declare P3 Slow reports');
    await t.settle();
    const inc = await t.bot.service.get(1);
    for (let i = 1; i <= 120; i++) await t.bot.service.record(inc.id, 'note', 'U0ALICE', `step ${i} checked`);
    const reply = JSON.stringify((await alice.in(inc.channelId!).slash('/incident', 'timeline')).body);
    expect(reply).toContain('step 120 checked');
    expect(reply).not.toContain('step 1 checked');
    const total = (await t.bot.service.timeline(inc.id)).length;
    expect(reply).toContain(`Showing the latest 40 events; ${total - 40} earlier events not shown`);
    expect(reply).toContain('incident-bot incidents export 1 --format json');
  });

  it('App Home shows my incidents, open, recently resolved and my follow-ups, each bounded with N more', async () => {
    t = await startTestBot(backend);
    const alice = t.emulator.as('alice');
    for (let i = 1; i <= 18; i++) await alice.slash('/incident', `declare P4 Batch job ${i} late`);
    await t.settle();
    const first = await t.bot.service.get(1);
    const inFirst = alice.in(first.channelId!);
    await inFirst.slash('/incident', 'ack');
    await inFirst.slash('/incident', 'followup tune the batch window');
    const second = await t.bot.service.get(2);
    await alice.in(second.channelId!).slash('/incident', 'resolve Rerun done');
    await t.settle();
    await alice.openHome();
    const home = await t.emulator.waitFor(() => alice.home());
    const text = JSON.stringify(home.blocks);
    for (const h of ['Mine', 'Open', 'Recently resolved', 'My follow-ups']) expect(text).toContain(`"text":"${h}"`);
    expect(text).toContain('tune the batch window');
    expect(text).toContain('2 more.'); // 17 open, 15 shown
    expect(text).toContain('Batch job 2 late');
    expect(home.blocks.length).toBeLessThanOrEqual(100);
    // Who is on call now: the default rotation and its people, from the workspace's user groups.
    expect(text).toContain('"text":"On call now"');
    expect(text).toContain('*@sre-oncall* (default): <@U0ALICE>');
  });

  it('App Home shows who is on call now per rotation, bounded with N more, and says when a group is missing', async () => {
    const teams = Array.from({ length: 17 }, (_, i) => `team${i + 1}=rota-${i + 1}`);
    t = await startTestBot(backend, {
      ONCALL_GROUPS: ['payments=sre-seniors', 'shop=SRE-Seniors', ...teams].join(','),
    });
    const carol = t.emulator.as('carol');
    await carol.openHome();
    const home = await t.emulator.waitFor(() => carol.home());
    const lines = (home.blocks as { type: string; text?: { text: string }; elements?: { text: string }[] }[]).map(
      (b) => b.text?.text ?? b.elements?.map((e) => e.text).join(' ') ?? b.type,
    );
    const from = lines.indexOf('On call now');
    expect(from).toBeGreaterThan(0);
    const oncall = lines.slice(from + 1);
    // The default first, then each group once with the teams routed to it; 19 rotations, 15 shown.
    expect(oncall.slice(0, 3)).toEqual([
      '• *@sre-oncall* (default): <@U0ALICE>',
      '• *@sre-seniors* (payments, shop): <@U0BOB>',
      '• *@rota-1* (team1): _no such user group in this workspace; check ONCALL_GROUPS / DEFAULT_ONCALL_GROUP_',
    ]);
    expect(oncall.filter((l) => l.startsWith('• '))).toHaveLength(15);
    expect(oncall.at(-1)).toBe('4 more.');
    expect(home.blocks.length).toBeLessThanOrEqual(100);
  });
});
