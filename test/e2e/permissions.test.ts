import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { amPayload, eventually, startTestBot, type TestBot } from '../helpers/bot.js';
import { backends, dropSchemas } from '../helpers/db.js';

afterAll(dropSchemas);

/** PGlite on a busy machine is slow; the flows below click through many steps. */
const SLOW = { timeout: 120_000 };

/**
 * Issue #18 "On-call you can trust", on the local workspace with test/fixtures/roles-e2e.yml:
 * default viewer; alice responder (sre-oncall, the paged group); bob operator; carol admin; dave and
 * erin viewers.
 */
const ROLES = { RUNBOOKS_DIR: 'test/fixtures/runbooks-e2e', ROLES_FILE: 'test/fixtures/roles-e2e.yml' };

type Block = { type: string; block_id?: string; accessory?: { action_id?: string }; elements?: unknown[] };
const runButton = (blocks: unknown[] | undefined) =>
  ((blocks ?? []) as Block[]).find((b) => b.accessory?.action_id === 'diag_run')!.block_id!;
const reply = (r: { body: unknown }) => JSON.stringify(r.body);

/** Every plain_text object in a message's blocks, to check no `<@U…>` is shown literally. */
function plainTexts(node: unknown): string[] {
  if (!node || typeof node !== 'object') return [];
  if (Array.isArray(node)) return node.flatMap(plainTexts);
  const o = node as Record<string, unknown>;
  const own = o.type === 'plain_text' && typeof o.text === 'string' ? [o.text] : [];
  return [...own, ...Object.values(o).flatMap(plainTexts)];
}

describe.each(backends)('who may acknowledge and assign, on %s', (backend) => {
  let t: TestBot;
  afterEach(async () => {
    await t?.close();
  });

  it(
    'keeps a viewer from acknowledging, self-appointing or gaining diagnostics as commander (rt-03)',
    SLOW,
    async () => {
      t = await startTestBot(backend, ROLES);
      await t.alert(
        amPayload([{ alertname: 'CheckoutLatencyHigh', labels: { namespace: 'shop', severity: 'critical' } }]),
      );
      await t.settle();
      const inc = await t.bot.service.get(1);
      const ch = t.emulator.channel(inc.channelId!);
      const runbook = ch.messages().find((m) => m.text.startsWith('Runbook: Checkout latency'))!;
      const blockId = runButton(runbook.blocks);
      const dave = t.emulator.as('dave').in(ch.id);

      await dave.click({ actionId: 'diag_run', blockId, messageTs: runbook.ts });
      await eventually(() => expect(JSON.stringify(dave.ephemerals())).toContain('needs the responder role'));

      // A viewer outside the paged group cannot acknowledge (the page to on-call keeps going) ...
      const ack = reply(await dave.slash('/incident', 'ack'));
      expect(ack).toContain(':no_entry: Acknowledging needs the responder role or membership of the paged group');
      expect(ack).toContain('@sre-oncall');
      expect((await t.bot.service.get(1)).ackedAt).toBeNull();
      // ... nor make themselves commander, nor press the header's Acknowledge.
      expect(reply(await dave.slash('/incident', 'assign @dave commander'))).toContain(':no_entry:');
      await dave.click({ actionId: 'incident_ack', messageTs: ch.messages()[0]!.ts });
      await eventually(async () =>
        expect(
          (await t.bot.service.timeline(1)).filter((e) => e.kind === 'denied' && e.actor === 'U0DAVE'),
        ).toHaveLength(4),
      );
      expect((await t.bot.service.get(1)).commander).toBeNull();
      const denied = (await t.bot.service.timeline(1)).filter((e) => e.kind === 'denied' && e.data.action);
      expect(denied.map((e) => e.data.action)).toEqual(['acknowledge', 'claim_role', 'acknowledge']);

      // The on-call responder acknowledges and becomes commander.
      const alice = t.emulator.as('alice').in(ch.id);
      // Success is said once, in public: no private echo.
      expect(reply(await alice.slash('/incident', 'ack'))).toBe('""');
      await t.settle();
      expect(ch.messages().at(-1)!.text).toContain('<@U0ALICE> acknowledged INC-1');
      expect((await t.bot.service.get(1)).commander).toBe('U0ALICE');

      // Taking command needs responder or above, and is announced.
      expect(reply(await dave.slash('/incident', 'role commander @dave'))).toContain(
        'Taking command from the current commander needs the responder role',
      );
      const bob = t.emulator.as('bob').in(ch.id);
      expect(reply(await bob.slash('/incident', 'assign @bob commander'))).toBe('""');
      await t.settle();
      expect(ch.messages().map((m) => m.text)).toContain(
        ':bust_in_silhouette: <@U0BOB> took command of INC-1 from <@U0ALICE>.',
      );

      // Assigning someone else needs the commander or an admin.
      expect(reply(await alice.slash('/incident', 'assign @erin scribe'))).toContain(
        'Assigning someone else needs the incident commander or an admin',
      );
      expect(reply(await bob.slash('/incident', 'role scribe @erin'))).toBe('""');
      const carol = t.emulator.as('carol').in(ch.id);
      expect(reply(await carol.slash('/incident', 'assign @dave commander'))).toBe('""');
      await t.settle();
      const lines = ch.messages().map((m) => m.text);
      expect(lines).toContain(':bust_in_silhouette: <@U0ERIN> is now *scribe* (set by <@U0BOB>).');
      expect(lines.at(-1)).toContain('<@U0DAVE> is now *commander* of INC-1, replacing <@U0BOB> (set by <@U0CAROL>)');

      // Commander now, still a viewer for diagnostics.
      const before = dave.ephemerals().length;
      await dave.click({ actionId: 'diag_run', blockId, messageTs: runbook.ts });
      await eventually(() =>
        expect(JSON.stringify(dave.ephemerals().slice(before))).toContain('needs the responder role; you are a viewer'),
      );
      expect(ch.thread(runbook.ts)).toHaveLength(1);
    },
  );

  it("takes a ping: I'm on it and Acknowledge invite, record, edit the ping and retire its buttons", SLOW, async () => {
    let clock = Date.now();
    t = await startTestBot(backend, ROLES, { now: () => new Date(clock) });
    await t.alert(
      amPayload([{ alertname: 'CheckoutLatencyHigh', labels: { namespace: 'shop', severity: 'warning' } }]),
    );
    await t.settle();
    const inc = await t.bot.service.get(1);
    const ch = t.emulator.channel(inc.channelId!);
    expect(ch.members).not.toContain('U0BOB');
    clock += 10.5 * 60_000;
    const ping = await eventually(() => {
      const m = ch.messages().find((x) => x.text.includes('Nobody has acknowledged'));
      expect(m).toBeDefined();
      return m!;
    });

    // A viewer is refused, privately, and the refusal is on the timeline.
    const erin = t.emulator.as('erin').in(ch.id);
    await erin.click({ actionId: 'escalation_on_it', messageTs: ping.ts });
    await eventually(() => expect(JSON.stringify(erin.ephemerals())).toContain(':no_entry: Acknowledging needs'));
    expect((await t.bot.service.timeline(1)).some((e) => e.kind === 'denied' && e.actor === 'U0ERIN')).toBe(true);

    const bob = t.emulator.as('bob').in(ch.id);
    await bob.click({ actionId: 'escalation_on_it', messageTs: ping.ts });
    await eventually(async () => expect((await t.bot.service.get(1)).ackedBy).toBe('U0BOB'));
    await t.settle();
    expect(ch.members).toContain('U0BOB');
    // The ping now says who took it: no private thanks beside it.
    expect(bob.ephemerals()).toEqual([]);
    const taken = ch.messages().find((m) => m.ts === ping.ts)!;
    expect(JSON.stringify(taken.blocks)).toContain('<@U0BOB> acknowledged');
    expect(JSON.stringify(taken.blocks)).not.toContain('"actions"');
    expect(plainTexts(taken.blocks).join(' ')).not.toMatch(/<@U/);
    const responder = (await t.bot.service.timeline(1)).find((e) => e.kind === 'responder')!;
    expect(responder).toMatchObject({ actor: 'U0BOB', data: { user: 'U0BOB', via: 'on_it' } });
    // No literal "<@U0BOB> is on it." update anywhere.
    expect(ch.messages().some((m) => m.text.includes('is on it.'))).toBe(false);

    // The escalation to the seniors: Acknowledge on an acknowledged incident records a responder too.
    clock += 10 * 60_000;
    const esc = await eventually(() => {
      const m = ch.messages().find((x) => x.text.includes('INC-1 Escalation →'));
      expect(m).toBeDefined();
      return m!;
    });
    const alice = t.emulator.as('alice').in(ch.id);
    await alice.click({ actionId: 'escalation_on_it', messageTs: esc.ts });
    await eventually(() =>
      expect(JSON.stringify(ch.messages().find((m) => m.ts === esc.ts)!.blocks)).toContain('<@U0ALICE> is on it'),
    );
    expect(JSON.stringify(ch.messages().find((m) => m.ts === esc.ts)!.blocks)).not.toContain('escalation_snooze');
    expect((await t.bot.service.timeline(1)).filter((e) => e.kind === 'responder').map((e) => e.actor)).toEqual([
      'U0BOB',
      'U0ALICE',
    ]);
  });
});
