/**
 * Alert storm (issue #17): `notifications` Alertmanager webhooks for `groups` distinct groups of ONE cluster across
 * three namespaces (a failing node pool), plus 5 unrelated groups of a second cluster arriving during the same
 * window, posted over `windowSec` against the local Slack workspace with its rate limits on (clock scaled). Then
 * waits for the outbox to drain and checks what the bot made of it: incidents, lost alerts, duplicate channels,
 * Slack calls, 429s, how long until every alert was visible in an incident channel, and the completion time
 * against the floor the emulator's tier table sets for the calls actually made.
 */
import type { Bot } from '../src/app.js';
import { METHOD_TIERS, TIERS } from '../src/emulator/rate-limits.js';
import { SYSTEM_SUBTYPES } from '../src/emulator/workspace.js';
import { type AmAlertDraft, amWebhook, type Backend, postAlert, round, sleep, startBenchBot } from './lib.js';
import { declareP1DuringStorm } from './storm-p1.js';

export interface StormOptions {
  backend: Backend;
  pgBase: string | null;
  groups: number;
  notifications: number;
  windowSec: number;
  clockScale: number;
  /** Webhook requests in flight at most (Alertmanager sends groups in parallel). */
  concurrency?: number;
  drainTimeoutSec?: number;
  /** Extra settings (STORM_THRESHOLD=0 for the run without storms). */
  env?: Record<string, string>;
  /** Declare a P1 half way through the storm (bench/storm-p1.ts, when present). */
  p1DuringStorm?: boolean;
}

/** The storm's cluster and namespaces, and the unrelated groups' cluster and namespaces. */
const STORM_CLUSTER = 'prod-a';
const STORM_NAMESPACES = ['payments', 'checkout', 'search'];
const OTHER_CLUSTER = 'prod-b';
const OTHER_NAMESPACES = ['billing', 'auth', 'ingest', 'mail', 'reports'];

/** Alert names of the storm: most have a shipped runbook, one does not. */
const NAMES = ['KubePodCrashLooping', 'KubePodNotReady', 'PostgresDown', 'IncidentBotDown', 'DiskAlmostFull'];

interface Note {
  atMs: number;
  group: number;
  payload: unknown;
  /** Fingerprints of the alerts in it. */
  fingerprints: string[];
}

/**
 * The storm's schedule. Each group starts in the first third of the window and then sends `per` notifications
 * evenly until the end: a first firing alert, repeats of the same state (Alertmanager's group_interval /
 * repeat_interval), new alerts joining, one alert resolving and for some groups firing again, some groups
 * resolving entirely at the end, and some notifications delivered twice at once (an HA Alertmanager pair).
 */
export function stormSchedule(groups: number, total: number, windowMs: number, unrelated = OTHER_NAMESPACES.length) {
  const per = Math.max(1, Math.round(total / groups));
  const notes: Note[] = [];
  const finalStatus = new Map<string, 'firing' | 'resolved'>();
  for (let g = 0; g < groups + unrelated; g++) {
    const other = g >= groups;
    const alertname = NAMES[g % NAMES.length]!;
    const cluster = other ? OTHER_CLUSTER : STORM_CLUSTER;
    const ns = other ? OTHER_NAMESPACES[(g - groups) % OTHER_NAMESPACES.length]! : STORM_NAMESPACES[g % 3]!;
    // The failing node pool: one group per node and alert (Alertmanager group_by [alertname, namespace, node]).
    const node = other ? 'node-1' : `pool-b-${g}`;
    const severity = g % 3 === 0 ? 'critical' : 'warning';
    const groupKey = `{}/{severity=~"critical|warning"}:{alertname="${alertname}", cluster="${cluster}", namespace="${ns}", node="${node}"}`;
    const common = { alertname, cluster, namespace: ns, node, severity };
    const alerts: AmAlertDraft[] = [];
    const add = () =>
      alerts.push({
        alertname,
        status: 'firing',
        labels: { severity, cluster, namespace: ns, node, pod: `app-${g}-${alerts.length}`, container: 'app' },
        annotations: { summary: `${alertname} in ${ns}` },
        fingerprint: `${other ? 'other' : 'storm'}-${g}-${alerts.length}`,
      });
    // Storm groups start in the first third of the window; the unrelated ones spread over the whole minute.
    const start = other
      ? Math.floor(((g - groups + 0.5) / unrelated) * windowMs * 0.8)
      : Math.floor((g / groups) * (windowMs / 3));
    const step = per > 1 ? (windowMs - start) / per : 0;
    for (let j = 0; j < per; j++) {
      if (j === 0 || j === 3 || j === 7 || j === 11) add();
      if (j === 14 && alerts[1]) alerts[1].status = 'resolved';
      if (j === 16 && g % 4 === 0 && alerts[1]) alerts[1].status = 'firing';
      if (j === per - 1 && per > 2 && g % 5 === 0) for (const a of alerts) a.status = 'resolved';
      const atMs = Math.round(start + j * step);
      const payload = amWebhook(
        groupKey,
        alerts.map((a) => ({ ...a })),
        common,
      );
      const fingerprints = alerts.map((a) => a.fingerprint);
      notes.push({ atMs, group: g, payload, fingerprints });
      // Every fifth repeat arrives twice, a few ms apart, as from two Alertmanager replicas (total stays `per`).
      if (j % 5 === 2 && j + 1 < per) {
        notes.push({ atMs: atMs + 5, group: g, payload, fingerprints });
        j++;
      }
    }
    for (const a of alerts) finalStatus.set(a.fingerprint, a.status);
  }
  notes.sort((a, b) => a.atMs - b.atMs);
  return { notes, finalStatus };
}

export async function benchStorm(opts: StormOptions) {
  const windowMs = opts.windowSec * 1000;
  const { notes, finalStatus } = stormSchedule(opts.groups, opts.notifications, windowMs);
  const { bot, close } = await startBenchBot(
    opts.backend,
    opts.pgBase,
    { EMULATOR_RATE_LIMITS: 'true', ...opts.env },
    { emulator: { rateLimits: { enabled: true, clockScale: opts.clockScale } } },
  );
  const emulator = bot.emulator!;
  try {
    // -- when each alert was first sent, and when it was first visible in some incident channel
    const sentAt = new Map<string, number>();
    const visibleAt = new Map<string, number>();
    let polling = true;
    const see = async () => {
      for (const fp of await visibleAlerts(bot)) if (!visibleAt.has(fp)) visibleAt.set(fp, performance.now() - t0);
    };
    const poller = (async () => {
      while (polling) {
        await see().catch(() => undefined);
        await sleep(250);
      }
    })();
    // A P1 declared half way through the storm: ms until its channel and first message to people exist.
    const p1 = opts.p1DuringStorm ? sleep(windowMs / 2).then(() => declareP1DuringStorm(bot)) : Promise.resolve(null);
    const rssBefore = process.memoryUsage().rss;
    const statuses: Record<string, number> = {};
    let ok = 0;
    let maxLagMs = 0;
    const concurrency = opts.concurrency ?? 32;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let next = 0;
    // Each lane takes the next notification once its time has come; a lane that falls behind sends at once.
    const lane = async () => {
      while (next < notes.length) {
        const n = notes[next++]!;
        const wait = n.atMs - (performance.now() - t0);
        if (wait > 0) await sleep(wait);
        else maxLagMs = Math.max(maxLagMs, -wait);
        for (const fp of n.fingerprints) if (!sentAt.has(fp)) sentAt.set(fp, performance.now() - t0);
        let status = 0;
        try {
          status = (await postAlert(bot.url, n.payload)).status;
        } catch {
          status = -1;
        }
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status >= 200 && status < 300) ok++;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    const postedMs = performance.now() - t0;
    const drainTimeoutMs = (opts.drainTimeoutSec ?? 600) * 1000;
    let drained = true;
    await bot.sender.idle(drainTimeoutMs).catch(() => {
      drained = false;
    });
    const completionMs = performance.now() - t0;
    polling = false;
    await poller;
    await see();
    const p1DuringStormMs = await p1.catch(() => null);
    let allVisibleMs = 0;
    let allVisibleAtMs = 0;
    let neverVisible = 0;
    for (const [fp, sent] of sentAt) {
      const seen = visibleAt.get(fp);
      if (seen === undefined) neverVisible++;
      else {
        allVisibleMs = Math.max(allVisibleMs, seen - sent);
        allVisibleAtMs = Math.max(allVisibleAtMs, seen);
      }
    }
    const cpu = process.cpuUsage(cpu0);
    const rssAfter = process.memoryUsage().rss;

    // -- what the bot made of it
    const q = async (sql: string) => Number((await bot.db.query<{ n: number }>(sql)).rows[0]?.n ?? 0);
    const incidents = await q('SELECT count(*)::int AS n FROM incidents');
    const withChannel = await q(
      'SELECT count(DISTINCT channel_id)::int AS n FROM incidents WHERE channel_id IS NOT NULL',
    );
    const storedNotifications = await q('SELECT count(*)::int AS n FROM alert_notifications');
    const unlinkedFiring = await q(
      "SELECT count(*)::int AS n FROM alerts WHERE status = 'firing' AND incident_id IS NULL",
    );
    const alertRows = await bot.db.query<{ fingerprint: string; status: string; n: number }>(
      'SELECT fingerprint, max(status) AS status, count(*)::int AS n FROM alerts GROUP BY fingerprint',
    );
    const seen = new Map(alertRows.rows.map((r) => [r.fingerprint, r]));
    let missingAlerts = 0;
    let wrongStatus = 0;
    let duplicateAlertRows = 0;
    for (const [fp, status] of finalStatus) {
      const r = seen.get(fp);
      if (!r) missingAlerts++;
      else {
        if (r.status !== status) wrongStatus++;
        if (Number(r.n) > 1) duplicateAlertRows++;
      }
    }
    const outbox = await bot.db.query<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM outbox GROUP BY status',
    );
    const retriedRows = await q('SELECT count(*)::int AS n FROM outbox WHERE attempts > 1');
    const incRecs = [...emulator.state.channels.values()].filter((c) => c.info.name.startsWith('inc-'));
    const incChannels = incRecs.length;
    const unpinnedHeaders = incRecs.filter((c) => c.pins.size === 0).length;

    // -- Slack calls and the floor the emulator's limits set for them
    const stats = emulator.stats();
    const totalCalls = Object.values(stats.calls).reduce((a, b) => a + b, 0);
    const limited: Record<string, number> = {};
    for (const v of (await bot.metrics.slackCalls.get()).values)
      if (v.labels.status === 'rate_limited') limited[String(v.labels.method)] = v.value;
    const scale = opts.clockScale;
    const floorOf = (calls: number, perMinute: number, burst: number) => {
      const nominal = (Math.max(0, calls - burst) / ((perMinute / 60) * scale)) * 1000;
      // Retry-After is whole seconds, at least 1 (as from Slack), whatever the clock scale: after a 429 a
      // bucket can give at most `burst` calls per real second.
      const effective = (Math.max(0, calls - burst) / Math.min((perMinute / 60) * scale, burst)) * 1000;
      return { nominal, effective };
    };
    const methods: Record<string, { calls: number; rateLimited: number; floorMs: number }> = {};
    let floor = { nominal: 0, effective: 0, by: '' };
    for (const [method, n] of Object.entries(stats.calls)) {
      const served = n - (limited[method] ?? 0);
      const tier = METHOD_TIERS[method] ?? 3;
      if (tier === 'post') {
        methods[method] = { calls: n, rateLimited: limited[method] ?? 0, floorMs: 0 };
        continue; // per channel, below
      }
      const f = floorOf(served, TIERS[tier].perMinute, TIERS[tier].burst);
      methods[method] = { calls: n, rateLimited: limited[method] ?? 0, floorMs: Math.round(f.nominal) };
      if (f.nominal > floor.nominal) floor = { ...floor, nominal: f.nominal, by: method };
      floor.effective = Math.max(floor.effective, f.effective);
    }
    // chat.postMessage: one bucket per channel (about 1/s, burst 3); count what landed in each channel.
    let busiest = { name: '', posts: 0 };
    for (const rec of emulator.state.channels.values()) {
      const posts = rec.messages.filter(
        (m) => m.user === emulator.state.bot.user_id && !(m.subtype && SYSTEM_SUBTYPES.has(m.subtype)),
      ).length;
      if (posts > busiest.posts) busiest = { name: rec.info.name, posts };
    }
    const pf = floorOf(busiest.posts, 60, 3);
    if (pf.nominal > floor.nominal) floor = { ...floor, nominal: pf.nominal, by: `chat.postMessage #${busiest.name}` };
    floor.effective = Math.max(floor.effective, pf.effective);

    const outboxByStatus = Object.fromEntries(outbox.rows.map((r) => [r.status, Number(r.n)]));
    // The floor at Slack's real rates (clock scale 1) for the calls this run made: what a run at real rates
    // takes at least, whatever the scale it ran at.
    let realFloorMs = 0;
    for (const [method, m] of Object.entries(methods)) {
      const tier = METHOD_TIERS[method] ?? 3;
      if (tier === 'post') continue;
      const { perMinute, burst } = TIERS[tier];
      realFloorMs = Math.max(realFloorMs, (Math.max(0, m.calls - m.rateLimited - burst) / (perMinute / 60)) * 1000);
    }
    realFloorMs = Math.max(realFloorMs, (Math.max(0, busiest.posts - 3) / 1) * 1000);
    const alertsOf = async (sql: string) => Number((await bot.db.query<{ n: number }>(sql)).rows[0]?.n ?? 0);
    return {
      incidentsOpen: await alertsOf('SELECT count(*)::int AS n FROM incidents WHERE merged_into IS NULL'),
      incidentsFolded: await alertsOf('SELECT count(*)::int AS n FROM incidents WHERE merged_into IS NOT NULL'),
      storms: await alertsOf('SELECT count(*)::int AS n FROM storms'),
      allVisibleMs: Math.round(allVisibleMs),
      allVisibleAtMs: Math.round(allVisibleAtMs),
      alertsNeverVisible: neverVisible,
      realRateFloorMs: Math.round(realFloorMs),
      p1DuringStormMs,
      backend: opts.backend,
      groups: opts.groups,
      notifications: notes.length,
      windowMs,
      clockScale: scale,
      postConcurrency: concurrency,
      httpStatuses: statuses,
      postAllMs: Math.round(postedMs),
      maxSendLagMs: Math.round(maxLagMs),
      drained,
      completionMs: Math.round(completionMs),
      drainAfterPostMs: Math.round(completionMs - postedMs),
      floorMs: Math.round(floor.nominal),
      floorBy: floor.by,
      floorWithRetryAfterMinMs: Math.round(floor.effective),
      completionOverFloor: round(completionMs / Math.max(floor.nominal, windowMs), 2),
      completionOverFloorWithRetryAfterMin: round(completionMs / Math.max(floor.effective, windowMs), 2),
      incidents,
      expectedIncidents: STORM_NAMESPACES.length + OTHER_NAMESPACES.length,
      lostAlerts: ok - storedNotifications + unlinkedFiring + missingAlerts,
      lost: { answered2xx: ok, storedNotifications, unlinkedFiring, missingAlerts },
      alertStatusMismatches: wrongStatus,
      duplicateAlertRows,
      duplicateChannels: incChannels - withChannel,
      incidentsWithoutChannel: incidents - withChannel,
      /** Incident channels whose header message is not pinned (pins.add is not retried once the header exists). */
      unpinnedHeaders,
      slackCalls: totalCalls,
      slackCallsPerIncident: round(totalCalls / Math.max(1, incidents), 2),
      slackCallsServedPerIncident: round((totalCalls - stats.rateLimited) / Math.max(1, incidents), 2),
      http429Received: stats.rateLimited,
      outboxRowsRetried: retriedRows,
      outbox: outboxByStatus,
      busiestChannel: busiest,
      methods,
      cpuPercentOfOneCore: round(((cpu.user + cpu.system) / 1000 / completionMs) * 100),
      rssBeforeBytes: rssBefore,
      rssAfterBytes: rssAfter,
    };
  } finally {
    await close();
  }
}

/**
 * Fingerprints of the alerts visible in some incident channel now: their incident (not folded away) has a
 * channel, and either its summary message was written after the alert was first stored (incidents holding
 * several groups) or its header is posted (the header lists and counts the alerts; later alerts of a plain
 * incident go out as their own message right after, which this does not wait for).
 */
async function visibleAlerts(bot: Bot): Promise<string[]> {
  const r = await bot.db.query<{ fingerprint: string }>(
    `SELECT a.fingerprint FROM alerts a JOIN incidents i ON i.id = a.incident_id
     LEFT JOIN storms s ON s.incident_id = i.id
     WHERE i.merged_into IS NULL AND i.channel_id IS NOT NULL
       AND CASE WHEN s.incident_id IS NOT NULL THEN s.summary_at >= a.first_seen_at ELSE i.header_ts IS NOT NULL END`,
  );
  return r.rows.map((x) => x.fingerprint);
}
