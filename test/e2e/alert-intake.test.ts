import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { amPayload, eventually, startTestBot, type TestBot } from '../helpers/bot.js';
import { backends, dropSchemas } from '../helpers/db.js';

afterAll(dropSchemas);

const CASES = resolve(import.meta.dirname, '../../../shared/cases');
const sharedCase = (name: string) =>
  existsSync(join(CASES, name))
    ? (JSON.parse(readFileSync(join(CASES, name), 'utf8')) as Record<string, unknown>)
    : null;
const fixture = (name: string) =>
  JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/alerts', name), 'utf8')) as Record<string, unknown>;
const text = (x: unknown) => JSON.stringify(x ?? null);

async function post(t: TestBot, path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${t.bot.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The storm of bh-02, for any size: one group, every alert firing and critical. */
function storm(n: number) {
  return {
    version: '4',
    groupKey: '{}/{severity="critical"}:{alertname="KubePodNotReady", namespace="batch"}',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'incident-bot',
    groupLabels: { alertname: 'KubePodNotReady', namespace: 'batch' },
    commonLabels: { alertname: 'KubePodNotReady', namespace: 'batch', severity: 'critical' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example:9093',
    alerts: Array.from({ length: n }, (_, i) => ({
      status: 'firing',
      labels: { alertname: 'KubePodNotReady', namespace: 'batch', pod: `worker-${i}`, severity: 'critical' },
      annotations: { summary: 'Pod not ready for 15 minutes', runbook_url: 'https://runbooks.example/kubepodnotready' },
      startsAt: '2026-11-29T10:00:00Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.example:9090/graph?g0.expr=kube_pod_status_ready',
      fingerprint: (0x1000000000000000n + BigInt(i)).toString(16),
    })),
  };
}

describe.each(backends)('alert intake on %s', (backend) => {
  let t: TestBot;
  afterEach(async () => {
    await t?.close();
  });

  const header = async (id: number) => {
    const inc = await t.bot.service.get(id);
    return t.emulator.channel(inc.channelId!).messages()[0]!;
  };

  it('stores an alert with an annotation over 4,096 characters whole and shows it shortened (bh-01)', async () => {
    t = await startTestBot(backend);
    const long = 'level=error msg="failed to flush chunk" err="context deadline exceeded"\n'.repeat(200);
    const p = amPayload([{ alertname: 'LokiIngesterFlushErrors', annotations: { description: long } }], {
      groupKey: `{}:{alertname="LokiIngesterFlushErrors",x="${'k'.repeat(5000)}"}`,
    });
    const res = await t.alert(p);
    expect(res.status).toBe(200);
    expect(res.body.incidents).toEqual([{ id: 1, created: true }]);
    const [row] = await t.bot.service.alerts(1);
    expect(row!.annotations.description).toBe(long);
    const shared = sharedCase('bh-01-annotation-over-4096.json');
    if (shared) expect((await t.alert(shared)).status).toBe(200);
    await t.settle();
    const h = await header(1);
    expect(text(h.blocks)).toContain('failed to flush chunk');
    expect(text(h.blocks).length).toBeLessThan(long.length + 20_000);
  });

  it('opens the incident for the valid critical alert beside one without alertname, naming and marking it (bh-04)', async () => {
    t = await startTestBot(backend);
    const p = sharedCase('bh-04-one-alert-without-alertname.json') ?? {
      ...amPayload([{ alertname: 'ProbeFailed', labels: { job: 'blackbox' } }]),
    };
    const alerts = (p.alerts as Record<string, unknown>[]).map((a) => ({ ...a }));
    if (alerts.length === 1)
      alerts.push({
        ...alerts[0],
        labels: { severity: 'critical', job: 'blackbox', instance: 'https://api.example' },
        fingerprint: 'noname',
      });
    const res = await t.alert({ ...p, alerts });
    expect(res.status).toBe(200);
    expect(res.body.incidents).toEqual([{ id: 1, created: true }]);
    const stored = await t.bot.service.alerts(1);
    expect(stored).toHaveLength(2);
    const unnamed = stored.find((a) => a.nameDerived)!;
    expect(unnamed.alertname).toMatch(/^Unnamed alert \(job=blackbox, instance=https:\/\/api\.example\.com?\)$/);
    expect((await t.bot.service.get(1)).severity).toBe('P1');
  });

  it('keeps what it cannot read in the dead-letter table and still answers 200 for the rest', async () => {
    t = await startTestBot(backend);
    const p = amPayload([{ alertname: 'DiskFull' }]);
    const res = await t.alert({ ...p, alerts: [...p.alerts, 'garbage', { status: 'firing' }, null] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ deadLetters: 3, incidents: [{ id: 1, created: true }] });
    const dl = await t.bot.db.query<{ reason: string; payload: unknown }>(
      'SELECT reason, payload FROM alert_dead_letters ORDER BY id',
    );
    expect(dl.rows.map((r) => r.reason)).toEqual([
      'alerts[1]: alert is not a JSON object',
      'alerts[2]: alert has no labels, annotations or fingerprint',
      'alerts[3]: alert is not a JSON object',
    ]);
    expect(dl.rows[0]!.payload).toBe('garbage');
    const metrics = await (await fetch(`${t.bot.url}/metrics`)).text();
    expect(metrics).toMatch(/incident_bot_alerts_dead_lettered_total\{sender="alertmanager"\} 3/);
  });

  it('answers 4xx only for a wrong token or a body that is not a notification, counted by reason', async () => {
    t = await startTestBot(backend, { ALERT_WEBHOOK_TOKEN: 'tok' });
    const auth = { authorization: 'Bearer tok' };
    expect((await post(t, '/alerts/alertmanager', amPayload([{ alertname: 'A' }]))).status).toBe(401);
    expect((await post(t, '/alerts/grafana', fixture('grafana-firing.json'))).status).toBe(401);
    expect((await post(t, '/alerts/alertmanager', '{"alerts": [', auth)).status).toBe(400);
    const notOne = await post(t, '/alerts/generic', { hello: 'world' }, auth);
    expect(notOne).toMatchObject({ status: 400, body: { error: 'not_a_notification' } });
    const metrics = await (await fetch(`${t.bot.url}/metrics`)).text();
    expect(metrics).toMatch(
      /incident_bot_alert_notifications_rejected_total\{sender="alertmanager",reason="unauthorized"\} 1/,
    );
    expect(metrics).toMatch(
      /incident_bot_alert_notifications_rejected_total\{sender="alertmanager",reason="invalid_json"\} 1/,
    );
    expect(metrics).toMatch(
      /incident_bot_alert_notifications_rejected_total\{sender="generic",reason="not_a_notification"\} 1/,
    );
  });

  it('takes a 2,500-alert notification (bh-02) in one incident, stored whole, counted in the header', async () => {
    t = await startTestBot(backend);
    const p = storm(2500);
    expect(JSON.stringify(p).length).toBeGreaterThan(1024 * 1024);
    const res = await t.alert(p);
    expect(res.status).toBe(200);
    // On a slow machine the answer may come before every alert is stored (ALERT_SYNC_BUDGET_MS).
    if (!res.body.pending) expect(res.body.incidents).toEqual([{ id: 1, created: true }]);
    await t.bot.ingest.idle();
    const n = await t.bot.db.query<{ n: number }>('SELECT count(*)::int AS n FROM alerts WHERE incident_id = 1');
    expect(n.rows[0]!.n).toBe(2500);
    // The raw body is kept as received.
    const raw = await t.bot.db.query<{ body: string }>(
      "SELECT string_agg(body, '' ORDER BY seq) AS body FROM alert_notification_parts",
    );
    expect(JSON.parse(raw.rows[0]!.body)).toEqual(p);
    // A redelivery changes nothing.
    expect((await t.alert(p)).body).toMatchObject({ incidents: [{ id: 1, created: false }], newAlerts: 0 });
    await t.settle();
    const h = await header(1);
    expect(text(h.blocks)).toContain('Alerts: 2,500 firing / 2,500');
    const events = await t.bot.service.timeline(1);
    expect(events.length).toBeLessThan(30);
  });

  it('answers once the raw body is stored when storing takes longer than the budget, and finishes in the background', async () => {
    t = await startTestBot(backend, { ALERT_SYNC_BUDGET_MS: '0', ALERT_BATCH_SIZE: '20' });
    const res = await t.alert(storm(300));
    expect(res).toMatchObject({ status: 200, body: { pending: true } });
    const raw = await t.bot.db.query('SELECT 1 FROM alert_notifications WHERE id = $1', [res.body.notificationId]);
    expect(raw.rows).toHaveLength(1);
    await t.bot.ingest.idle();
    const n = await t.bot.db.query<{ n: number }>('SELECT count(*)::int AS n FROM alerts');
    expect(n.rows[0]!.n).toBe(300);
    const done = await t.bot.db.query('SELECT 1 FROM alert_notifications WHERE processed_at IS NULL');
    expect(done.rows).toHaveLength(0);
  });

  it('resumes a notification a killed process had answered but not finished storing', async () => {
    t = await startTestBot(backend);
    const p = storm(120);
    // As left by a process killed after the 2xx: the raw body stored, nothing else.
    await t.bot.db.query(
      `INSERT INTO alert_notifications (received_at, sender, group_key, status, payload, alert_count)
       VALUES (now() - interval '5 minutes', 'alertmanager', 'g', 'firing', $1::jsonb, 120)`,
      [JSON.stringify(p)],
    );
    const { parseNotification } = await import('../../src/http/alertmanager.js');
    expect(await t.bot.ingest.resume((s, json) => parseNotification(s, json, new Date()))).toBe(1);
    const n = await t.bot.db.query<{ n: number }>('SELECT count(*)::int AS n FROM alerts');
    expect(n.rows[0]!.n).toBe(120);
    expect(await t.bot.service.listOpen()).toHaveLength(1);
    expect(await t.bot.ingest.resume((s, json) => parseNotification(s, json, new Date()))).toBe(0);
  });

  it('shows truncatedAlerts as "showing 3 of 1,000 firing" (bh-07)', async () => {
    t = await startTestBot(backend);
    const p = sharedCase('bh-07-truncated-alerts-ignored.json') ?? {
      ...amPayload([{ alertname: 'TargetDown' }, { alertname: 'TargetDown' }, { alertname: 'TargetDown' }]),
      truncatedAlerts: 997,
    };
    expect((await t.alert(p)).status).toBe(200);
    await t.settle();
    expect(text((await header(1)).blocks)).toContain('showing 3 of 1,000 firing');
  });

  it('opens nothing when an unchanged alert repeats after a resolve; a new startsAt opens a linked recurrence (bh-05)', async () => {
    t = await startTestBot(backend);
    const body = {
      version: '4',
      groupKey: '{}/{}:{alertname="HostOutOfDiskSpace"}',
      status: 'firing',
      receiver: 'incident-bot',
      groupLabels: {},
      commonLabels: {},
      commonAnnotations: {},
      externalURL: 'http://alertmanager.example:9093',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'HostOutOfDiskSpace', severity: 'high', instance: 'node-3', mountpoint: '/var' },
          annotations: { summary: 'Host out of disk space on node-3' },
          startsAt: '2026-11-29T10:00:00.123456789Z',
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: '',
          fingerprint: 'dddd000000000008',
        },
      ],
    };
    expect((await t.alert(body)).body.incidents).toEqual([{ id: 1, created: true }]);
    await t.settle();
    const inc = await t.bot.service.get(1);
    await t.emulator.as('alice').in(inc.channelId!).slash('/incident', 'resolve cleaned up /var/log');
    await eventually(async () => expect((await t.bot.service.get(1)).status).toBe('resolved'));
    const channelsBefore = t.emulator.state.listChannels().length;
    // repeat_interval: the same notification again, twice.
    const repeat = await t.alert(body);
    expect(repeat.status).toBe(200);
    expect(repeat.body).toMatchObject({ incidents: [], repeats: 1 });
    expect((await t.alert(body)).body).toMatchObject({ incidents: [], repeats: 1 });
    await t.settle();
    expect(t.emulator.state.listChannels().length).toBe(channelsBefore);
    expect(await t.bot.service.listOpen()).toHaveLength(0);
    const notes = t.emulator
      .channel(inc.channelId!)
      .messages()
      .filter((m) => m.text.includes('still firing after resolve'));
    expect(notes).toHaveLength(1);
    expect(text(notes[0]!.blocks)).toContain('incident_reopen');
    // It fires again (a new startsAt): a new incident, linked to the previous one.
    const again = { ...body, alerts: [{ ...body.alerts[0]!, startsAt: '2026-11-29T12:00:00Z' }] };
    expect((await t.alert(again)).body.incidents).toEqual([{ id: 2, created: true }]);
    await t.settle();
    const second = await t.bot.service.get(2);
    const texts = t.emulator
      .channel(second.channelId!)
      .messages()
      .map((m) => `${m.text} ${text(m.blocks)}`)
      .join('\n');
    expect(texts).toMatch(/Recurrence of INC-1, resolved .* ago/);
  });

  it('changes nothing for a stale firing copy re-sent after the resolved one', async () => {
    t = await startTestBot(backend);
    const gk = { groupKey: 'stale' };
    await t.alert(amPayload([{ alertname: 'Stale', fingerprint: 's1' }], gk));
    await t.alert(amPayload([{ alertname: 'Stale', fingerprint: 's1', status: 'resolved' }], gk));
    await t.settle();
    expect((await t.bot.service.get(1)).alertsResolvedAt).not.toBeNull();
    const copy = await t.alert(amPayload([{ alertname: 'Stale', fingerprint: 's1' }], gk));
    expect(copy.body).toMatchObject({ stale: 1, newAlerts: 0 });
    const expired = amPayload([{ alertname: 'Stale', fingerprint: 's2' }], gk);
    expired.alerts[0]!.endsAt = '2020-01-01T00:00:00Z';
    expect((await t.alert(expired)).body).toMatchObject({ stale: 1, newAlerts: 0 });
    await t.settle();
    expect((await t.bot.service.get(1)).alertsResolvedAt).not.toBeNull();
    expect((await t.bot.service.alerts(1)).map((a) => a.status)).toEqual(['resolved']);
    const last = t.emulator.channel((await t.bot.service.get(1)).channelId!).latest()!;
    expect(last.text).toBe('All alerts resolved');
  });

  it('never merges two Alertmanagers with the same groupKey, and shows the cluster', async () => {
    t = await startTestBot(backend);
    const staging = {
      ...amPayload([{ alertname: 'HighErrorRate', labels: { cluster: 'staging' }, fingerprint: 'e1' }], {
        groupKey: 'same',
      }),
      externalURL: 'http://am-staging:9093',
    };
    const prod = {
      ...amPayload([{ alertname: 'HighErrorRate', labels: { cluster: 'prod' }, fingerprint: 'e1' }], {
        groupKey: 'same',
      }),
      externalURL: 'http://am-prod:9093',
    };
    expect((await t.alert(staging)).body.incidents).toEqual([{ id: 1, created: true }]);
    expect((await t.alert(prod)).body.incidents).toEqual([{ id: 2, created: true }]);
    // The same Alertmanager, two clusters behind it: still apart.
    const other = {
      ...prod,
      commonLabels: {},
      alerts: [{ ...prod.alerts[0]!, labels: { ...prod.alerts[0]!.labels, cluster: 'prod-eu' } }],
    };
    expect((await t.alert(other)).body.incidents).toEqual([{ id: 3, created: true }]);
    await t.settle();
    const p = await t.bot.service.get(2);
    expect(p.title.startsWith('prod: ')).toBe(true);
    expect(p.channelName).toContain('prod');
    const h = text((await header(2)).blocks);
    expect(h).toContain('Cluster: *cluster=prod*');
    expect(h).toContain('am-prod:9093');
  });

  it('keeps using an incident opened before the sender was part of the key (upgrade)', async () => {
    t = await startTestBot(backend);
    const p = amPayload([{ alertname: 'Legacy', fingerprint: 'lg1' }], { groupKey: '{}:{alertname="Legacy"}' });
    expect((await t.alert(p)).body.incidents).toEqual([{ id: 1, created: true }]);
    // As an older version stored it: the bare groupKey, no alert_groups row.
    await t.bot.db.query('DELETE FROM alert_groups');
    await t.bot.db.query(`UPDATE incidents SET group_key = '{}:{alertname="Legacy"}'`);
    expect((await t.alert(p)).body.incidents).toEqual([{ id: 1, created: false }]);
    expect((await t.bot.service.get(1)).groupKey).toContain('alertmanager.example:9093');
  });

  it('raises the severity when a critical alert joins, says so in the channel and edits the announcement', async () => {
    t = await startTestBot(backend);
    const gk = { groupKey: 'sev' };
    await t.alert(amPayload([{ alertname: 'Latency', fingerprint: 'l1', labels: { severity: 'warning' } }], gk));
    await t.settle();
    expect((await t.bot.service.get(1)).severity).toBe('P3');
    await t.alert(
      amPayload(
        [
          { alertname: 'Latency', fingerprint: 'l1', labels: { severity: 'warning' } },
          { alertname: 'ErrorsBurning', fingerprint: 'l2', labels: { severity: 'critical' } },
        ],
        gk,
      ),
    );
    await t.settle();
    const inc = await t.bot.service.get(1);
    expect(inc.severity).toBe('P1');
    const said = (name: string) =>
      t.emulator
        .channel(name)
        .messages()
        .some((m) => m.text.includes('severity raised P3 → P1'));
    expect(said(inc.channelId!)).toBe(true);
    // #incidents keeps one message for the incident, edited to the new severity rather than a second line.
    const announced = t.emulator
      .channel('incidents')
      .messages()
      .filter((m) => m.text.includes('INC-1 '));
    expect(announced).toHaveLength(1);
    expect(announced[0]!.text).toContain('INC-1 P1: ');
    expect(said('incidents')).toBe(false);
  });

  it('shows the runbook, source and silence links of every alert', async () => {
    t = await startTestBot(backend);
    await t.alert(
      amPayload([{ alertname: 'DiskFull', annotations: { runbook_url: 'https://runbooks.example/disk' } }]),
    );
    await t.settle();
    const h = text((await header(1)).blocks);
    expect(h).toContain('<https://runbooks.example/disk|Runbook>');
    expect(h).toContain('<http://prometheus.example:9090/graph?g0.expr=up|Source>');
    expect(h).toContain('http://alertmanager.example:9093/#/silences/new?filter=');
    // A joining alert carries its links in its message too.
    await t.alert(
      amPayload(
        [
          { alertname: 'DiskFull', annotations: { runbook_url: 'https://runbooks.example/disk' } },
          {
            alertname: 'DiskFull',
            labels: { instance: 'node-9' },
            annotations: { runbook_url: 'https://runbooks.example/disk9' },
          },
        ],
        { groupKey: '{}:{alertname="DiskFull"}' },
      ),
    );
    await t.settle();
    const joined = t.emulator.channel((await t.bot.service.get(1)).channelId!).latest()!;
    expect(text(joined.blocks)).toContain('https://runbooks.example/disk9');
    expect(text(joined.blocks)).toContain('Silence');
  });

  it('takes Grafana notifications: title, message, dashboard/panel/silence link buttons, resolve', async () => {
    t = await startTestBot(backend);
    const res = await post(t, '/alerts/grafana', fixture('grafana-firing.json'));
    expect(res).toMatchObject({ status: 200, body: { incidents: [{ id: 1, created: true }] } });
    await t.settle();
    const inc = await t.bot.service.get(1);
    expect(inc.severity).toBe('P1');
    expect(inc.title).toContain('eu-prod');
    const h = (await header(1)).blocks as { type: string; elements?: { url?: string; text?: { text: string } }[] }[];
    const buttons = h.filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);
    expect(buttons.filter((b) => b.url).map((b) => b.text!.text)).toEqual([
      'Runbook',
      'Source',
      'Dashboard',
      'Panel',
      'Silence',
    ]);
    await post(t, '/alerts/grafana', fixture('grafana-resolved.json'));
    await t.settle();
    expect((await t.bot.service.alerts(1)).map((a) => a.status)).toEqual(['resolved']);
  });

  it('takes the generic JSON webhook', async () => {
    t = await startTestBot(backend);
    const res = await post(t, '/alerts/generic', fixture('generic-list.json'));
    expect(res).toMatchObject({ status: 200, body: { incidents: [{ id: 1, created: true }] } });
    const single = await post(t, '/alerts/generic', {
      name: 'BackupFailed',
      severity: 'high',
      summary: 'nightly backup failed',
    });
    expect(single).toMatchObject({ status: 200, body: { incidents: [{ id: 2, created: true }] } });
    expect((await t.bot.service.get(2)).title).toBe('nightly backup failed');
  });
});

describe('incident-bot alerts dead-letter', () => {
  it('explains itself with --help', async () => {
    const { stdout } = await promisify(execFile)('npx', ['tsx', 'src/main.ts', 'alerts', 'dead-letter', '--help'], {
      cwd: resolve(import.meta.dirname, '../..'),
    });
    expect(stdout).toContain('could not become an incident');
    expect(stdout).toContain('--since');
  });
});
