import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  amPayload,
  backendTransports,
  eventually,
  startTestBot,
  type TestBot,
  type Transport,
  transportEnv,
} from '../helpers/bot.js';
import { type Backend, dropSchemas, freshDb } from '../helpers/db.js';

afterAll(dropSchemas);

type Block = {
  type: string;
  text?: { text: string };
  elements?: { action_id?: string; text?: unknown }[];
  fields?: { text: string }[];
  accessory?: { action_id?: string };
};
const blockText = (blocks: unknown[] | undefined) => JSON.stringify(blocks ?? []);
const actionIds = (blocks: unknown[] | undefined) =>
  ((blocks ?? []) as Block[]).flatMap((b) =>
    [...(b.elements ?? []).map((e) => e.action_id), b.accessory?.action_id].filter((x): x is string => Boolean(x)),
  );

describe.each(backendTransports)('incident flow on %s over %s', (backend: Backend, transport: Transport) => {
  let t: TestBot;
  const startBot = (b: Backend, env: Record<string, string> = {}, opts?: Parameters<typeof startTestBot>[2]) =>
    startTestBot(b, { ...transportEnv(transport), ...env }, opts);
  // Tests of the alert webhook, the store and restarts do not depend on how Slack reaches the bot: HTTP only.
  const transportAgnostic = transport === 'socket' ? it.skip : it;
  afterEach(async () => {
    await t?.close();
  });

  it('opens a channel with header, runbook and announcement for /incident declare', async () => {
    t = await startBot(backend);
    const res = await t.emulator.as('alice').slash('/incident', 'declare P1 API is down');
    expect(res.status).toBe(200);
    // Typed in #incidents: the announcement there is the one answer, nothing private beside it.
    expect(res.body ?? '').toBe('');
    await t.settle();
    const ch = t.emulator.channel('inc-1-api-is-down');
    expect(ch.members).toEqual(expect.arrayContaining(['U0ALICE']));
    expect(ch.topic.value).toBe(
      'INC-1 · declared P1: API is down · live status, roles and buttons in the pinned header',
    );
    const [header] = ch.messages();
    expect(blockText(header!.blocks)).toContain('INC-1: API is down');
    expect(actionIds(header!.blocks)).toEqual([
      'incident_ack',
      'incident_update',
      'incident_statuspage',
      'incident_resolve',
    ]);
    expect(ch.pins.map((m) => m.ts)).toEqual([header!.ts]);
    // The README's first command shows the shipped general triage procedure, with Run buttons and its clock.
    const runbook = ch.messages().find((m) => m.text.startsWith('Runbook:'));
    expect(runbook?.text).toBe('Runbook: P1: General triage');
    expect(blockText(runbook!.blocks)).toContain('general procedure');
    expect(blockText(runbook!.blocks)).toContain('Acknowledge within 5 min');
    expect(actionIds(runbook!.blocks).filter((a) => a === 'diag_run').length).toBeGreaterThanOrEqual(4);
    expect((await t.bot.service.get(1)).runbookSource).toBe('general-triage.md');
    const announce = t.emulator.channel('incidents').messages().at(-1)!;
    expect(announce.text).toContain('INC-1 P1: API is down');
    expect(blockText(announce.blocks)).toContain(`<#${ch.id}>`);
    // Typed anywhere else, the person would see nothing where they typed: they are told privately.
    const elsewhere = await t.emulator.as('bob').in('general').slash('/incident', 'declare P3 Slow search');
    expect(JSON.stringify(elsewhere.body)).toMatch(/Declared \*INC-2\* \(P3\)/);
  });

  it('acknowledges from the header button, records the click and updates the header', async () => {
    t = await startBot(backend);
    await t.emulator.as('bob').slash('/incident', 'declare P2 Checkout slow');
    await t.settle();
    const ch = t.emulator.channel(t.emulator.state.listChannels().find((c) => c.name.includes('checkout-slow'))!.id);
    await t.emulator.as('bob').in(ch.id).click({ actionId: 'incident_ack' });
    // The bot acks the click first and acts right after.
    await eventually(async () => expect((await t.bot.service.get(1)).ackedBy).toBe('U0BOB'));
    await t.settle();
    const inc = await t.bot.service.get(1);
    expect(inc.commander).toBe('U0BOB');
    const header = ch.messages()[0]!;
    expect(actionIds(header.blocks)).not.toContain('incident_ack');
    expect(blockText(header.blocks)).toContain('Acknowledged by <@U0BOB>');
    const kinds = (await t.bot.service.timeline(1)).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['declared', 'click', 'acknowledged', 'role']));
  });

  it('answers every /incident command in an incident channel, and bad input with help', async () => {
    t = await startBot(backend);
    const alice = t.emulator.as('alice');
    await alice.slash('/incident', 'declare P2 Search degraded');
    await t.settle();
    const chId = (await t.bot.service.get(1)).channelId!;
    const inCh = alice.in(chId);
    const say = async (text: string) => JSON.stringify((await inCh.slash('/incident', text)).body);
    // A command that works answers with nothing private: its one public line in the channel says it (issue #19).
    const act = async (text: string) => {
      const res = await inCh.slash('/incident', text);
      expect(res.body ?? '', text).toBe('');
      await t.settle();
      return t.emulator.channel(chId).messages().at(-1)!.text;
    };
    expect(await say('')).toContain('/incident` commands');
    expect(await say('frobnicate')).toContain("I don't know `frobnicate`");
    expect(await say('status')).toMatch(/INC-1.*P2, investigating/);
    expect(await say('severity P9')).toContain('Severity must be P1, P2, P3 or P4');
    expect(await act('severity P1')).toContain('set severity to *P1*');
    expect(await say('assign')).toContain('/incident assign @user commander|comms|scribe');
    expect(await act('assign @bob comms')).toContain('<@U0BOB> is now *comms*');
    expect(await say('assign @nobody comms')).toContain('No user called @nobody');
    expect(await act('ack')).toContain('<@U0ALICE> acknowledged INC-1');
    expect(await say('ack')).toContain('already acknowledged');
    expect(await say('update')).toContain('An update needs some text');
    expect(await act('update Rolled back the search deploy')).toContain('Rolled back the search deploy');
    expect(await act('status identified')).toContain('set the status to *identified*');
    expect(await say('status sideways')).toContain('Unknown status \\"sideways\\"');
    expect(await say('list')).toContain('1 open incident');
    expect(await say('runbook NoSuchAlert')).toContain('No runbook matches `NoSuchAlert`');
    expect(await act('runbook kube-pod-crash-looping')).toBe('Runbook: Pod is crash looping');
    expect(await say('timeline')).toContain('Timeline of INC-1');
    expect(await act('resolve Rolled back')).toContain('<@U0ALICE> resolved INC-1');
    expect(await say('resolve')).toContain('already resolved');
    await t.settle();
    const inc = await t.bot.service.get(1);
    expect(inc).toMatchObject({ status: 'resolved', severity: 'P1', commsLead: 'U0BOB', summary: 'Rolled back' });
    expect((await t.bot.service.get(1)).runbookSource).toBe('kube-pod-crashlooping.md');
    const texts = t.emulator
      .channel(chId)
      .messages()
      .map((m) => m.text);
    expect(texts.join('\n')).toContain('Rolled back the search deploy');
    expect(texts).toContain('Runbook: Pod is crash looping');
    // Outside an incident channel the command says how to name the incident.
    expect(JSON.stringify((await alice.in('general').slash('/incident', 'ack')).body)).toContain(
      'not an incident channel',
    );
    expect(JSON.stringify((await alice.in('general').slash('/incident', 'status 1')).body)).toContain('resolved');
  });

  it('opens a modal for a bare declare and declares on submit, with errors for missing fields', async () => {
    t = await startBot(backend);
    const carol = t.emulator.as('carol');
    await carol.slash('/incident', 'declare');
    expect(carol.openViews().at(-1)?.callback_id).toBe('declare_modal');
    const bad = await carol.submitView('declare_modal', { title: { value: { type: 'plain_text_input', value: '' } } });
    expect(JSON.stringify(bad.body)).toContain('Give the incident a short title');
    await carol.submitView('declare_modal', {
      title: { value: { type: 'plain_text_input', value: 'Payments failing' } },
      severity: { value: { type: 'static_select', selected_option: { value: 'P1' } } },
      commander: { value: { type: 'users_select', selected_user: 'U0BOB' } },
    });
    await t.emulator.waitFor(() => t.emulator.state.listChannels().find((c) => c.name.endsWith('payments-failing')));
    await t.settle();
    const inc = await t.bot.service.get(1);
    expect(inc).toMatchObject({ title: 'Payments failing', severity: 'P1', commander: 'U0BOB', source: 'modal' });
  });

  it('stores an alert, opens one incident, and ignores a redelivery', async () => {
    t = await startBot(backend);
    const payload = amPayload([{ alertname: 'KubePodCrashLooping', labels: { namespace: 'shop', pod: 'api-1' } }]);
    const first = await t.alert(payload);
    expect(first.status).toBe(200);
    expect(first.body.incidents).toEqual([{ id: 1, created: true }]);
    const again = await t.alert(payload);
    expect(again.body.incidents).toEqual([{ id: 1, created: false }]);
    expect(again.body.newAlerts).toBe(0);
    await t.settle();
    const incs = await t.bot.service.listOpen();
    expect(incs).toHaveLength(1);
    const channels = t.emulator.state.listChannels().filter((c) => c.name.startsWith('inc-'));
    expect(channels).toHaveLength(1);
    const n = await t.bot.db.query<{ n: number }>('SELECT count(*)::int AS n FROM alert_notifications');
    expect(n.rows[0]!.n).toBe(2);
  });

  it('adds new alerts of the same group to the open incident and offers to resolve when all resolve', async () => {
    t = await startBot(backend);
    const groupKey = '{}:{alertname="HighErrorRate"}';
    await t.alert(
      amPayload([{ alertname: 'HighErrorRate', fingerprint: 'a1', labels: { service: 'api' } }], { groupKey }),
    );
    await t.settle();
    await t.alert(
      amPayload(
        [
          { alertname: 'HighErrorRate', fingerprint: 'a1', labels: { service: 'api' } },
          { alertname: 'HighErrorRate', fingerprint: 'a2', labels: { service: 'web' } },
        ],
        { groupKey },
      ),
    );
    await t.settle();
    const inc = await t.bot.service.get(1);
    const ch = t.emulator.channel(inc.channelId!);
    expect(
      ch
        .messages()
        .map((m) => m.text)
        .join('\n'),
    ).toContain('Alert HighErrorRate is firing (service=web)');
    expect((await t.bot.service.listOpen()).length).toBe(1);
    await t.alert(
      amPayload(
        [
          { alertname: 'HighErrorRate', fingerprint: 'a1', status: 'resolved', labels: { service: 'api' } },
          { alertname: 'HighErrorRate', fingerprint: 'a2', status: 'resolved', labels: { service: 'web' } },
        ],
        { groupKey },
      ),
    );
    await t.settle();
    const last = ch.messages().at(-1)!;
    expect(last.text).toBe('All alerts resolved');
    expect(actionIds(last.blocks)).toEqual(['incident_resolve']);
    // Clicking "Resolve incident" opens the resolve form; submitting resolves.
    const bob = t.emulator.as('bob').in(ch.id);
    await bob.click({ actionId: 'incident_resolve', messageTs: last.ts });
    await t.emulator.waitFor(() => bob.openViews().find((v) => v.callback_id === 'resolve_modal'));
    await bob.submitView('resolve_modal', {
      summary: { value: { type: 'plain_text_input', value: 'Bad deploy rolled back' } },
    });
    await eventually(async () => expect((await t.bot.service.get(1)).status).toBe('resolved'));
    // After resolve, the same group firing again (a new startsAt) opens a new incident.
    const again = await t.alert(
      amPayload([{ alertname: 'HighErrorRate', fingerprint: 'a1', startsAt: '2026-11-23T04:00:00.000Z' }], {
        groupKey,
      }),
    );
    expect(again.body.incidents).toEqual([{ id: 2, created: true }]);
  });

  transportAgnostic('sends info alerts to a digest in #incidents instead of opening a channel', async () => {
    t = await startBot(backend);
    const p = amPayload([
      {
        alertname: 'CertExpiringSoon',
        labels: { severity: 'info', namespace: 'edge' },
        annotations: { summary: 'cert expires in 20 days' },
      },
    ]);
    await t.alert(p);
    await t.alert(p);
    await t.settle();
    expect(await t.bot.service.listOpen()).toHaveLength(0);
    const digest = t.emulator
      .channel('incidents')
      .messages()
      .filter((m) => m.text.includes('CertExpiringSoon'));
    expect(digest).toHaveLength(1);
    expect(digest[0]!.text).toContain('cert expires in 20 days');
  });

  transportAgnostic(
    'answers 4xx only without the token, over the size limit or for what is not a notification',
    async () => {
      t = await startBot(backend, { ALERT_WEBHOOK_TOKEN: 's3cret', ALERT_MAX_BODY_BYTES: String(1024 * 1024) });
      const auth = { authorization: 'Bearer s3cret' };
      expect((await t.alert(amPayload([{ alertname: 'X' }]))).status).toBe(401);
      expect((await t.alert(amPayload([{ alertname: 'X' }]), { authorization: 'Bearer nope' })).status).toBe(401);
      // An odd status is read from endsAt and the notification, not refused.
      const odd = await t.alert(
        { status: 'firing', alerts: [{ status: 'burning', labels: { alertname: 'X' } }] },
        auth,
      );
      expect(odd.status).toBe(200);
      const empty = await t.alert({ status: 'firing', alerts: [{ status: 'firing', labels: {} }] }, auth);
      expect(empty.status).toBe(200);
      expect(empty.body.deadLetters).toBe(1);
      expect((await t.alert('{not json', auth)).status).toBe(400);
      const notOne = await t.alert({ hello: 'world' }, auth);
      expect(notOne.status).toBe(400);
      expect(notOne.body.message).toContain('no "alerts" list');
      const huge = await t.alert(
        amPayload([{ alertname: 'X', annotations: { description: 'x'.repeat(1_100_000) } }]),
        auth,
      );
      expect(huge.status).toBe(413);
      expect((await fetch(`${t.bot.url}/healthz`)).status).toBe(200);
    },
  );

  transportAgnostic('escapes mrkdwn and mentions that arrive in alert labels', async () => {
    t = await startBot(backend);
    await t.alert(
      amPayload([
        {
          alertname: 'Injected',
          labels: { service: '<!channel> <@U0BOB>' },
          annotations: { summary: 'ping <!here> now' },
        },
      ]),
    );
    await t.settle();
    const inc = await t.bot.service.get(1);
    // Everything Slack parses for mentions: message text and mrkdwn (plain_text is never parsed).
    const parsed: string[] = [];
    const walk = (x: unknown): void => {
      if (Array.isArray(x)) x.forEach(walk);
      else if (x && typeof x === 'object') {
        const o = x as Record<string, unknown>;
        if (o.type === 'mrkdwn' && typeof o.text === 'string') parsed.push(o.text);
        for (const v of Object.values(o)) walk(v);
      }
    };
    for (const ch of [t.emulator.channel(inc.channelId!), t.emulator.channel('incidents')]) {
      for (const m of ch.messages()) {
        parsed.push(m.text);
        walk(m.blocks);
      }
    }
    const all = parsed.join('\n');
    expect(all).not.toMatch(/<!channel>|<!here>|<@U0BOB>/);
    expect(all).toContain('&lt;!here&gt;');
  });

  transportAgnostic('keeps Slack work queued across a restart and sends it from the next process', async () => {
    const db = await freshDb(backend);
    const first = await startBot(backend, {}, { db, emulator: { faults: { errorRate: 1, errorStatus: 503 } } });
    const res = await first.alert(amPayload([{ alertname: 'KubePodCrashLooping', labels: { namespace: 'shop' } }]));
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect((await first.bot.service.get(1)).channelId).toBeNull();
    await first.bot.stop();
    const pending = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM outbox WHERE status IN ('pending', 'inflight')",
    );
    expect(pending.rows[0]!.n).toBeGreaterThanOrEqual(5);
    // A new process on the same store (Slack healthy again) drains what the first one could not send.
    t = await startBot(backend, {}, { db });
    await t.settle();
    const inc = await t.bot.service.get(1);
    expect(inc.channelId).not.toBeNull();
    const ch = t.emulator.channel(inc.channelId!);
    expect(ch.messages().map((m) => m.text)[0]).toContain('INC-1');
    expect(ch.messages().some((m) => m.text.startsWith('Runbook: '))).toBe(true);
  });

  it('shows open incidents on the App Home tab with a Declare button', async () => {
    t = await startBot(backend);
    await t.emulator.as('alice').slash('/incident', 'declare P2 Queue backlog');
    await t.emulator.as('carol').openHome();
    const home = await t.emulator.waitFor(() => t.emulator.as('carol').home());
    const text = JSON.stringify(home.blocks);
    expect(text).toContain('INC-1');
    expect(text).toContain('Queue backlog');
    expect(text).toContain('home_declare');
  });

  transportAgnostic(
    'resolves by itself after the quiet period when AUTO_RESOLVE_MINUTES is set, unless an alert fires again',
    async () => {
      t = await startBot(backend, { AUTO_RESOLVE_MINUTES: '0.02' });
      const gk = { groupKey: 'auto' };
      await t.alert(amPayload([{ alertname: 'DiskFull', fingerprint: 'd1' }], gk));
      await t.alert(amPayload([{ alertname: 'DiskFull', fingerprint: 'd1', status: 'resolved' }], gk));
      await eventually(async () => expect((await t.bot.service.get(1)).status).toBe('resolved'), 10_000);
      expect((await t.bot.service.get(1)).summary).toContain('Auto-resolved');
      // A second incident whose alert fires again within the quiet period stays open.
      const gk2 = { groupKey: 'flappy' };
      await t.alert(amPayload([{ alertname: 'Flappy', fingerprint: 'f1' }], gk2));
      await t.alert(amPayload([{ alertname: 'Flappy', fingerprint: 'f1', status: 'resolved' }], gk2));
      await t.alert(amPayload([{ alertname: 'Flappy', fingerprint: 'f1', startsAt: '2026-11-23T03:30:00.000Z' }], gk2));
      await new Promise((r) => setTimeout(r, 2500));
      expect((await t.bot.service.get(2)).status).toBe('investigating');
    },
  );

  transportAgnostic(
    "adopts a channel it created before a crash instead of opening a second one, but never a stranger's",
    async () => {
      t = await startBot(backend);
      // As if the bot had created this channel and died before storing its id...
      t.emulator.state.createChannel('inc-2-orphan-check', 'U0BOT');
      // ...and someone else happens to own this name.
      t.emulator.state.createChannel('inc-3-stranger-check', 'U0ALICE');
      const alice = t.emulator.as('alice');
      await alice.slash('/incident', 'declare P3 Something else');
      await alice.slash('/incident', 'declare P2 Orphan check');
      await alice.slash('/incident', 'declare P2 Stranger check');
      await t.settle();
      expect((await t.bot.service.get(2)).channelName).toBe('inc-2-orphan-check');
      // A stranger's channel is never taken: a suffix makes the name unique.
      expect((await t.bot.service.get(3)).channelName).toBe('inc-3-stranger-check-2');
      const names = t.emulator.state.listChannels().map((c) => c.name);
      expect(names.filter((n) => n.startsWith('inc-2-orphan-check'))).toHaveLength(1);
    },
  );
});
