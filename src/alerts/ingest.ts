import { setImmediate as yieldLoop } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { declare, type EventDraft, type Incident, type Severity, setSeverity } from '../incidents/model.js';
import { channelName } from '../incidents/naming.js';
import { type IncidentService, type RunbookLookup, slackOp } from '../incidents/service.js';
import type { Metrics } from '../metrics.js';
import {
  type AlertGroup,
  type AlertInput,
  type AlertRow,
  alertHistory,
  alertSummary,
  findAlerts,
  getAlertGroup,
  insertAlerts,
  insertDeadLetters,
  insertNotification,
  insertNotificationPart,
  lastResolvedIncidentId,
  linkNotification,
  notificationBody,
  saveAlertGroup,
  touchAlerts,
  updateAlerts,
} from '../store/alerts.js';
import type { Db, Queryable } from '../store/db.js';
import {
  appendEvents,
  getIncident,
  getOpenIncidentByGroup,
  insertIncident,
  updateIncident,
} from '../store/incidents.js';
import { commitThenKick, enqueue, type OutboxDraft } from '../store/outbox.js';
import { getStorm, lockKey, mergedInto, openIncidentForGroup, recentStormIncidents } from '../store/storms.js';
import { insertTimers } from '../store/timers.js';
import { minutesPhrase } from '../time-phrases.js';
import { clusterOf, type IntakeAlert, type IntakeNotification, identityKey, storable } from './intake.js';
import { parseJsonBody } from './json.js';
import { decideAlert, planGroup, repeatWindow } from './lifecycle.js';
import { maxSeverity, severityFromLabels } from './severity.js';
import { stormDecision, stormGroupKey, stormKey, windowStart } from './storm.js';
import { Storms } from './storms.js';

/** What one notification did, as answered to the sender. */
export interface IngestResult {
  notificationId: number;
  incidents: { id: number; created: boolean }[];
  /**
   * Each incident's channel by incident id, `#inc-2-api-is-down`: the name it has, or the one it is about to get
   * (incidents/naming.ts; created a moment later by the outbox). For people reading the answer (`alert send`).
   */
  channels: Record<string, string>;
  digest: number;
  newAlerts: number;
  resolvedAlerts: number;
  /** Alerts repeated unchanged after their incident was resolved (noted there, nothing opened). */
  repeats: number;
  /** Old copies that changed nothing. */
  stale: number;
  /** Alerts kept in the dead-letter table instead. */
  deadLetters: number;
  /** Answered before every alert was stored (ALERT_SYNC_BUDGET_MS): the rest is stored in the background. */
  pending?: boolean;
}

function emptyResult(notificationId: number): IngestResult {
  return {
    notificationId,
    incidents: [],
    channels: {},
    digest: 0,
    newAlerts: 0,
    resolvedAlerts: 0,
    repeats: 0,
    stale: 0,
    deadLetters: 0,
  };
}

/** The body as received, kept raw: the parsed value when small, the text in slices when large. */
export interface RawBody {
  json: unknown;
  text: string;
}

export interface AlertIngestDeps {
  db: Db;
  config: Config;
  service: IncidentService;
  runbooks: () => RunbookLookup;
  logger?: Logger;
  metrics?: Metrics;
  /** Wakes the outbox sender after a commit. */
  kick?: () => void;
  now?: () => Date;
  /** Storm and merge work (built from the other deps when not given). */
  storms?: Storms;
}

/** Bodies above this are stored as raw text slices instead of one jsonb value. */
const INLINE_PAYLOAD_BYTES = 256 * 1024;
const PART_CHARS = 1024 * 1024;
/** Alert changes listed one by one (timeline events, channel message); beyond it, a summary. */
const LISTED_CHANGES = 10;
/** Alerts grouped between two yields of the event loop. */
const GROUPING_SLICE = 1000;

interface GroupWork {
  key: string;
  cluster: string;
  alerts: IntakeAlert[];
}

/** The alert_groups row for one group of a notification (store/alerts.ts saveAlertGroup). */
function alertGroupRow(
  n: IntakeNotification,
  g: GroupWork,
  incidentId: number,
  previousIncidentId: number | null,
  stormKey: string | null = null,
): Omit<AlertGroup, 'updatedAt'> {
  return {
    stormKey,
    incidentId,
    sender: n.sender,
    groupKey: n.groupKey ?? '',
    incidentKey: g.key,
    externalUrl: n.externalUrl,
    cluster: g.cluster,
    receiver: n.receiver,
    truncatedAlerts: n.truncatedAlerts,
    title: n.title,
    previousIncidentId,
  };
}

interface Tally {
  fired: AlertRow[];
  resolved: AlertRow[];
  firedCount: number;
  resolvedCount: number;
}

/**
 * Alert intake: stores each notification as received, then its alerts in batches (a transaction per
 * batch, the event loop yielded between), opening or joining one incident per sender identity and group.
 * Everything is committed before the caller answers 2xx; a redelivery finds it all stored and changes nothing.
 */
export class AlertIngest {
  private readonly now: () => Date;
  readonly storms: Storms;
  constructor(private readonly deps: AlertIngestDeps) {
    this.now = deps.now ?? (() => new Date());
    this.storms = deps.storms ?? new Storms(deps);
  }

  private get config(): Config {
    return this.deps.config;
  }

  private commit<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    return commitThenKick(this.deps.db, fn, this.deps.kick);
  }

  /**
   * Takes one notification of any sender. Throws only on store failures (the caller answers 5xx and the
   * sender retries); anything unreadable in it goes to the dead-letter table.
   */
  async ingest(n: IntakeNotification, raw: RawBody, opts: { budgetMs?: number } = {}): Promise<IngestResult> {
    const now = this.now();
    const groups = await this.groupsOf(n);
    const firstKey = groups.keys().next().value ?? identityKey(n, { alertname: '', labels: {} }, '');
    const notificationId = await this.storeRaw(n, raw, firstKey, now);
    const work = this.process(n, groups, notificationId, now, true);
    if (opts.budgetMs === undefined) return work;
    // Stored as received: past the budget the sender gets its 2xx and the rest is stored in the background
    // (and resumed from the raw body after a restart: see resume()).
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<null>((r) => {
      timer = setTimeout(() => r(null), opts.budgetMs);
    });
    const done = await Promise.race([work, budget]);
    clearTimeout(timer);
    if (done) return done;
    this.track(work);
    return { ...emptyResult(notificationId), pending: true };
  }

  private readonly background = new Set<Promise<unknown>>();

  private track(p: Promise<unknown>): void {
    const tracked = p
      .catch((err) =>
        this.deps.logger?.error({ err }, 'storing a notification in the background failed; resumed at next start'),
      )
      .finally(() => this.background.delete(tracked));
    this.background.add(tracked);
  }

  /** Resolves when notifications still being stored in the background are done (shutdown, tests). */
  async idle(): Promise<void> {
    while (this.background.size) await Promise.all([...this.background]);
  }

  /**
   * Stores notifications a previous process received (raw body kept) but did not finish, e.g. killed
   * mid-storm after answering 2xx. Only those received over `olderThanMs` ago, so another replica's
   * work in progress is left alone. Returns how many were resumed.
   */
  async resume(
    parse: (sender: string, json: unknown) => Promise<IntakeNotification>,
    olderThanMs = 60_000,
  ): Promise<number> {
    const before = new Date(this.now().getTime() - olderThanMs);
    const rows = await this.deps.db.query<{ id: number; sender: string; received_at: Date }>(
      `SELECT id, sender, received_at FROM alert_notifications
       WHERE processed_at IS NULL AND payload_purged_at IS NULL AND received_at < $1 ORDER BY id LIMIT 100`,
      [before],
    );
    let n = 0;
    for (const row of rows.rows) {
      const body = await notificationBody(this.deps.db, Number(row.id));
      if (body === null) continue;
      try {
        const notification = await parse(row.sender, await parseJsonBody(body));
        const known = await this.deps.db.query('SELECT 1 FROM alert_dead_letters WHERE notification_id = $1 LIMIT 1', [
          row.id,
        ]);
        await this.process(
          notification,
          await this.groupsOf(notification),
          Number(row.id),
          new Date(row.received_at),
          !known.rows.length,
        );
        n++;
      } catch (err) {
        this.deps.logger?.error({ err, notificationId: row.id }, 'could not resume a stored notification');
        await this.deps.db.query('UPDATE alert_notifications SET processed_at = $2 WHERE id = $1', [
          row.id,
          this.now(),
        ]);
      }
    }
    if (n) this.deps.logger?.warn({ resumed: n }, 'stored notifications a previous process had not finished');
    return n;
  }

  /** Stores the alerts of a notification whose raw body is stored, then marks it processed. */
  private async process(
    n: IntakeNotification,
    groups: Map<string, GroupWork>,
    notificationId: number,
    now: Date,
    withDeadLetters: boolean,
  ): Promise<IngestResult> {
    const result = emptyResult(notificationId);
    if (n.rejected.length && withDeadLetters) {
      result.deadLetters += await insertDeadLetters(
        this.deps.db,
        n.rejected.map((r) => ({
          receivedAt: now,
          sender: n.sender,
          notificationId,
          reason: `alerts[${r.index}]: ${r.reason}`,
          payload: r.raw,
        })),
      );
      this.deps.metrics?.alertsDeadLettered?.inc({ sender: n.sender }, n.rejected.length);
    }
    for (const g of groups.values()) {
      try {
        await this.ingestGroup(n, g, notificationId, now, result);
      } catch (err) {
        if (isTransient(err)) throw err;
        // A group that cannot become an incident (a bug, data PostgreSQL refuses) is kept whole, not retried forever.
        this.deps.logger?.error(
          { err, groupKey: g.key, fingerprints: g.alerts.slice(0, 5).map((x) => x.fingerprint) },
          'alert group could not be stored as an incident',
        );
        result.deadLetters += await insertDeadLetters(this.deps.db, [
          {
            receivedAt: now,
            sender: n.sender,
            notificationId,
            reason: `group ${g.key}: ${(err as Error).message}`,
            payload: { groupKey: g.key, alerts: g.alerts.slice(0, 1000) },
          },
        ]);
        this.deps.metrics?.alertsDeadLettered?.inc({ sender: n.sender });
      }
    }
    await this.deps.db.query('UPDATE alert_notifications SET processed_at = $2 WHERE id = $1', [
      notificationId,
      this.now(),
    ]);
    return result;
  }

  /** Alerts by incident key (sender identity + group), in order of first appearance. */
  private async groupsOf(n: IntakeNotification): Promise<Map<string, GroupWork>> {
    const groups = new Map<string, GroupWork & { seen: Map<string, number> }>();
    for (const [i, a] of n.alerts.entries()) {
      // A storm's 10,000 alerts took 60 ms in one go: let the event loop in between.
      if (i > 0 && i % GROUPING_SLICE === 0) await yieldLoop();
      const cluster = clusterOf(a.labels, this.config.ALERT_CLUSTER_LABELS, n.commonLabels);
      const key = identityKey(n, a, cluster);
      let g = groups.get(key);
      if (!g) {
        g = { key, cluster, alerts: [], seen: new Map() };
        groups.set(key, g);
      }
      // The same alert twice in one notification: the later copy wins.
      const at = g.seen.get(a.fingerprint);
      if (at === undefined) {
        g.seen.set(a.fingerprint, g.alerts.length);
        g.alerts.push(a);
      } else g.alerts[at] = a;
    }
    return groups;
  }

  /** Stores the notification as received: one jsonb value when small, raw text slices when large. */
  private async storeRaw(n: IntakeNotification, raw: RawBody, key: string, now: Date): Promise<number> {
    const inline = raw.text.length <= INLINE_PAYLOAD_BYTES;
    const envelope = inline
      ? raw.json
      : storable({
          ...(raw.json as Record<string, unknown>),
          alerts: `${n.alerts.length + n.rejected.length} alerts: raw body in alert_notification_parts`,
        });
    const row = {
      receivedAt: now,
      sender: n.sender,
      groupKey: key,
      status: n.status,
      payload: envelope,
      alertCount: n.alerts.length + n.rejected.length,
    };
    // One statement needs no transaction of its own.
    if (inline) return insertNotification(this.deps.db, row);
    return this.deps.db.tx(async (q) => {
      const id = await insertNotification(q, row);
      for (let seq = 0; seq * PART_CHARS < raw.text.length; seq++) {
        await insertNotificationPart(q, id, seq, raw.text.slice(seq * PART_CHARS, (seq + 1) * PART_CHARS));
        await yieldLoop();
      }
      return id;
    });
  }

  private severityOf(n: IntakeNotification, a: IntakeAlert): Severity {
    // Once or twice per alert of a storm: no merged copy of the labels.
    return severityFromLabels(a.labels, this.config.SEVERITY_MAP, n.commonLabels);
  }

  private alertInput(n: IntakeNotification, a: IntakeAlert, incidentId: number | null, key: string): AlertInput {
    return {
      incidentId,
      groupKey: key,
      fingerprint: a.fingerprint,
      alertname: a.alertname,
      nameDerived: a.nameDerived,
      status: a.status,
      severity: this.severityOf(n, a),
      labels: a.labels,
      annotations: a.annotations,
      startsAt: a.startsAt,
      endsAt: a.endsAt,
      generatorUrl: a.generatorUrl,
      // Runbook and source links are read from annotations and generatorURL when shown; only the others are kept.
      links: Object.fromEntries(
        Object.entries(a.links).filter(([k, v]) => v && k !== 'runbook' && k !== 'generator'),
      ) as Record<string, string>,
    };
  }

  /**
   * Alerts per transaction (ALERT_BATCH_SIZE). The embedded store runs one transaction at a time: 500 there held a
   * one-alert notification arriving during a 10,000-alert one for up to 450 ms (100: 220 ms, the big one 10% slower).
   */
  private get batchSize(): number {
    return this.config.ALERT_BATCH_SIZE ?? (this.deps.db.serial ? 100 : 500);
  }

  private batches<T>(list: T[]): T[][] {
    const size = this.batchSize;
    const out: T[][] = [];
    for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
    return out;
  }

  private async ingestGroup(
    n: IntakeNotification,
    g: GroupWork,
    notificationId: number,
    now: Date,
    result: IngestResult,
  ): Promise<void> {
    const db = this.deps.db;
    const firing = g.alerts.filter((a) => a.status === 'firing');
    const tally: Tally = { fired: [], resolved: [], firedCount: 0, resolvedCount: 0 };
    // Through alert_groups: a group folded into a storm or merged finds the incident holding it now.
    let inc = (await openIncidentForGroup(db, g.key)) ?? (await this.adoptLegacy(n, g));
    let created = false;
    // The alerts were stored in the transaction that opened their incident (open's `then`).
    let applied = false;
    const batches = this.batches(g.alerts);
    if (!inc) {
      if (!firing.length) {
        await this.storeUnassigned(n, g, g.alerts, now, result);
        return;
      }
      // Earlier incidents of this group tell repeats (same startsAt) from recurrences (new startsAt).
      const previousId = await lastResolvedIncidentId(db, g.key);
      let plan: ReturnType<typeof planGroup> = { kind: 'open', live: firing };
      if (previousId !== null) {
        const history = new Map<string, AlertRow>();
        for (const batch of this.batches(firing)) {
          for (const [fp, row] of await alertHistory(
            db,
            g.key,
            batch.map((a) => a.fingerprint),
          ))
            history.set(fp, row);
          await yieldLoop();
        }
        plan = planGroup(firing, history, now);
        if (plan.kind !== 'open') {
          await this.repeated(n, g, plan.kind === 'repeat' ? plan.repeats : [], history, previousId, now, result);
          result.stale += firing.length - (plan.kind === 'repeat' ? plan.repeats.length : 0);
          return;
        }
      }
      const severity = maxSeverity(plan.live.map((a) => this.severityOf(n, a)));
      if (severity === 'P4' && this.config.INFO_TO_DIGEST) {
        await this.storeUnassigned(n, g, g.alerts, now, result);
        return;
      }
      // The usual new group (one batch, a new incident of its own) on the embedded store: its alerts are stored in the
      // transaction that opens it, saving a transaction on the one thread both share. On PostgreSQL the incident is
      // committed first, so the outbox sender creates its channel while the alerts are being stored.
      const opened = await this.open(
        n,
        g,
        plan.live,
        severity,
        previousId,
        notificationId,
        now,
        batches.length === 1 && db.serial
          ? async (q, fresh) => {
              await this.applyBatch(q, n, fresh.id, g.key, batches[0]!, now, tally, result);
              // Nothing of finish() applies to an incident opened from these very alerts: it is no storm, its
              // header is posted with them, its severity is theirs, and they fire.
              await recordChangeSummary(q, fresh.id, now, tally);
            }
          : undefined,
      );
      inc = opened.incident;
      created = opened.created;
      applied = opened.applied === true;
    }
    result.incidents.push({ id: inc.id, created });
    result.channels[inc.id] = `#${inc.channelName ?? channelName(inc)}`;
    if (applied) return;
    const id = inc.id;
    if (batches.length === 1) {
      // The usual notification: one transaction for its alerts and their effects.
      await this.commit(async (q) => {
        const locked = await lockFollowingMerges(q, id);
        await this.applyBatch(q, n, locked?.id ?? id, g.key, batches[0]!, now, tally, result);
        if (locked) await this.finish(q, n, g, locked, notificationId, created, now, tally);
      });
      return;
    }
    let target = id;
    for (const batch of batches) {
      await this.commit(async (q) => {
        target = (await lockFollowingMerges(q, target))?.id ?? target;
        await this.applyBatch(q, n, target, g.key, batch, now, tally, result);
      });
      await yieldLoop();
    }
    await this.commit(async (q) => {
      const locked = await lockFollowingMerges(q, target);
      if (locked) await this.finish(q, n, g, locked, notificationId, created, now, tally);
    });
  }

  /**
   * An incident opened before sender identity was part of the key (its group_key is the bare groupKey, and it
   * has no alert_groups row) is taken over by its group instead of a second incident opening after an upgrade.
   */
  private async adoptLegacy(n: IntakeNotification, g: GroupWork): Promise<Incident | null> {
    if (!n.groupKey || n.groupKey === g.key) return null;
    const legacy = await getOpenIncidentByGroup(this.deps.db, n.groupKey);
    if (!legacy || (await getAlertGroup(this.deps.db, legacy.id))) return null;
    const r = await this.deps.db.query(
      "UPDATE incidents SET group_key = $2 WHERE id = $1 AND group_key = $3 AND status <> 'resolved'",
      [legacy.id, g.key, n.groupKey],
    );
    return r.rowCount ? { ...legacy, groupKey: g.key } : null;
  }

  /**
   * Opens the group's incident (or joins the one another replica just opened, or a storm). `then` runs in the same
   * transaction when a new incident of the group's own was opened (`applied` says so).
   */
  private async open(
    n: IntakeNotification,
    g: GroupWork,
    live: IntakeAlert[],
    severity: Severity,
    previousId: number | null,
    notificationId: number,
    now: Date,
    then?: (q: Queryable, incident: Incident) => Promise<void>,
  ): Promise<{ incident: Incident; created: boolean; applied?: boolean }> {
    const lead = live.find((a) => this.severityOf(n, a) === severity) ?? live[0]!;
    const labels = { ...n.commonLabels, ...lead.labels };
    const annotations = { ...n.commonAnnotations, ...lead.annotations };
    const match = this.deps.runbooks().match(lead.alertname, { ...labels, alertname: lead.alertname }, annotations);
    const threshold = this.config.STORM_THRESHOLD;
    const key =
      threshold > 0
        ? stormKey(
            { sender: n.sender, externalUrl: n.externalUrl, cluster: g.cluster, labels },
            this.config.STORM_GROUP_BY,
          )
        : null;
    return this.commit(async (q) => {
      if (key) {
        // One storm key at a time across replicas: counting, starting and joining never race.
        await lockKey(q, `storm:${key}`);
        const holder = await openIncidentForGroup(q, g.key, true);
        if (holder) return { incident: holder, created: false };
        const storm = await getOpenIncidentByGroup(q, stormGroupKey(key), true);
        const recent = storm
          ? []
          : await recentStormIncidents(q, key, windowStart(now, this.config.STORM_WINDOW_MINUTES));
        const decision = stormDecision({ threshold, hasKey: true, stormOpen: Boolean(storm), recent: recent.length });
        if (decision !== 'alone') {
          const into =
            storm ??
            (await this.storms.start(
              q,
              key,
              { alertname: lead.alertname, labels, annotations },
              severity,
              recent,
              now,
            ));
          await saveAlertGroup(q, alertGroupRow(n, g, into.id, previousId, key), now);
          if (storm) await this.storms.postRunbookOnce(q, into.id, match, lead.alertname);
          await appendEvents(q, into.id, [
            {
              kind: 'storm_group',
              actor: null,
              at: now,
              text: `Alert group joined the storm: ${lead.alertname}${labels.namespace ? ` (${labels.namespace})` : ''}`,
              data: { groupKey: g.key, alertname: lead.alertname },
            },
          ]);
          await linkNotification(q, notificationId, into.id);
          return { incident: into, created: !storm };
        }
      }
      const { incident, events } = declare(
        {
          title: alertTitle(lead, labels, annotations, n.title, this.config.ALERT_CLUSTER_LABELS),
          severity,
          source: 'alert',
          groupKey: g.key,
          description: n.message ?? annotations.description ?? null,
          runbookSource: match?.document.source ?? null,
          runbookId: match?.section.id ?? null,
          labels,
        },
        now,
      );
      const stored = await insertIncident(q, incident);
      if (!stored) {
        // Another replica opened it between our read and insert: join that one.
        const other = await getOpenIncidentByGroup(q, g.key, true);
        if (!other) throw new Error(`incident for group ${g.key} vanished`);
        return { incident: other, created: false };
      }
      await saveAlertGroup(q, alertGroupRow(n, g, stored.id, previousId, key), now);
      const recurrence: EventDraft[] = previousId
        ? [
            {
              kind: 'recurrence',
              actor: null,
              at: now,
              text: `Recurrence of INC-${previousId}`,
              data: { previousIncidentId: previousId },
            },
          ]
        : [];
      await this.deps.service.opened(q, stored, [...events, ...recurrence], match, {
        inviteUsers: [],
        alertname: lead.alertname,
        fingerprint: lead.fingerprint,
        team: labels.team ?? labels.service,
      });
      if (previousId) await enqueue(q, slackOp(stored, 'slack.alertRecurrence', { previousIncidentId: previousId }));
      await linkNotification(q, notificationId, stored.id);
      await then?.(q, stored);
      return { incident: stored, created: true, applied: Boolean(then) };
    });
  }

  /** Stores one batch of a group's alerts in its incident; the incident row is locked for the batch. */
  private async applyBatch(
    q: Queryable,
    n: IntakeNotification,
    incidentId: number,
    key: string,
    batch: IntakeAlert[],
    now: Date,
    tally: Tally,
    result: IngestResult,
  ): Promise<void> {
    const existing = await findAlerts(
      q,
      { incidentId },
      batch.map((a) => a.fingerprint),
    );
    const inserts: AlertInput[] = [];
    const updates: (AlertInput & { id: number })[] = [];
    const touched: number[] = [];
    const kinds = new Map<string, 'fired' | 'resolved' | null>();
    for (const a of batch) {
      const prev = existing.get(a.fingerprint) ?? null;
      const d = decideAlert(a, prev, now);
      if (d === 'stale') {
        result.stale++;
        continue;
      }
      const input = this.alertInput(n, a, incidentId, key);
      if (!prev) {
        inserts.push(input);
        kinds.set(a.fingerprint, d === 'new' ? 'fired' : null);
      } else if (d === 'unchanged' && sameDetails(prev, input)) touched.push(prev.id);
      else {
        updates.push({ ...input, id: prev.id });
        kinds.set(a.fingerprint, d === 'fired' ? 'fired' : d === 'resolved' ? 'resolved' : null);
      }
    }
    const rows = [...(await insertAlerts(q, inserts, now)), ...(await updateAlerts(q, updates, now))];
    await touchAlerts(q, touched, now);
    const events: EventDraft[] = [];
    for (const row of rows) {
      const kind = kinds.get(row.fingerprint);
      if (!kind) continue;
      const list = kind === 'fired' ? tally.fired : tally.resolved;
      if (kind === 'fired') {
        tally.firedCount++;
        result.newAlerts++;
      } else {
        tally.resolvedCount++;
        result.resolvedAlerts++;
      }
      if (list.length < LISTED_CHANGES) list.push(row);
      if (tally.firedCount + tally.resolvedCount <= LISTED_CHANGES)
        events.push({
          kind: kind === 'fired' ? 'alert_fired' : 'alert_resolved',
          actor: null,
          at: now,
          text: `Alert ${row.alertname} ${kind === 'fired' ? 'firing' : 'resolved'}`,
          data: { alertname: row.alertname, fingerprint: row.fingerprint, labels: row.labels },
        });
    }
    if (events.length) await appendEvents(q, incidentId, events);
  }

  /** After the batches: summary event, all-resolved and severity checks, Slack work, header refresh. */
  private async finish(
    q: Queryable,
    n: IntakeNotification,
    g: GroupWork,
    inc: Incident,
    notificationId: number,
    created: boolean,
    now: Date,
    tally: Tally,
  ): Promise<void> {
    // A new incident's group and notification were recorded when it was opened (open).
    if (!created) {
      await linkNotification(q, notificationId, inc.id);
      await saveAlertGroup(q, alertGroupRow(n, g, inc.id, null, null), now);
    }
    const changes = await recordChangeSummary(q, inc.id, now, tally);
    if (!changes && !created) return;
    const posts: OutboxDraft[] = [];
    // An incident holding several groups (a storm, a merge) shows them in its summary, edited in place at a
    // bounded rate; one message per alert change would flood its channel.
    const storm = await getStorm(q, inc.id);
    // A new incident's header lists its alerts; a message per alert would repeat it.
    const firedToPost = created ? [] : tally.fired;
    if (storm) await this.storms.refresh(q, inc.id, now);
    else if (firedToPost.length || tally.resolved.length) {
      posts.push(
        slackOp(inc, 'slack.alertChanges', {
          fired: firedToPost.map((r) => r.id),
          resolved: tally.resolved.map((r) => r.id),
          firedCount: created ? 0 : tally.firedCount,
          resolvedCount: tally.resolvedCount,
        }),
      );
    }
    const summary = await alertSummary(q, inc.id, 0);
    const allResolved = summary.total > 0 && summary.firing === 0;
    let after = inc;
    if (allResolved && !inc.alertsResolvedAt) {
      after = await updateIncident(q, inc, { ...inc, alertsResolvedAt: now });
      posts.push(slackOp(inc, 'slack.allResolved'));
      const quiet = this.config.AUTO_RESOLVE_MINUTES;
      if (quiet > 0 && inc.status !== 'resolved') await scheduleAutoResolve(q, inc.id, now, quiet);
    } else if (!allResolved && inc.alertsResolvedAt) {
      after = await updateIncident(q, inc, { ...inc, alertsResolvedAt: null });
    }
    // A more severe alert joining raises the incident's severity, announced where people look.
    const top = summary.topFiringSeverity as Severity | null;
    const severityEvents: EventDraft[] = [];
    if (top && inc.status !== 'resolved' && top < after.severity) {
      const before = after;
      const change = setSeverity(after, top, null, now);
      after = await updateIncident(q, after, change.incident);
      const joined = tally.fired.find((r) => r.severity === top) ?? tally.fired[0];
      await appendEvents(q, inc.id, change.events);
      severityEvents.push(...change.events);
      posts.push(
        slackOp(inc, 'slack.severityRaised', {
          from: before.severity,
          to: top,
          alertId: joined?.id ?? null,
        }),
      );
    }
    // A new incident's header is posted with fresh data, unless it went out while later batches were stored.
    const refresh = !storm && (!created || g.alerts.length > this.batchSize);
    await enqueue(q, refresh ? [...posts, slackOp(inc, 'slack.updateHeader')] : posts);
    if (after !== inc) await this.deps.service.changedIn(q, inc, after, severityEvents);
  }

  /**
   * Alerts of a group without an open incident that open none: resolved ones we never saw fire, and
   * info alerts (INFO_TO_DIGEST: one digest line per alert start).
   */
  private async storeUnassigned(
    n: IntakeNotification,
    g: GroupWork,
    alerts: IntakeAlert[],
    now: Date,
    result: IngestResult,
  ): Promise<void> {
    for (const batch of this.batches(alerts)) {
      result.digest += await this.commit(async (q) => {
        const existing = await findAlerts(
          q,
          { groupKey: g.key },
          batch.map((a) => a.fingerprint),
        );
        const inserts: AlertInput[] = [];
        const updates: (AlertInput & { id: number })[] = [];
        for (const a of batch) {
          const prev = existing.get(a.fingerprint);
          const input = this.alertInput(n, a, null, g.key);
          if (prev) updates.push({ ...input, id: prev.id });
          else inserts.push(input);
        }
        const rows = [...(await insertAlerts(q, inserts, now)), ...(await updateAlerts(q, updates, now))];
        let posted = 0;
        for (const row of rows) {
          if (row.status !== 'firing' || row.severity !== 'P4' || !this.config.INFO_TO_DIGEST) continue;
          posted += await enqueue(q, {
            op: 'slack.digest',
            orderingKey: `chan:${this.config.INCIDENTS_CHANNEL}`,
            payload: { alertId: row.id },
            dedupeKey: `digest:${row.fingerprint}:${row.startsAt?.toISOString() ?? row.firstSeenAt.toISOString()}`,
          });
        }
        return posted;
      });
      await yieldLoop();
    }
  }

  /**
   * Repeats of alerts a resolved incident already had (same fingerprint and startsAt): counted on those
   * alerts, and at most one note per ALERT_REPEAT_NOTE_MINUTES in that incident's channel, with Reopen.
   */
  private async repeated(
    n: IntakeNotification,
    g: GroupWork,
    repeats: IntakeAlert[],
    history: Map<string, AlertRow>,
    previousId: number,
    now: Date,
    result: IngestResult,
  ): Promise<void> {
    result.repeats += repeats.length;
    if (!repeats.length) return;
    await this.commit(async (q) => {
      const ids = repeats.map((a) => history.get(a.fingerprint)?.id).filter((x): x is number => x !== undefined);
      await touchAlerts(q, ids, now);
      const window = repeatWindow(now, this.config.ALERT_REPEAT_NOTE_MINUTES);
      await enqueue(q, {
        ...slackOp({ id: previousId }, 'slack.alertRepeat', {
          alertIds: ids.slice(0, LISTED_CHANGES),
          count: repeats.length,
          sender: n.sender,
        }),
        dedupeKey: `repeat:${previousId}:${window}`,
      });
    });
    this.deps.logger?.info(
      { incidentId: previousId, repeats: repeats.length, groupKey: g.key },
      'unchanged alerts repeated after their incident was resolved: noted, nothing opened',
    );
  }
}

/**
 * One timeline event summing up a notification's alert changes when there were more than LISTED_CHANGES (the
 * first ones have events of their own). Returns how many changes there were.
 */
async function recordChangeSummary(q: Queryable, incidentId: number, now: Date, tally: Tally): Promise<number> {
  const changes = tally.firedCount + tally.resolvedCount;
  if (changes <= LISTED_CHANGES) return changes;
  const parts = [
    tally.firedCount ? `${tally.firedCount} alerts firing` : '',
    tally.resolvedCount ? `${tally.resolvedCount} alerts resolved` : '',
  ].filter(Boolean);
  await appendEvents(q, incidentId, [
    {
      kind: 'alerts_changed',
      actor: null,
      at: now,
      text: parts.join(', '),
      data: { fired: tally.firedCount, resolved: tally.resolvedCount },
    },
  ]);
  return changes;
}

/**
 * Locks an incident for a batch of alerts; one folded into another meanwhile (a storm started, a merge) leads
 * to the incident holding its alerts now, so nothing lands in a closed incident. Null when it does not exist.
 */
async function lockFollowingMerges(q: Queryable, id: number): Promise<Incident | null> {
  let current = id;
  for (let hops = 0; hops < 10; hops++) {
    const inc = await getIncident(q, current, true);
    if (inc?.status !== 'resolved') return inc;
    const next = await mergedInto(q, current);
    if (next === null) return inc;
    current = next;
  }
  return getIncident(q, current, true);
}

/** True when stored details equal what arrived (a pure repeat: nothing to rewrite). */
function sameDetails(prev: AlertRow, next: AlertInput): boolean {
  return (
    prev.status === next.status &&
    prev.alertname === next.alertname &&
    (prev.startsAt?.getTime() ?? null) === (next.startsAt?.getTime() ?? prev.startsAt?.getTime() ?? null) &&
    (prev.endsAt?.getTime() ?? null) === (next.endsAt?.getTime() ?? null) &&
    prev.generatorUrl === next.generatorUrl &&
    prev.severity === next.severity &&
    JSON.stringify(prev.labels) === JSON.stringify(next.labels) &&
    JSON.stringify(prev.annotations) === JSON.stringify(next.annotations) &&
    JSON.stringify(prev.links) === JSON.stringify(next.links)
  );
}

/**
 * PostgreSQL errors worth a retry by the sender (5xx): connection loss, serialization failures, lack of
 * resources, shutdown. Anything else is a property of the data and goes to the dead-letter table.
 */
export function isTransient(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  // No SQLSTATE: a lost connection is worth a retry; anything else (a bug) would fail the same way forever.
  if (typeof code !== 'string') return /connect|terminat|timeout|closed|ECONN/i.test(String((err as Error)?.message));
  return /^(08|40|53|57|58)/.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes(code);
}

/** The incident title: Grafana's title, else summary, else alertname and scope; the cluster leads when known. */
function alertTitle(
  a: IntakeAlert,
  labels: Record<string, string>,
  annotations: Record<string, string>,
  senderTitle: string | null,
  clusterLabels: string[],
): string {
  const summary = annotations.summary ?? annotations.title;
  const scope = labels.namespace ?? labels.service ?? labels.job;
  const base = summary ?? `${a.alertname}${scope ? ` in ${scope}` : ''}`;
  const title = senderTitle && senderTitle.length < 120 ? senderTitle.replace(/^\[[A-Z]+(:\d+)?\]\s*/, '') : base;
  // The first cluster label (by default `cluster`) names where; the others only keep senders apart.
  const where = clusterLabels[0] ? labels[clusterLabels[0]]?.trim() : undefined;
  const name = where && !title.includes(where) ? `${where}: ${title}` : title;
  return name.replace(/\s+/g, ' ').trim().slice(0, 200) || a.alertname;
}

/** AUTO_RESOLVE_MINUTES: resolve when every alert stays resolved this long (the worker checks again when it fires). */
async function scheduleAutoResolve(q: Queryable, incidentId: number, now: Date, minutes: number): Promise<void> {
  await insertTimers(q, incidentId, [
    {
      kind: 'auto_resolve',
      afterMinutes: minutes,
      dueAt: new Date(now.getTime() + minutes * 60_000),
      target: null,
      severity: null,
      condition: 'every alert stays resolved',
      text: `Auto-resolve: all alerts resolved for ${minutesPhrase(minutes)}`,
      cancelOn: 'resolve',
      source: 'alerts' as never,
      data: { alertsResolvedAt: now.toISOString() },
    },
  ]);
}
