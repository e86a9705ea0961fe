/**
 * `npm run bench`: latency, storm, timers, runbooks and process figures of incident-bot against the local
 * Slack emulator. One JSON report on stdout, a short table on stderr. See `npm run bench -- --help`.
 */
import os from 'node:os';
import { benchBigNotification } from './big-notification.js';
import { benchLatency } from './latency.js';
import { type Backend, findPostgres, freshPostgres, round } from './lib.js';
import { benchOutboxClaim } from './outbox.js';
import { benchProcess } from './process.js';
import { benchRunbooks } from './runbooks.js';
import { benchStorm } from './storm.js';
import { benchP1DuringBacklog } from './storm-p1.js';
import { benchTimers } from './timers.js';

const PARTS = ['latency', 'storm', 'outbox', 'budget', 'notification', 'timers', 'runbooks', 'process'] as const;
type Part = (typeof PARTS)[number];

const HELP = `Usage: npm run bench -- [--only ${PARTS.join(',')}] [--quick] [--clock-scale N]

  --only LIST       run only these parts (comma-separated)
  --quick           smaller numbers for a fast check (latency 200, storm 2,000 notifications / 100 groups
                    + 5 unrelated over 60 s, one 2,500-alert notification, timers 20,000, one cold start); the
                    default is the issue's numbers
  --clock-scale N   storm with STORM_THRESHOLD=0: the emulator's rate-limit clock runs N times faster (default
                    20); the run with storms on uses Slack's real rates
  --help            this text

  outbox: one claim of 16 rows with 100 and with 10,000 rows waiting (claimMs), and the claim from before
          migration 031 on the same rows (beforeClaimMs)
  budget: a P1 declared while thousands of rows wait, rate limits on at Slack's real speed
          (p1DuringBacklogMs; quick: 60 incidents x 10 posts, else 300 x 10), with SLACK_BUDGET on and off

PostgreSQL is used next to PGlite when DATABASE_URL is set or a server answers on 127.0.0.1:5432
(each part gets its own fresh database, dropped afterwards).`;

function parseArgs(argv: string[]) {
  const args = { only: new Set<Part>(PARTS), quick: false, clockScale: 20, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--help' || a === '-h') args.help = true;
    else if (a === '--quick') args.quick = true;
    else if (a.startsWith('--only')) {
      const parts = value().split(',').filter(Boolean);
      for (const p of parts) if (!PARTS.includes(p as Part)) throw new Error(`unknown part "${p}"`);
      args.only = new Set(parts as Part[]);
    } else if (a.startsWith('--clock-scale')) {
      args.clockScale = Number(value());
      if (!(args.clockScale > 0)) throw new Error('--clock-scale needs a positive number');
    } else throw new Error(`unknown option ${a}`);
  }
  return args;
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const mb = (b: number) => `${round(b / 1024 / 1024)} MB`;
const s = (ms: number) => `${round(ms / 1000, 1)} s`;

async function main() {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    log(`${(err as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
  if (args.help) {
    log(HELP);
    return;
  }
  const started = performance.now();
  const pgBase = await findPostgres();
  const backends: Backend[] = pgBase ? ['pglite', 'postgres'] : ['pglite'];
  if (!pgBase) log('PostgreSQL not found (DATABASE_URL unset, nothing on 127.0.0.1:5432): PGlite only');
  const q = args.quick;
  const report: Record<string, unknown> = {
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      node: process.version,
      platform: process.platform,
    },
    quick: q,
    postgres: pgBase ? new URL(pgBase).host : null,
  };
  const timing: Record<string, number> = {};
  const part = async <T>(name: Part, fn: () => Promise<T>): Promise<T | null> => {
    if (!args.only.has(name)) return null;
    const t = performance.now();
    log(`[bench] ${name} ...`);
    try {
      return await fn();
    } finally {
      timing[name] = Math.round(performance.now() - t);
    }
  };

  // Latency: one bot per backend, one after the other (they share two cores).
  const latency = await part('latency', async () => {
    const out: Record<string, unknown> = {};
    for (const backend of ['pglite', 'postgres'] as const) {
      out[backend] = backends.includes(backend)
        ? await benchLatency({ backend, pgBase, count: q ? 200 : 1000, concurrency: 8 })
        : null;
    }
    return {
      method:
        'POST with 8 in flight; end = done_at of the slack.postRunbook outbox row (after createChannel, setupChannel, postHeader of the same incident); Slack latency 0, rate limits off',
      ...out,
    };
  });
  if (latency) report.latency = latency;

  // Issue #17's storm: one cluster, 3 namespaces, 500 groups (quick: 100) over 60 s, plus 5 unrelated groups of a
  // second cluster. With storms on the emulator runs at Slack's real rates (clock scale 1), so allVisibleMs is in
  // real ms as measured; the run with STORM_THRESHOLD=0 makes hundreds of channels and runs at --clock-scale, so
  // its allVisibleMs is scaled time and its realRateFloorMs is what the same calls take at least at real rates.
  const storm = await part('storm', async () => {
    const common = {
      backend: (pgBase ? 'postgres' : 'pglite') as Backend,
      pgBase,
      groups: q ? 100 : 500,
      notifications: q ? 2000 : 10_000,
      windowSec: 60,
    };
    const on = await benchStorm({ ...common, clockScale: 1, p1DuringStorm: true });
    const off = await benchStorm({ ...common, clockScale: args.clockScale, env: { STORM_THRESHOLD: '0' } });
    const headline = (r: typeof on) => ({
      incidents: r.incidentsOpen,
      lostAlerts: r.lostAlerts,
      duplicateChannels: r.duplicateChannels,
      slackCalls: r.slackCalls,
      allVisibleMs: r.allVisibleMs,
    });
    return {
      ...headline(on),
      p1DuringStormMs: on.p1DuringStormMs,
      method:
        'allVisibleMs: the longest time from an alert first being sent to it being visible in an incident channel (its incident has a channel and a header; in a storm, a summary written after the alert was stored), polled every 250 ms. Storms on: emulator at clock scale 1 (Slack real rates), measured as is. stormOff: emulator at --clock-scale; its allVisibleMs is in scaled time and realRateFloorMs bounds it at real rates from below.',
      run: on,
      stormOff: { ...headline(off), clockScale: off.clockScale, realRateFloorMs: off.realRateFloorMs, run: off },
    };
  });
  if (storm) report.storm = storm;

  const outbox = await part('outbox', async () => {
    const out: Record<string, unknown> = {};
    for (const backend of ['postgres', 'pglite'] as const)
      out[backend] = backends.includes(backend) ? await benchOutboxClaim({ backend, pgBase }) : null;
    const main = (out.postgres ?? out.pglite) as { claimMs: unknown; beforeClaimMs: unknown; backend: string };
    return { claimMs: main.claimMs, beforeClaimMs: main.beforeClaimMs, claimBackend: main.backend, ...out };
  });
  if (outbox) report.outbox = outbox;

  const budget = await part('budget', async () => {
    const sizes = { incidents: q ? 60 : 300, postsPerIncident: 10 };
    const backend: Backend = pgBase ? 'postgres' : 'pglite';
    const on = await benchP1DuringBacklog({ backend, pgBase, ...sizes });
    const off = await benchP1DuringBacklog({
      backend,
      pgBase,
      ...sizes,
      timeoutMs: 60_000,
      env: { SLACK_BUDGET: 'off' },
    });
    return {
      p1DuringBacklogMs: on.totalMs,
      p1DuringBacklogMsBudgetOff: off.totalMs,
      firstPing: 'firstPing' in on ? on.firstPing : null,
      method:
        'incidents opened by alerts (P3/P4) with posts, header refreshes and announcements queued, sender started, P1 declared with /incident after 3 s; ms until its channel exists and its pinned header (first message to people) is visible; emulator rate limits at clock scale 1',
      on,
      off,
    };
  });
  if (budget) report.budget = budget;

  // One 10,000-alert notification per backend: time to 2xx, event-loop stalls, /healthz meanwhile.
  const notification = await part('notification', async () => {
    const out: Record<string, unknown> = {};
    for (const backend of ['pglite', 'postgres'] as const)
      out[backend] = backends.includes(backend)
        ? await benchBigNotification({ backend, pgBase, alerts: q ? 2500 : 10_000 })
        : null;
    return out;
  });
  if (notification) report.notification = notification;

  const timers = await part('timers', async () => {
    const out: Record<string, unknown> = {};
    const count = q ? 20_000 : 100_000;
    for (const backend of ['pglite', 'postgres'] as const) {
      if (!backends.includes(backend)) {
        out[backend] = null;
        continue;
      }
      const fresh = backend === 'postgres' && pgBase ? await freshPostgres(pgBase) : null;
      try {
        out[backend] = await benchTimers({ backend, count, databaseUrl: fresh?.url });
      } finally {
        await fresh?.drop();
      }
    }
    return out;
  });
  if (timers) report.timers = timers;

  const runbooks = await part('runbooks', () => benchRunbooks());
  if (runbooks) report.runbooks = runbooks;

  const proc = await part('process', () => benchProcess({ runs: q ? 1 : 3, idleMs: 2000 }));
  if (proc) {
    report.process = {
      ...proc,
      rssAfterStormBytes: storm?.run.rssAfterBytes ?? null,
      rssAfterStormNote: storm
        ? `the bench process after the storm: bot, in-process Slack emulator with its ${storm.run.incidents} incidents, and ${storm.run.backend === 'pglite' ? 'PGlite' : 'the pg pool'}`
        : undefined,
    };
  }
  report.partMs = timing;
  report.totalMs = Math.round(performance.now() - started);

  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  table(report);
}

function table(r: Record<string, unknown>) {
  const lines: string[] = ['', 'incident-bot bench'];
  const lat = r.latency as Record<string, Record<string, number> | null> | undefined;
  if (lat)
    for (const b of ['pglite', 'postgres']) {
      const x = lat[b];
      if (x) {
        const one = x.isolated as unknown as Record<string, number> | undefined;
        lines.push(
          `latency ${b.padEnd(8)} n=${x.n} p50 ${x.p50Ms} ms  p95 ${x.p95Ms} ms  p99 ${x.p99Ms} ms  (${x.incidentsPerSec}/s, ack p50 ${x.ackP50Ms} ms)`,
        );
        if (one)
          lines.push(
            `        ${''.padEnd(8)} one at a time n=${one.n}: p50 ${one.p50Ms} ms  p95 ${one.p95Ms} ms  p99 ${one.p99Ms} ms`,
          );
      }
    }
  const stAll = r.storm as Record<string, unknown> | undefined;
  const st = stAll?.run as Record<string, number | string> | undefined;
  const off = stAll?.stormOff as Record<string, number> | undefined;
  if (stAll && off)
    lines.push(
      `storm    incidents ${stAll.incidents}, lost ${stAll.lostAlerts}, dup channels ${stAll.duplicateChannels}, Slack calls ${stAll.slackCalls}, all visible ${s(Number(stAll.allVisibleMs))} (real rates), P1 mid-storm ${stAll.p1DuringStormMs ?? 'n/a'} ms`,
      `  off    incidents ${off.incidents}, lost ${off.lostAlerts}, dup channels ${off.duplicateChannels}, Slack calls ${off.slackCalls}, all visible ${s(Number(off.allVisibleMs))} at x${off.clockScale}, >= ${s(Number(off.realRateFloorMs))} at real rates`,
    );
  if (st)
    lines.push(
      `storm    ${String(st.backend).padEnd(8)} ${st.notifications} notes/${st.groups} groups: incidents ${st.incidents}, lost ${st.lostAlerts}, dup channels ${st.duplicateChannels}, ${st.slackCallsPerIncident} calls/incident, 429s ${st.http429Received}`,
      `         completion ${s(Number(st.completionMs))} (posting ${s(Number(st.postAllMs))}), floor ${s(Number(st.floorMs))} by ${st.floorBy} (x${st.clockScale}); with Retry-After >= 1 s ${s(Number(st.floorWithRetryAfterMinMs))}`,
    );
  const ob = r.outbox as
    | { claimMs: Record<string, number>; beforeClaimMs: Record<string, number>; claimBackend: string }
    | undefined;
  if (ob)
    lines.push(
      `outbox   ${ob.claimBackend.padEnd(8)} claim of 16: ${Object.entries(ob.claimMs)
        .map(([d, ms]) => `${d} waiting ${ms} ms`)
        .join(', ')} (before: ${Object.entries(ob.beforeClaimMs)
        .map(([d, ms]) => `${d} waiting ${ms} ms`)
        .join(', ')})`,
    );
  const bu = r.budget as Record<string, unknown> | undefined;
  if (bu)
    lines.push(
      `budget   P1 channel + first ping during a backlog: ${bu.p1DuringBacklogMs == null ? 'not in time' : s(Number(bu.p1DuringBacklogMs))} (budget off: ${bu.p1DuringBacklogMsBudgetOff == null ? 'not within 60 s' : s(Number(bu.p1DuringBacklogMsBudgetOff))})`,
    );
  const nt = r.notification as Record<string, Record<string, unknown> | null> | undefined;
  if (nt)
    for (const b of ['pglite', 'postgres']) {
      const x = nt[b];
      if (x) {
        const h = x.healthz as Record<string, number>;
        lines.push(
          `notification ${b.padEnd(8)} ${x.alerts} alerts (${mb(Number(x.bodyBytes))}): HTTP ${x.status} in ${x.timeTo2xxMs} ms${x.answeredBeforeAllStored ? ` (all stored at ${x.timeToAllStoredMs} ms)` : ''}, max event-loop delay ${x.maxEventLoopDelayMs} ms, /healthz p99 ${h.p99Ms} ms (n=${h.n})`,
        );
      }
    }
  const tm = r.timers as Record<string, Record<string, number> | null> | undefined;
  if (tm)
    for (const b of ['pglite', 'postgres']) {
      const x = tm[b];
      if (x)
        lines.push(
          `timers   ${b.padEnd(8)} ${x.count} pending: fire lag p50 ${x.fireLagMsP50} ms p99 ${x.fireLagMsP99} ms, idle CPU ${x.idleCpuPercent}%`,
        );
    }
  const rb = r.runbooks as Record<string, number> | undefined;
  if (rb)
    lines.push(
      `runbooks seeds ${rb['runbooks.seeds.parseAll.ms'] ?? 'n/a'} ms (cold ${rb['runbooks.seeds.parseAll.cold.ms'] ?? 'n/a'} ms), generated 1 MB ${rb['runbooks.generated1MB.parse.ms']} ms, worst 100k-char line ${rb['runbooks.line100k.worst.ms'] ?? 'n/a'} ms`,
    );
  const p = r.process as Record<string, number | string> | undefined;
  if (p)
    lines.push(
      `process  cold start to /readyz ${p.coldStartToReadyMs} ms (${p.entry}), idle RSS ${mb(Number(p.idleRssBytes))}${p.rssAfterStormBytes ? `, after storm ${mb(Number(p.rssAfterStormBytes))}` : ''}`,
    );
  lines.push(`total    ${s(Number(r.totalMs))}`);
  log(lines.join('\n'));
}

main().then(
  () => process.exit(0),
  (err) => {
    log(`bench failed: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
