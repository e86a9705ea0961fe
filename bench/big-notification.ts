/**
 * One Alertmanager notification of 10,000 alerts (a storm delivered with max_alerts: 0): time to the 2xx,
 * the largest event-loop stall while the bot takes it, /healthz latency polled meanwhile, and the time to the
 * 2xx of one-alert notifications of other groups sent meanwhile. The bot runs
 * in this process, so the event-loop figures are the bot's.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { type Backend, pct, round, sleep, startBenchBot } from './lib.js';

export interface BigNotificationOptions {
  backend: Backend;
  pgBase: string | null;
  alerts: number;
}

/** The notification: one group, every alert firing and critical, about 800 bytes per alert. */
export function bigNotification(n: number) {
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
      labels: {
        alertname: 'KubePodNotReady',
        namespace: 'batch',
        pod: `worker-7d9f8c6b5-${i}`,
        severity: 'critical',
        container: 'worker',
        job: 'kube-state-metrics',
        instance: '10.0.0.1:8080',
        prometheus: 'monitoring/k8s',
      },
      annotations: {
        summary: 'Pod has been in a non-ready state for more than 15 minutes.',
        description: `Pod batch/worker-7d9f8c6b5-${i} has been in a non-ready state for longer than 15 minutes.`,
        runbook_url: 'https://runbooks.example.com/kubernetes/kubepodnotready',
      },
      startsAt: '2026-11-29T10:00:00Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.example.com/graph?g0.expr=kube_pod_status_phase%7Bphase%3D~%22Pending%22%7D',
      fingerprint: (0x1000000000000000n + BigInt(i)).toString(16),
    })),
  };
}

/**
 * A notification of another group: its own namespace (so it forms no storm with the big one, which would fold
 * it) and its own fingerprints.
 */
function otherGroup(name: string, alerts: number) {
  const n = bigNotification(alerts);
  n.groupKey = name;
  for (const [i, a] of n.alerts.entries()) {
    a.labels.namespace = name;
    a.fingerprint = `${name}-${i}`;
  }
  return n;
}

export async function benchBigNotification(opts: BigNotificationOptions) {
  // PGlite in a data directory, as `serve` runs it: its file writes are part of the cost.
  const b = await startBenchBot(opts.backend, opts.pgBase, {}, {}, { onDisk: true });
  try {
    const body = JSON.stringify(bigNotification(opts.alerts));
    // Warm the route (first-request costs: JIT, prepared plans) with a small notification.
    await fetch(`${b.bot.url}/alerts/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(otherGroup('warm-up', 3)),
    });
    await b.bot.sender.idle(30_000).catch(() => {});
    const loop = monitorEventLoopDelay({ resolution: 5 });
    let stop = false;
    const health: number[] = [];
    const poller = (async () => {
      while (!stop) {
        const t = performance.now();
        const r = await fetch(`${b.bot.url}/healthz`);
        await r.arrayBuffer();
        health.push(performance.now() - t);
        await sleep(20);
      }
    })();
    // The largest gap between timer ticks meant to be 10 ms apart, minus those 10 ms.
    let maxStall = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      maxStall = Math.max(maxStall, now - last - 10);
      last = now;
    }, 10);
    loop.enable();
    const t0 = performance.now();
    let bigAnswered = false;
    const big = fetch(`${b.bot.url}/alerts/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    }).finally(() => {
      bigAnswered = true;
    });
    // Meanwhile other groups keep firing: one-alert notifications every 150 ms until the big one is answered.
    const small: number[] = [];
    const others = (async () => {
      for (let i = 0; !bigAnswered; i++) {
        await sleep(150);
        const n = otherGroup(`meanwhile-${i}`, 1);
        const t = performance.now();
        const r = await fetch(`${b.bot.url}/alerts/alertmanager`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(n),
        });
        await r.arrayBuffer();
        small.push(performance.now() - t);
      }
    })();
    const res = await big;
    const answer = (await res.json()) as Record<string, unknown>;
    const to2xx = performance.now() - t0;
    await others;
    // Past ALERT_SYNC_BUDGET_MS the answer comes first and the rest is stored in the background.
    await b.bot.ingest.idle();
    const allStored = performance.now() - t0;
    loop.disable();
    clearInterval(ticker);
    stop = true;
    await poller;
    const sorted = [...health].sort((x, y) => x - y);
    const stored = await b.bot.db.query<{ n: number }>('SELECT count(*)::int AS n FROM alerts');
    return {
      backend: opts.backend,
      store: opts.backend === 'pglite' ? 'PGlite in a data directory, as serve runs it' : 'PostgreSQL',
      alerts: opts.alerts,
      bodyBytes: body.length,
      status: res.status,
      incidents: answer.incidents,
      answeredBeforeAllStored: Boolean(answer.pending),
      alertsStored: Number(stored.rows[0]!.n) - 3 - small.length,
      timeTo2xxMs: round(to2xx, 0),
      timeToAllStoredMs: round(allStored, 0),
      maxEventLoopDelayMs: round(loop.max / 1e6, 1),
      eventLoopDelayP99Ms: round(loop.percentile(99) / 1e6, 1),
      maxTimerStallMs: round(maxStall, 1),
      healthz: {
        n: sorted.length,
        p50Ms: round(pct(sorted, 50), 1),
        p99Ms: round(pct(sorted, 99), 1),
        maxMs: round(sorted.at(-1) ?? 0, 1),
      },
      // One-alert notifications of other groups posted every 150 ms while the big one was taken: time to their 2xx.
      meanwhile: {
        n: small.length,
        p50Ms: round(
          pct(
            [...small].sort((x, y) => x - y),
            50,
          ),
          0,
        ),
        maxMs: round(Math.max(0, ...small), 0),
      },
    };
  } finally {
    await b.close();
  }
}
