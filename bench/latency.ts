/**
 * Alert → incident latency: from just before the webhook POST to the moment the runbook message is in the
 * incident channel. The end point is the `done_at` of the incident's `slack.postRunbook` outbox row: the
 * sender marks it done right after the emulator answered the last chat.postMessage of the runbook, and that
 * row only runs after createChannel, setupChannel and postHeader of the same incident (one ordering key).
 * Reading it from the database afterwards costs nothing during the run (polling the emulator for 1,000
 * channels would load the same two cores the bot runs on). PGlite's and PostgreSQL's clocks are this host's.
 */
import { amWebhook, type Backend, pool, postAlert, round, startBenchBot, summary } from './lib.js';

export interface LatencyOptions {
  backend: Backend;
  pgBase: string | null;
  count: number;
  concurrency: number;
  warmup?: number;
  /** Alerts measured one at a time after the loaded run (default 50). */
  isolated?: number;
}

export async function benchLatency(opts: LatencyOptions) {
  const { bot, close } = await startBenchBot(opts.backend, opts.pgBase);
  try {
    const payload = (i: number, tag: string) => {
      const ns = `bench-${tag}-${i}`;
      return amWebhook(
        `{}/{severity="critical"}:{alertname="KubePodCrashLooping", namespace="${ns}"}`,
        [
          {
            alertname: 'KubePodCrashLooping',
            status: 'firing',
            labels: { severity: 'critical', namespace: ns, pod: `api-${i}-7d9f`, container: 'api' },
            fingerprint: `lat-${tag}-${i}`,
          },
        ],
        { alertname: 'KubePodCrashLooping', severity: 'critical', namespace: ns },
      );
    };
    const runbookRows = async (ids: number[]) => {
      const r = await bot.db.query<{ incident_id: number; status: string; done_at: Date | null }>(
        "SELECT incident_id, status, done_at FROM outbox WHERE op = 'slack.postRunbook' AND incident_id = ANY($1::int[])",
        [ids],
      );
      return r.rows;
    };

    // Warm-up (JIT, connection pools, first conversations.list): not counted.
    const warm = opts.warmup ?? 10;
    await pool(warm, opts.concurrency, async (i) => {
      await postAlert(bot.url, payload(i, 'w'));
    });
    await bot.sender.idle(60_000);

    const sentAt = new Map<number, number>();
    const ackMs: number[] = [];
    const errors: string[] = [];
    const t0 = performance.now();
    await pool(opts.count, opts.concurrency, async (i) => {
      const body = payload(i, 'm');
      const start = Date.now();
      const p0 = performance.now();
      const res = await postAlert(bot.url, body);
      ackMs.push(performance.now() - p0);
      const inc = (res.body.incidents as { id: number; created: boolean }[] | undefined)?.[0];
      if (res.status !== 200 || !inc?.created) errors.push(`#${i}: ${res.status} ${JSON.stringify(res.body)}`);
      else sentAt.set(inc.id, start);
    });
    const postedMs = performance.now() - t0;
    await bot.sender.idle(300_000);
    const wallMs = performance.now() - t0;

    const rows = await runbookRows([...sentAt.keys()]);
    const lat: number[] = [];
    let notPosted = 0;
    for (const r of rows) {
      if (r.status !== 'done' || !r.done_at) {
        notPosted++;
        continue;
      }
      lat.push(new Date(r.done_at).getTime() - sentAt.get(Number(r.incident_id))!);
    }
    notPosted += sentAt.size - rows.length;
    const calls = Object.values(bot.emulator!.stats().calls).reduce((a, b) => a + b, 0);

    // The same path with nothing queued: one alert at a time, each after the previous incident is done.
    const alone: number[] = [];
    for (let i = 0; i < (opts.isolated ?? 50); i++) {
      const start = Date.now();
      const res = await postAlert(bot.url, payload(i, 'i'));
      const inc = (res.body.incidents as { id: number }[] | undefined)?.[0];
      await bot.sender.idle(60_000);
      const [row] = inc ? await runbookRows([inc.id]) : [];
      if (row?.done_at) alone.push(new Date(row.done_at).getTime() - start);
    }
    return {
      backend: opts.backend,
      ...summary(lat),
      concurrency: opts.concurrency,
      warmup: warm,
      ackP50Ms: summary(ackMs).p50Ms,
      ackP99Ms: summary(ackMs).p99Ms,
      postAllMs: Math.round(postedMs),
      wallMs: Math.round(wallMs),
      incidentsPerSec: round(opts.count / (wallMs / 1000)),
      slackCallsPerIncident: round(calls / (opts.count + warm), 2),
      errors: errors.length,
      notPosted,
      isolated: { method: 'one alert at a time, bot otherwise idle', ...summary(alone) },
      ...(errors.length ? { firstErrors: errors.slice(0, 3) } : {}),
    };
  } finally {
    await close();
  }
}
