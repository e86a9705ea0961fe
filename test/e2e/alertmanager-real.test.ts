import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { eventually, startTestBot, type TestBot } from '../helpers/bot.js';
import { backends, dropSchemas, freshDb } from '../helpers/db.js';

/**
 * The bot behind Debian's real Alertmanager: its webhook notifier, bearer token, grouping, repeat_interval,
 * send_resolved and retries, over HTTP on loopback.
 */
const BINARY = '/usr/bin/prometheus-alertmanager';
const hasAlertmanager = existsSync(BINARY);
if (!hasAlertmanager)
  console.log(`${BINARY} not found (apt-get install prometheus-alertmanager): the real-Alertmanager test skips`);

afterAll(dropSchemas);

const TOKEN = 'am-e2e-token';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface RunningAlertmanager {
  url: string;
  externalUrl: string;
  post(alerts: Record<string, unknown>[]): Promise<void>;
  stop(): Promise<void>;
}

async function startAlertmanager(botPort: number, externalHost: string): Promise<RunningAlertmanager> {
  const dir = mkdtempSync(join(tmpdir(), 'ib-am-'));
  const port = await freePort();
  const externalUrl = `http://${externalHost}:${port}`;
  writeFileSync(
    join(dir, 'alertmanager.yml'),
    `route:
  receiver: incident-bot
  group_by: [alertname, namespace]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 3s
receivers:
  - name: incident-bot
    webhook_configs:
      - url: http://127.0.0.1:${botPort}/alerts/alertmanager
        send_resolved: true
        max_alerts: 0
        http_config:
          authorization:
            type: Bearer
            credentials: ${TOKEN}
`,
  );
  const child: ChildProcess = spawn(
    BINARY,
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--web.external-url=${externalUrl}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`alertmanager exited: ${stderr}`);
      const r = await fetch(`${url}/-/ready`);
      expect(r.status).toBe(200);
    },
    20_000,
    100,
  );
  return {
    url,
    externalUrl,
    async post(alerts) {
      const r = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alerts),
      });
      if (r.status !== 200) throw new Error(`alertmanager answered ${r.status}: ${await r.text()}`);
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const crashloop = (pod: string, startsAt: Date, endsAt?: Date) => ({
  labels: { alertname: 'KubePodCrashLooping', namespace: 'shop', pod, severity: 'critical' },
  annotations: { summary: `Pod shop/${pod} is crash looping`, runbook_url: 'https://runbooks.example/crashloop' },
  startsAt: startsAt.toISOString(),
  ...(endsAt ? { endsAt: endsAt.toISOString() } : {}),
  generatorURL: 'http://prometheus.example:9090/graph?g0.expr=kube_pod_container_status_restarts_total',
});

describe.skipIf(!hasAlertmanager).each(backends)('the real Alertmanager in front of the bot on %s', (backend) => {
  let t: TestBot | null = null;
  const ams: RunningAlertmanager[] = [];
  afterEach(async () => {
    for (const am of ams.splice(0)) await am.stop();
    await t?.close();
    t = null;
  });

  it('opens one incident per group with its runbook, adds nothing on repeats, shows resolves, keeps senders apart and loses nothing across a restart', async () => {
    const db = await freshDb(backend);
    const env = { ALERT_WEBHOOK_TOKEN: TOKEN };
    t = await startTestBot(backend, env, { db });
    const port = t.bot.port;
    const am1 = await startAlertmanager(port, '127.0.0.1');
    ams.push(am1);
    const t0 = new Date(Date.now() - 60_000);
    await am1.post([crashloop('api-1', t0), crashloop('api-2', t0)]);

    // One incident for the group, with the crash-loop runbook.
    const incidentsOf = async () =>
      (
        await db.query<{ id: number; group_key: string; runbook_id: string | null; status: string }>(
          'SELECT id, group_key, runbook_id, status FROM incidents ORDER BY id',
        )
      ).rows;
    await eventually(
      async () => {
        const rows = await incidentsOf();
        expect(rows).toHaveLength(1);
        expect(await t!.bot.service.alerts(rows[0]!.id)).toHaveLength(2);
      },
      30_000,
      200,
    );
    const [first] = await incidentsOf();
    expect(first!.runbook_id).not.toBeNull();
    expect(first!.group_key).toContain(am1.externalUrl);

    // repeat_interval (3s) re-sends the group: stored, nothing new.
    const notifications = async () =>
      Number((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM alert_notifications')).rows[0]!.n);
    const before = await notifications();
    const eventsBefore = (await t.bot.service.timeline(first!.id)).length;
    await eventually(async () => expect(await notifications()).toBeGreaterThanOrEqual(before + 2), 30_000, 200);
    expect(await incidentsOf()).toHaveLength(1);
    expect((await t.bot.service.timeline(first!.id)).length).toBe(eventsBefore);

    // The bot restarts while Alertmanager has a new group to deliver: its retries deliver it.
    await t.bot.stop();
    await am1.post([
      {
        labels: { alertname: 'PostgresDown', namespace: 'db', severity: 'critical' },
        annotations: { summary: 'orders database is down' },
        startsAt: new Date().toISOString(),
      },
    ]);
    await new Promise((r) => setTimeout(r, 2500));
    t = await startTestBot(backend, env, { db, port });
    await eventually(async () => expect(await incidentsOf()).toHaveLength(2), 30_000, 200);

    // Resolved: Alertmanager sends the resolved notification (send_resolved) and the bot shows it.
    const end = new Date();
    await am1.post([crashloop('api-1', t0, end), crashloop('api-2', t0, end)]);
    await eventually(
      async () => {
        const alerts = await t!.bot.service.alerts(first!.id);
        expect(alerts.map((a) => a.status)).toEqual(['resolved', 'resolved']);
        expect((await t!.bot.service.get(first!.id)).alertsResolvedAt).not.toBeNull();
      },
      30_000,
      200,
    );
    await t.settle();
    const channel = t.emulator.state.listChannels().find((c) => c.name.includes('crash-looping'));
    if (channel)
      expect(
        t.emulator
          .channel(channel.id)
          .messages()
          .some((m) => m.text === 'All alerts resolved'),
      ).toBe(true);

    // A second Alertmanager (another externalURL) with the same alert opens its own incident.
    const am2 = await startAlertmanager(port, 'localhost');
    ams.push(am2);
    await am2.post([crashloop('api-1', new Date())]);
    await eventually(
      async () => {
        const rows = await incidentsOf();
        expect(rows).toHaveLength(3);
        expect(rows[2]!.group_key).toContain(am2.externalUrl);
      },
      30_000,
      200,
    );
  }, 180_000);
});
