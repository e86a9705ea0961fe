import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { amPayload, eventually, startTestBot, type TestBot } from '../helpers/bot.js';
import { backends, dropSchemas, freshDb } from '../helpers/db.js';

afterAll(dropSchemas);

/** One Alertmanager group of the storm: its own group key, cluster and namespace labels. */
function group(i: number, opts: { cluster?: string; namespace?: string; alertname?: string; severity?: string } = {}) {
  const cluster = opts.cluster ?? 'prod-a';
  const namespace = opts.namespace ?? 'payments';
  const alertname = opts.alertname ?? `NodePoolAlert${i}`;
  return amPayload(
    [0, 1].map((k) => ({
      alertname,
      labels: { cluster, namespace, pod: `pod-${i}-${k}`, severity: opts.severity ?? 'warning' },
      annotations: { summary: `${alertname} in ${namespace}` },
      fingerprint: `${cluster}-${namespace}-${i}-${k}`,
    })),
    { groupKey: `{}:{alertname="${alertname}", cluster="${cluster}", namespace="${namespace}", node="n${i}"}` },
  );
}

const RATE_LIMITED = [
  { EMULATOR_RATE_LIMITS: 'true', STORM_REFRESH_SECONDS: '1' },
  { emulator: { rateLimits: { enabled: true, clockScale: 20 } } },
] as const;

describe.each(backends)('alert storms on %s', (backend) => {
  let t: TestBot;
  afterEach(async () => {
    await t?.close();
  });

  const open = async () =>
    (
      await t.bot.db.query<{ id: number; group_key: string; merged_into: number | null }>(
        "SELECT id, group_key, merged_into FROM incidents WHERE status <> 'resolved' ORDER BY id",
      )
    ).rows.map((r) => ({ id: Number(r.id), groupKey: r.group_key }));
  const summaryOf = async (id: number) => {
    const inc = await t.bot.service.get(id);
    const ch = t.emulator.channel(inc.channelId!);
    return ch.messages().find((m) => JSON.stringify(m.blocks ?? []).includes(`"storm:${id}"`));
  };

  it('gathers a storm into one incident with a live summary; an unrelated group keeps its own', async () => {
    t = await startTestBot(backend, { ...RATE_LIMITED[0] }, { ...RATE_LIMITED[1] });
    // Three groups open three incidents; the fourth within the window crosses STORM_THRESHOLD (3).
    for (let i = 1; i <= 3; i++) expect((await t.alert(group(i))).body.incidents).toEqual([{ id: i, created: true }]);
    const fourth = await t.alert(group(4, { severity: 'critical' }));
    expect(fourth.body.incidents).toEqual([{ id: 4, created: true }]);
    // A group from another cluster, same namespace name, during the storm: its own incident.
    expect((await t.alert(group(9, { cluster: 'prod-b' }))).body.incidents).toEqual([{ id: 5, created: true }]);
    for (let i = 5; i <= 7; i++) expect((await t.alert(group(i))).body.incidents).toEqual([{ id: 4, created: false }]);
    await t.settle(60_000);

    expect((await open()).map((i) => i.id)).toEqual([4, 5]);
    const storm = await t.bot.service.get(4);
    expect(storm.title).toBe('Alert storm in prod-a / payments');
    // The highest severity in the storm (group 4 is critical).
    expect(storm.severity).toBe('P1');
    for (const id of [1, 2, 3]) {
      const folded = await t.bot.service.get(id);
      expect(folded.status).toBe('resolved');
      expect(folded.summary).toBe('Merged into INC-4');
      expect((await t.bot.service.timeline(id)).map((e) => e.kind)).toContain('merged');
      expect(await t.bot.service.alerts(id)).toEqual([]);
    }
    expect((await t.bot.service.timeline(4)).filter((e) => e.kind === 'merged_in')).toHaveLength(3);
    expect(await t.bot.service.alerts(4)).toHaveLength(14);
    // Folded incidents have no pending timers; the storm has one chain.
    const timers = await t.bot.db.query<{ incident_id: number }>(
      "SELECT incident_id FROM timers WHERE status = 'pending' AND incident_id IN (1, 2, 3)",
    );
    expect(timers.rows).toEqual([]);

    const summary = await eventually(async () => {
      const m = await summaryOf(4);
      expect(m?.text).toContain('7 alert groups, 7 firing, 14 alerts firing');
      return m!;
    }, 20_000);
    const blocks = JSON.stringify(summary.blocks);
    for (let i = 1; i <= 7; i++) expect(blocks).toContain(`NodePoolAlert${i}`);
    expect(blocks).toContain('2 firing of 2');
    expect(blocks).toContain('payments');
    const stormChannel = t.emulator.channel(storm.channelId!);
    expect(stormChannel.pins.map((m) => m.ts)).toContain(summary.ts);
    // Nothing per alert in the storm channel: header, runbook(s) and summary, not 14 alert messages.
    expect(stormChannel.messages().filter((m) => /firing/.test(m.text) && m.ts !== summary.ts).length).toBeLessThan(3);

    // #incidents: the storm's one announcement says its scope; a folded incident is never shown as open there.
    const announcements = () => t.emulator.channel('incidents').messages();
    await eventually(async () => {
      const storm4 = announcements().filter((m) => m.text.startsWith('INC-4 '));
      expect(storm4).toHaveLength(1);
      expect(storm4[0]!.text).toContain('Storm: 7 alert groups in cluster prod-a / namespace payments');
    }, 60_000);
    for (const id of [1, 2, 3]) {
      const lines = announcements().filter((m) => m.text.startsWith(`INC-${id} `));
      expect(lines.length).toBeLessThanOrEqual(1);
      for (const m of lines) expect(m.text).toContain('merged into INC-4');
    }

    // A redelivery of a folded group changes nothing and finds the storm.
    const again = await t.alert(group(1));
    expect(again.body.incidents).toEqual([{ id: 4, created: false }]);
    expect(again.body.newAlerts).toBe(0);
    // A resolve of one group's alerts shows up in the summary, edited in place.
    const resolved = group(2);
    for (const a of resolved.alerts) {
      a.status = 'resolved';
      a.endsAt = '2026-11-23T03:20:00.000Z';
    }
    resolved.status = 'resolved';
    await t.alert(resolved);
    await t.settle(60_000);
    await eventually(async () => expect((await summaryOf(4))?.text).toContain('7 alert groups, 6 firing'), 20_000);
    expect((await summaryOf(4))?.ts).toBe(summary.ts);
    // One channel per incident that had one, never two.
    const names = t.emulator.state.channels;
    const incChannels = [...names.values()].filter((c) => c.info.name.startsWith('inc-'));
    expect(new Set(incChannels.map((c) => c.info.name.replace(/^inc-(\d+).*/, '$1'))).size).toBe(incChannels.length);
  }, 120_000);

  it('merges an incident in with /incident merge and shows the alerts of a group in a thread and splits it out from its menu, by the commander only', async () => {
    t = await startTestBot(backend, { ...RATE_LIMITED[0] }, { ...RATE_LIMITED[1] });
    for (let i = 1; i <= 4; i++) await t.alert(group(i));
    await t.alert(group(9, { cluster: 'prod-b', alertname: 'OtherClusterDown' }));
    await t.settle(60_000);
    const storm = await t.bot.service.get(4);
    // Bob acknowledges and so commands the storm: alice, a responder, may not merge into it.
    await t.emulator.as('bob').in(storm.channelId!).slash('/incident', 'ack');
    const denied = await t.emulator.as('alice').in(storm.channelId!).slash('/incident', 'merge INC-5');
    expect(JSON.stringify(denied.body)).toMatch(/no_entry/);
    expect((await t.bot.service.get(5)).status).not.toBe('resolved');
    const alice = t.emulator.as('bob').in(storm.channelId!);
    const merged = await alice.slash('/incident', 'merge INC-5');
    expect(JSON.stringify(merged.body)).toContain('INC-5 merged into INC-4');
    const five = await t.bot.service.get(5);
    expect(five.status).toBe('resolved');
    expect(five.summary).toBe('Merged into INC-4');
    expect((await t.bot.service.alerts(4)).some((a) => a.alertname === 'OtherClusterDown')).toBe(true);
    expect((await t.bot.service.timeline(4)).some((e) => e.kind === 'merged_in' && e.actor === 'U0BOB')).toBe(true);
    await t.settle(60_000);
    // INC-5's channel existed: one line there points at the storm.
    const fiveChannel = t.emulator.channel(five.channelId!);
    await eventually(() =>
      expect(fiveChannel.messages().some((m) => m.text.includes('was merged into INC-4'))).toBe(true),
    );

    // Split out the merged group again from the summary.
    const summary = await eventually(async () => {
      const m = await summaryOf(4);
      expect(JSON.stringify(m?.blocks)).toContain('OtherClusterDown');
      return m!;
    }, 20_000);
    const row = await t.bot.db.query<{ id: number }>(
      "SELECT id FROM alert_groups WHERE incident_id = 4 AND group_key LIKE '%OtherClusterDown%'",
    );
    const groupId = Number(row.rows[0]!.id);
    // Its alerts in the summary's thread, on demand.
    await alice.click({ actionId: `storm_group_${groupId}`, value: `detail:4:${groupId}`, messageTs: summary.ts });
    const stormCh = t.emulator.channel(storm.channelId!);
    await eventually(() => {
      const replies = stormCh.thread(summary.ts).slice(1);
      expect(replies.some((m) => m.text.startsWith('OtherClusterDown (payments): 2 firing of 2'))).toBe(true);
    });
    await alice.click({ actionId: `storm_group_${groupId}`, value: `split:4:${groupId}`, messageTs: summary.ts });
    const split = await eventually(async () => {
      const o = await open();
      expect(o.map((i) => i.id)).toEqual([4, 6]);
      return t.bot.service.get(6);
    });
    expect(split.title).toContain('OtherClusterDown');
    expect((await t.bot.service.alerts(6)).map((a) => a.alertname)).toEqual(['OtherClusterDown', 'OtherClusterDown']);
    expect((await t.bot.service.alerts(4)).some((a) => a.alertname === 'OtherClusterDown')).toBe(false);
    expect((await t.bot.service.timeline(4)).some((e) => e.kind === 'split')).toBe(true);
    // Its next notification goes to the split-out incident.
    expect((await t.alert(group(9, { cluster: 'prod-b', alertname: 'OtherClusterDown' }))).body.incidents).toEqual([
      { id: 6, created: false },
    ]);
    await t.settle(60_000);
    const splitChannel = (await t.bot.service.get(6)).channelId!;
    expect(t.emulator.channel(splitChannel).messages().length).toBeGreaterThan(0);
  }, 120_000);

  it('loses nothing across a restart in the middle of a storm; folded incidents never get a channel', async () => {
    const db = await freshDb(backend);
    // Slack is down for the first process: the storm forms in the store only.
    const first = await startTestBot(
      backend,
      { ...RATE_LIMITED[0] },
      { db, emulator: { faults: { errorRate: 1, errorStatus: 503 } } },
    );
    const sent = await Promise.all([1, 2, 3, 4, 5].map((i) => first.alert(group(i))));
    expect(sent.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    await first.bot.stop();
    t = await startTestBot(backend, { ...RATE_LIMITED[0] }, { db, ...RATE_LIMITED[1] });
    // Alertmanager resends what it is not sure of, and the storm goes on.
    for (const i of [5, 4, 6, 7, 8]) expect((await t.alert(group(i))).status).toBe(200);
    await t.settle(60_000);
    const o = await open();
    expect(o).toHaveLength(1);
    const stormId = o[0]!.id;
    expect(o[0]!.groupKey).toMatch(/^storm\|/);
    const alerts = await t.bot.service.alerts(stormId);
    expect(alerts).toHaveLength(16);
    expect(new Set(alerts.map((a) => a.fingerprint)).size).toBe(16);
    const folded = await t.bot.db.query<{ id: number; channel_id: string | null }>(
      'SELECT id, channel_id FROM incidents WHERE merged_into = $1',
      [stormId],
    );
    expect(folded.rows).toHaveLength(3);
    expect(folded.rows.every((r) => r.channel_id === null)).toBe(true);
    const channels = [...t.emulator.state.channels.values()].filter((c) => c.info.name.startsWith('inc-'));
    expect(channels).toHaveLength(1);
    await eventually(async () => expect((await summaryOf(stormId))?.text).toContain('8 alert groups, 8 firing, 16'));
  }, 120_000);

  it('makes one storm when two replicas take the groups at once', async () => {
    if (backend !== 'postgres') return; // the embedded store serves one process
    const db = await freshDb(backend);
    const other = await startTestBot(backend, {}, { db });
    t = await startTestBot(backend, {}, { db });
    try {
      // Twelve groups, sent to both replicas at once (an HA Alertmanager pair delivers to both).
      const sends = [];
      for (let i = 1; i <= 12; i++) sends.push(t.alert(group(i)), other.alert(group(i)));
      expect((await Promise.all(sends)).every((r) => r.status === 200)).toBe(true);
      const o = await open();
      expect(o).toHaveLength(1);
      expect(o[0]!.groupKey).toMatch(/^storm\|/);
      const alerts = await t.bot.service.alerts(o[0]!.id);
      expect(alerts).toHaveLength(24);
      expect(
        (await t.bot.db.query('SELECT 1 FROM alerts WHERE incident_id IS DISTINCT FROM $1', [o[0]!.id])).rows,
      ).toEqual([]);
      const groups = await t.bot.db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM alert_groups WHERE incident_id = $1',
        [o[0]!.id],
      );
      expect(groups.rows[0]!.n).toBe(12);
    } finally {
      await other.bot.stop();
    }
  }, 120_000);

  it('opens one incident per group with STORM_THRESHOLD=0', async () => {
    t = await startTestBot(backend, { STORM_THRESHOLD: '0' });
    for (let i = 1; i <= 5; i++) expect((await t.alert(group(i))).body.incidents).toEqual([{ id: i, created: true }]);
    expect(await t.bot.db.query('SELECT 1 FROM storms')).toMatchObject({ rows: [] });
  });
});
