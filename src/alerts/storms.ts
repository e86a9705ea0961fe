/**
 * Alert storms and merges (issue #17), the store side: starting a storm incident, folding incidents into
 * another (a storm, `/incident merge INC-12`), splitting a group out into an incident of its own. Every step runs
 * inside the caller's transaction (or its own), with the incident rows locked, so two replicas and a restart
 * never see half of it; the Slack work goes out through the outbox.
 */
import type { Config } from '../config.js';
import { TransitionError, ValidationError } from '../errors.js';
import type { AnnouncementStorm } from '../incidents/announcement.js';
import { declare, type EventDraft, type Incident, incidentRef, setSeverity, setStatus } from '../incidents/model.js';
import {
  type IncidentService,
  orderingKey,
  type RunbookLookup,
  type RunbookMatch,
  slackOp,
} from '../incidents/service.js';
import { alertSummary } from '../store/alerts.js';
import type { Db, Queryable } from '../store/db.js';
import { appendEvents, getIncident, insertIncident, updateIncident } from '../store/incidents.js';
import { commitThenKick, enqueue } from '../store/outbox.js';
import {
  claimStormRunbook,
  dropPendingSlackWork,
  ensureStorm,
  getGroupRow,
  getStorm,
  groupCount,
  groupCounts,
  moveGroup,
  moveIncidentContents,
  setMergedInto,
} from '../store/storms.js';
import { cancelAllPending } from '../store/timers.js';
import type { Severity } from '../vocabulary.js';
import { refreshSlot, stormGroupKey, stormLabels, stormTitle } from './storm.js';

export interface StormsDeps {
  db: Db;
  config: Config;
  service: IncidentService;
  runbooks: () => RunbookLookup;
  kick?: () => void;
  now?: () => Date;
}

/** Outbox op of the storm summary message (slack/storm.ts): posted once, then edited in place. */
export const STORM_SUMMARY_OP = 'slack.stormSummary';
/** Outbox op of the one line a folded incident's channel (if it has one) gets, pointing at where it went. */
export const MERGED_AWAY_OP = 'slack.mergedAway';

/** Summary refresh slots per header refresh of a storm incident. */
const HEADER_SLOTS = 6;

/** The lead alert of a group, as the runbook lookup and titles need it. */
export interface LeadAlert {
  alertname: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

const runbookId = (m: RunbookMatch) => `${m.document.source}#${m.section.id}`;

export class Storms {
  private readonly now: () => Date;
  constructor(private readonly deps: StormsDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  private commit<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    return commitThenKick(this.deps.db, fn, this.deps.kick);
  }

  /**
   * A coalesced refresh of the incident's summary message and header: one outbox row per incident and
   * STORM_REFRESH_SECONDS slot (dedupe key), due at the slot's end, so a storm of changes makes one edit per slot.
   */
  async refresh(q: Queryable, incidentId: number, now: Date): Promise<void> {
    const seconds = this.deps.config.STORM_REFRESH_SECONDS;
    // The slot of the commit, not of the notification's arrival (a large one is stored over several seconds): a
    // slot whose refresh already ran must not swallow this change through the dedupe key.
    const at = new Date(Math.max(now.getTime(), this.now().getTime()));
    const { slot, dueAt } = refreshSlot(at, seconds);
    // The header's counts follow at a sixth of that pace (its alert list is the summary's job): chat.update is
    // one Slack tier 3 bucket (about 50 a minute) for the whole workspace.
    const header = refreshSlot(at, seconds * HEADER_SLOTS);
    // Their own ordering keys: a refresh waiting for its slot never holds up the incident's other messages.
    await enqueue(q, [
      {
        ...slackOp({ id: incidentId }, STORM_SUMMARY_OP),
        orderingKey: `storm:${incidentId}`,
        dedupeKey: `storm-summary:${incidentId}:${slot}`,
        notBefore: dueAt,
      },
      {
        ...slackOp({ id: incidentId }, 'slack.updateHeader'),
        orderingKey: `storm-header:${incidentId}`,
        dedupeKey: `storm-header:${incidentId}:${header.slot}`,
        notBefore: header.dueAt,
      },
      // The announcement's storm line (groups, namespaces) at the header's pace; coalesced with any other edit.
      { ...slackOp({ id: incidentId }, 'slack.announceUpdate'), notBefore: header.dueAt },
    ]);
  }

  /**
   * What the incident's announcement says of its storm (incidents/announcement.ts AnnouncementStorm): the
   * groups it holds, the cluster of its storm key and its namespaces, most affected first. Null for an incident
   * that is not a storm (an incident that merely had another merged into it by hand included).
   */
  async announcementScope(incidentId: number): Promise<AnnouncementStorm | null> {
    const storm = await getStorm(this.deps.db, incidentId);
    if (!storm?.stormKey) return null;
    const groups = await groupCounts(this.deps.db, incidentId);
    const perNamespace = new Map<string, number>();
    for (const g of groups) {
      const ns = g.labels.namespace;
      if (ns) perNamespace.set(ns, (perNamespace.get(ns) ?? 0) + 1);
    }
    const keyed = stormLabels(storm.stormKey);
    return {
      groups: groups.length,
      cluster: keyed.cluster ?? '',
      namespaces: [...perNamespace].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([ns]) => ns),
    };
  }

  /** Posts a runbook in the incident's channel unless it was posted there already (one per distinct runbook). */
  async postRunbookOnce(q: Queryable, incidentId: number, match: RunbookMatch | null, alertname: string) {
    if (!match || !(await claimStormRunbook(q, incidentId, runbookId(match)))) return;
    await enqueue(
      q,
      slackOp({ id: incidentId }, 'slack.postRunbook', {
        alertname,
        runbookSource: match.document.source,
        runbookId: match.section.id,
      }),
    );
  }

  /**
   * Opens the storm incident of `key` at the highest severity among `folded` and the new group, and folds
   * `folded` (the incidents its groups opened within the window) into it. Caller holds the storm key's lock
   * and has locked `folded` (recentStormIncidents). Returns the stored storm incident.
   */
  async start(
    q: Queryable,
    key: string,
    lead: LeadAlert,
    severity: Severity,
    folded: Incident[],
    now: Date,
  ): Promise<Incident> {
    const top = [severity, ...folded.map((i) => i.severity)].reduce((a, b) => (b < a ? b : a));
    const match = this.deps
      .runbooks()
      .match(lead.alertname, { ...lead.labels, alertname: lead.alertname }, lead.annotations);
    const { incident, events } = declare(
      {
        title: stormTitle(key),
        severity: top,
        source: 'alert',
        groupKey: stormGroupKey(key),
        description: `More than ${this.deps.config.STORM_THRESHOLD} alert groups opened within ${this.deps.config.STORM_WINDOW_MINUTES} minutes; they are gathered here.`,
        runbookSource: match?.document.source ?? null,
        runbookId: match?.section.id ?? null,
        labels: { ...stormLabels(key), alertname: lead.alertname },
      },
      now,
    );
    const stored = await insertIncident(q, incident);
    if (!stored) throw new Error(`storm incident for ${key} already open`);
    await ensureStorm(q, stored.id, key);
    if (match) await claimStormRunbook(q, stored.id, runbookId(match));
    const started: EventDraft = {
      kind: 'storm',
      actor: null,
      at: now,
      text: `Alert storm: ${folded.length + 1} alert groups within ${this.deps.config.STORM_WINDOW_MINUTES} minutes`,
      data: { key, folded: folded.map((i) => i.id) },
    };
    await this.deps.service.opened(q, stored, [...events, started], match, {
      inviteUsers: [],
      alertname: lead.alertname,
      team: lead.labels.team ?? lead.labels.service,
    });
    // The first summary goes out in the incident's order (after its channel and header); refreshes edit it.
    await enqueue(q, {
      ...slackOp(stored, STORM_SUMMARY_OP, { first: true }),
      dedupeKey: `storm-summary:${stored.id}:first`,
    });
    let into = stored;
    for (const f of folded) into = await this.fold(q, f, into, null, now, 'storm');
    return into;
  }

  /**
   * Folds incident `from` into `into` (both locked by the caller, both open): alerts and groups move, `from` is
   * closed "merged into INC-n" with its timers cancelled and its unsent Slack work dropped (a channel not
   * created yet never is; an existing one gets one line pointing at `into`), both timelines record it, and
   * `into` takes the higher severity (timers re-planned through the hooks). Returns `into` as stored after.
   * Throws TransitionError when either is resolved or they are the same incident.
   */
  async fold(
    q: Queryable,
    from: Incident,
    into: Incident,
    actor: string | null,
    now: Date,
    reason: 'storm' | 'merge',
  ): Promise<Incident> {
    if (from.id === into.id) throw new TransitionError(`${incidentRef(from)} cannot be merged into itself.`);
    if (from.status === 'resolved') throw new TransitionError(`${incidentRef(from)} is resolved; reopen it first.`);
    if (into.status === 'resolved') throw new TransitionError(`${incidentRef(into)} is resolved; reopen it first.`);
    const moved = await moveIncidentContents(q, from.id, into.id);
    if (!(await getStorm(q, into.id))) {
      await ensureStorm(q, into.id, null);
      await enqueue(q, {
        ...slackOp(into, STORM_SUMMARY_OP, { first: true }),
        dedupeKey: `storm-summary:${into.id}:first`,
      });
    }
    // Its runbook, if any, is posted where the alerts went (once per distinct runbook).
    const fromRunbook = this.deps.service.currentRunbook(from);
    if (fromRunbook) await this.postRunbookOnce(q, into.id, fromRunbook, from.labels.alertname ?? from.title);

    const closing = setStatus(from, 'resolved', actor, now, `Merged into ${incidentRef(into)}`);
    const closed = await updateIncident(q, from, closing.incident);
    await setMergedInto(q, from.id, into.id);
    const mergedEvent: EventDraft = {
      kind: 'merged',
      actor,
      at: now,
      text: `Merged into ${incidentRef(into)}${reason === 'storm' ? ' (alert storm)' : ''}`,
      data: { into: into.id, reason, alerts: moved.alerts, groups: moved.groups },
    };
    await appendEvents(q, from.id, [mergedEvent, ...closing.events]);
    await cancelAllPending(q, from.id);
    await dropPendingSlackWork(q, from.id, orderingKey(from.id));
    await enqueue(q, slackOp(from, MERGED_AWAY_OP, { into: into.id, reason }));
    await this.deps.service.changedIn(q, from, closed, closing.events);

    await appendEvents(q, into.id, [
      {
        kind: 'merged_in',
        actor,
        at: now,
        text: `${incidentRef(from)} merged in${reason === 'storm' ? ' (alert storm)' : ''}: ${from.title}`,
        data: { from: from.id, reason, alerts: moved.alerts, groups: moved.groups },
      },
    ]);
    let after = into;
    if (from.severity < into.severity) {
      const change = setSeverity(into, from.severity, actor, now);
      after = await updateIncident(q, into, change.incident);
      await appendEvents(q, into.id, change.events);
      await this.deps.service.changedIn(q, into, after, change.events);
      await enqueue(
        q,
        slackOp(after, 'slack.severityRaised', { from: into.severity, to: from.severity, alertId: null }),
      );
    }
    await this.refresh(q, into.id, now);
    return after;
  }

  /**
   * `/incident merge INC-12` in incident `intoId`'s channel: folds `fromId` into it (see fold). The caller checks
   * the person may (commander actions). Throws NotFoundError/TransitionError as the person should read them.
   */
  async merge(intoId: number, fromId: number, actor: string): Promise<Incident> {
    return this.commit(async (q) => {
      // Lock in id order: two merges the other way round never deadlock.
      const [a, b] = [intoId, fromId].sort((x, y) => x - y);
      const first = await getIncident(q, a!, true);
      const second = await getIncident(q, b!, true);
      const into = first?.id === intoId ? first : second;
      const from = first?.id === fromId ? first : second;
      if (!into) throw new ValidationError(`There is no incident INC-${intoId}.`, 'incident');
      if (!from) throw new ValidationError(`There is no incident INC-${fromId}.`, 'incident');
      return this.fold(q, from, into, actor, this.now(), 'merge');
    });
  }

  /**
   * Split out: moves one group (alert_groups id) of an incident holding several into a new incident of its own,
   * at its alerts' highest firing severity, with its own channel, runbook and timers. Both timelines record it.
   * Returns the new incident. Throws ValidationError when the group is not in that incident or is its only one.
   */
  async split(incidentId: number, groupId: number, actor: string): Promise<Incident> {
    return this.commit(async (q) => {
      const now = this.now();
      const holder = await getIncident(q, incidentId, true);
      if (!holder) throw new ValidationError(`There is no incident INC-${incidentId}.`, 'incident');
      if (holder.status === 'resolved') throw new TransitionError(`${incidentRef(holder)} is resolved.`);
      const group = await getGroupRow(q, groupId);
      if (!group || group.incidentId !== incidentId)
        throw new ValidationError(`That alert group is no longer in ${incidentRef(holder)}.`, 'group');
      if ((await groupCount(q, incidentId)) < 2)
        throw new ValidationError(`It is the only alert group of ${incidentRef(holder)}; nothing to split.`, 'group');
      const lead = await q.query<Record<string, unknown>>(
        `SELECT alertname, labels, annotations, severity FROM alerts WHERE incident_id = $1 AND group_key = $2
         ORDER BY (status = 'firing') DESC, severity, id LIMIT 1`,
        [incidentId, group.groupKey],
      );
      const l = lead.rows[0];
      const alertname = String(l?.alertname ?? 'Alert group');
      const labels = (l?.labels as Record<string, string>) ?? {};
      const annotations = (l?.annotations as Record<string, string>) ?? {};
      const severity = ((l?.severity as Severity | null) ?? holder.severity) as Severity;
      const match = this.deps.runbooks().match(alertname, { ...labels, alertname }, annotations);
      const scope = labels.namespace ?? labels.service ?? labels.job;
      const { incident, events } = declare(
        {
          title: group.title ?? annotations.summary ?? `${alertname}${scope ? ` in ${scope}` : ''}`,
          severity,
          source: 'alert',
          groupKey: group.groupKey,
          description: annotations.description ?? null,
          runbookSource: match?.document.source ?? null,
          runbookId: match?.section.id ?? null,
          labels: { ...labels, alertname },
        },
        now,
      );
      const stored = await insertIncident(q, incident);
      if (!stored) throw new ValidationError('An open incident already holds that alert group.', 'group');
      const moved = await moveGroup(q, groupId, incidentId, stored.id);
      await this.deps.service.opened(
        q,
        stored,
        [
          ...events,
          {
            kind: 'split_from',
            actor,
            at: now,
            text: `Split out of ${incidentRef(holder)}`,
            data: { from: holder.id, alerts: moved },
          },
        ],
        match,
        { inviteUsers: [actor], alertname, team: labels.team ?? labels.service },
      );
      await appendEvents(q, holder.id, [
        {
          kind: 'split',
          actor,
          at: now,
          text: `Split ${alertname}${scope ? ` (${scope})` : ''} out into ${incidentRef(stored)}`,
          data: { into: stored.id, groupKey: group.groupKey, alerts: moved },
        },
      ]);
      await this.refresh(q, holder.id, now);
      const counts = await alertSummary(q, stored.id, 0);
      if (counts.total > 0 && counts.firing === 0)
        await updateIncident(q, stored, { ...stored, alertsResolvedAt: now });
      return stored;
    });
  }
}
