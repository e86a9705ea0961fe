import type { Logger } from 'pino';
import { decideIncidentAction, type IncidentAction } from '../auth/policy.js';
import type { Access } from '../auth/roles.js';
import type { Config } from '../config.js';
import { NotFoundError, PermissionError, TransitionError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { RunbookLookup, RunbookMatch } from '../runbooks/lookup.js';
import { listAlerts } from '../store/alerts.js';
import type { Db, Queryable } from '../store/db.js';
import {
  appendEvents,
  getIncident,
  getIncidentByChannel,
  insertIncident,
  listEvents,
  listFollowupsOwnedBy,
  listIncidentsBounded,
  listLatestEvents,
  listOpenIncidents,
  updateIncident,
} from '../store/incidents.js';
import { commitThenKick, enqueue, type OutboxDraft } from '../store/outbox.js';
import { announcementChanged } from './announcement.js';
import { FollowUpData } from './followups.js';
import {
  acknowledge,
  assignRole,
  type Change,
  declare,
  type EventDraft,
  type Incident,
  type IncidentRole,
  incidentRef,
  type Notice,
  postUpdate,
  type Severity,
  type Status,
  setSeverity,
  setStatus,
} from './model.js';
import { event } from './timeline.js';

/** Extension points run inside the same transaction as the change (escalation timers, status page). */
export interface IncidentHooks {
  opened?(q: Queryable, inc: Incident, runbook: RunbookMatch | null): Promise<void>;
  changed?(q: Queryable, before: Incident, after: Incident, events: EventDraft[]): Promise<void>;
}

export interface IncidentServiceDeps {
  db: Db;
  config: Config;
  logger: Logger;
  metrics?: Metrics;
  runbooks: () => RunbookLookup;
  hooks?: IncidentHooks[];
  /** Wakes the outbox sender after a commit. */
  kick?: () => void;
  /** Roles and group membership for acknowledging and assigning; without it every person may (tests, tools). */
  access?: Access;
  now?: () => Date;
}

export interface DeclareInput {
  title: string;
  severity: Severity;
  actor: string | null;
  source: Incident['source'];
  description?: string | null;
  commander?: string | null;
}

export type { RunbookLookup, RunbookMatch };

export const orderingKey = (incidentId: number) => `inc:${incidentId}`;

/** Tells the incident channel about a change; the Slack side words it (slack/render/notices.ts). */
const notice = (inc: Pick<Incident, 'id'>, n: Notice): OutboxDraft => slackOp(inc, 'slack.notice', { notice: n });

/** An outbox row of Slack work for one incident, in that incident's order. */
export const slackOp = (inc: Pick<Incident, 'id'>, op: string, payload: Record<string, unknown> = {}): OutboxDraft => ({
  op,
  orderingKey: orderingKey(inc.id),
  incidentId: inc.id,
  payload,
});

/**
 * Asks for the incident's announcement to be edited to its current state (`slack.announceUpdate`). Coalesced:
 * while one such row waits, more calls add nothing (outbox/priority.ts COALESCED_OPS: the row's coalesce key is
 * cleared when it is claimed); the edit renders from the incident row when sent. Locks the incident
 * row until the caller's transaction ends, so the handler (which reads the row under lock) never renders from
 * before a change whose request was folded into its own. The incident service calls it on every change the
 * announcement shows; storm code calls it when a storm's scope (groups, namespaces) changes.
 */
export async function enqueueAnnouncementUpdate(q: Queryable, inc: Pick<Incident, 'id'>): Promise<void> {
  await getIncident(q, inc.id, true);
  await enqueue(q, slackOp(inc, 'slack.announceUpdate'));
}

/**
 * Declares and changes incidents. Every change commits the incident row, its timeline events and
 * the Slack work (outbox rows) in one transaction; the outbox sender does the calls afterwards.
 */
export class IncidentService {
  private readonly now: () => Date;
  constructor(private readonly deps: IncidentServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** The logger for work on one incident: every line carries its id (and the person acting, when known). */
  private logFor(incidentId: number, user?: string | null): Logger {
    return this.deps.logger.child(user ? { incidentId, user } : { incidentId });
  }

  private commit<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    return commitThenKick(this.deps.db, fn, this.deps.kick);
  }

  /** Opens an incident from a person (slash command, modal, App Home). */
  async declare(input: DeclareInput): Promise<Incident> {
    const match = this.deps.runbooks().bySeverity(input.severity);
    return this.commit(async (q) => {
      const { incident, events } = declare(
        {
          title: input.title,
          severity: input.severity,
          source: input.source,
          description: input.description,
          commander: input.commander,
          declaredBy: input.actor,
          runbookSource: match?.document.source ?? null,
          runbookId: match?.section.id ?? null,
        },
        this.now(),
      );
      const stored = await insertIncident(q, incident);
      if (!stored) throw new Error('insert refused an incident without a group key');
      await this.opened(q, stored, events, match, {
        inviteUsers: [input.actor, input.commander].filter(Boolean) as string[],
      });
      return stored;
    });
  }

  /** Stores what a new incident starts with (events, Slack work, hook work); the caller owns the transaction. */
  async opened(
    q: Queryable,
    inc: Incident,
    events: EventDraft[],
    match: RunbookMatch | null,
    opts: {
      inviteUsers: string[];
      alertname?: string;
      team?: string;
      /** The fingerprint of the alert that opened it, for the log line (alert intake passes it). */
      fingerprint?: string;
    },
  ): Promise<void> {
    await appendEvents(q, inc.id, events);
    if (match) {
      await appendEvents(q, inc.id, [
        {
          kind: 'runbook',
          actor: null,
          at: inc.startedAt,
          text: `Runbook: ${match.section.title} (${match.document.source})`,
          data: { source: match.document.source, runbookId: match.section.id },
        },
      ]);
    }
    const groups = [this.oncallGroup(opts.team)];
    await enqueue(q, [
      slackOp(inc, 'slack.createChannel'),
      slackOp(inc, 'slack.setupChannel', { inviteUsers: opts.inviteUsers, inviteGroups: groups }),
      slackOp(inc, 'slack.postHeader'),
      slackOp(inc, 'slack.postRunbook', { alertname: opts.alertname ?? null }),
      slackOp(inc, 'slack.announce'),
    ]);
    for (const h of this.deps.hooks ?? []) await h.opened?.(q, inc, match);
    this.deps.metrics?.incidentsDeclared.inc({ severity: inc.severity, source: inc.source });
    this.logFor(inc.id).info(
      {
        severity: inc.severity,
        source: inc.source,
        ...(inc.groupKey ? { groupKey: inc.groupKey } : {}),
        ...(opts.alertname ? { alertname: opts.alertname } : {}),
        ...(opts.fingerprint ? { fingerprint: opts.fingerprint } : {}),
      },
      'incident opened',
    );
  }

  /** Runs the `changed` hooks (escalation, status page) for a change made inside `q`. */
  async changedIn(q: Queryable, before: Incident, after: Incident, events: EventDraft[]): Promise<void> {
    if (announcementChanged(before, after)) await enqueueAnnouncementUpdate(q, after);
    for (const h of this.deps.hooks ?? []) await h.changed?.(q, before, after, events);
  }

  private oncallGroup(team: string | undefined): string {
    const map = this.deps.config.ONCALL_GROUPS;
    return (team && map[team]) || this.deps.config.DEFAULT_ONCALL_GROUP;
  }

  /** Applies a pure model change to a locked incident; stores it, its events, a header refresh and hook work. */
  mutate(
    id: number,
    fn: (inc: Incident, now: Date) => Change,
    extra?: (q: Queryable, after: Incident) => Promise<unknown>,
  ) {
    return this.commit((q) => this.mutateIn(q, id, fn, extra));
  }

  /** The same, inside a transaction the caller owns (the timer worker resolving an incident). */
  async mutateIn(
    q: Queryable,
    id: number,
    fn: (inc: Incident, now: Date) => Change,
    extra?: (q: Queryable, after: Incident) => Promise<unknown>,
  ): Promise<Incident> {
    const before = await getIncident(q, id, true);
    if (!before) throw new NotFoundError(`There is no incident INC-${id}.`);
    const { incident, events } = fn(before, this.now());
    const after = await updateIncident(q, before, incident);
    await appendEvents(q, id, events);
    await enqueue(q, slackOp(after, 'slack.updateHeader'));
    if (announcementChanged(before, after)) await enqueueAnnouncementUpdate(q, after);
    for (const h of this.deps.hooks ?? []) await h.changed?.(q, before, after, events);
    await extra?.(q, after);
    const actor = events.find((e) => e.actor)?.actor;
    this.logFor(id, actor).info({ events: events.map((e) => e.kind), status: after.status }, 'incident changed');
    return after;
  }

  /**
   * Acknowledges for a person. Needs the responder role or membership of a paged group: the incident's
   * on-call group plus `opts.pagedGroups` (the escalation target of the ping they clicked). A refusal
   * throws PermissionError and is recorded on the timeline.
   */
  async ack(id: number, actor: string, opts: { pagedGroups?: string[] } = {}) {
    const inc = await this.get(id);
    if (!inc.ackedAt && inc.status !== 'resolved') await this.authorize(inc, 'acknowledge', actor, opts.pagedGroups);
    return this.mutate(
      id,
      (inc, now) => acknowledge(inc, actor, now),
      (q, inc) => enqueue(q, notice(inc, { kind: 'acknowledged', actor })),
    );
  }

  /**
   * A person takes an escalation ping (its Acknowledge or I'm on it button): needs what acknowledging
   * needs; acknowledges when nobody has, else records them as a responder; invites them to the channel.
   * Returns whether this acknowledged the incident.
   */
  async takePing(
    id: number,
    actor: string,
    opts: { timerId: number; timerText: string; via: 'acknowledge' | 'on_it'; pagedGroups?: string[] },
  ): Promise<{ acknowledged: boolean; incident: Incident }> {
    const inc = await this.get(id);
    IncidentService.assertOpen(inc);
    await this.authorize(inc, 'acknowledge', actor, opts.pagedGroups);
    let acknowledged = false;
    const incident = await this.mutate(
      id,
      (cur, now) => {
        const data = { user: actor, timerId: opts.timerId, via: opts.via };
        const took = {
          kind: 'responder',
          actor,
          at: now,
          text: `took the escalation ping "${opts.timerText.slice(0, 200)}"`,
          data,
        };
        if (cur.ackedAt) return { incident: cur, events: [took] };
        acknowledged = true;
        const change = acknowledge(cur, actor, now);
        return { incident: change.incident, events: [took, ...change.events] };
      },
      (q, after) =>
        enqueue(q, [
          slackOp(after, 'slack.setupChannel', { inviteUsers: [actor], inviteGroups: [] }),
          ...(acknowledged ? [notice(after, { kind: 'acknowledged', actor })] : []),
        ]),
    );
    return { acknowledged, incident };
  }

  /** The on-call group paged for this incident (ONCALL_GROUPS by its team/service label, else the default). */
  pagedGroup(inc: Pick<Incident, 'labels'>): string {
    return this.oncallGroup(inc.labels.team ?? inc.labels.service);
  }

  /**
   * Checks a person may do `action` to the incident's people (auth/policy decideIncidentAction); a refusal
   * is recorded on the timeline (kind 'denied', data.action) and thrown as PermissionError with the reason.
   */
  async authorize(inc: Incident, action: IncidentAction, actor: string, extraGroups: string[] = []): Promise<void> {
    const access = this.deps.access;
    if (!access) return;
    const pagedGroups = [this.pagedGroup(inc), ...extraGroups].filter(Boolean);
    const role = await access.roleOf(actor);
    const mine = new Set(
      (await access.groupsOf(actor).catch(() => [] as string[])).map((g) => g.replace(/^@/, '').toLowerCase()),
    );
    const d = decideIncidentAction({
      action,
      role,
      pagedMember: pagedGroups.some((g) => mine.has(g.replace(/^@/, '').toLowerCase())),
      isCommander: inc.commander === actor,
      hasCommander: Boolean(inc.commander),
      pagedGroups: pagedGroups.filter((g) => !/^S[A-Z0-9]+$/.test(g)),
    });
    if (d.allow) return;
    await this.record(inc.id, 'denied', actor, `refused ${action.replace('_', ' ')}: ${d.reason}`, {
      action,
      reason: d.reason,
      role,
      requiredRole: d.requiredRole,
    });
    this.logFor(inc.id, actor).info({ action, role }, 'incident action refused');
    throw new PermissionError(d.reason, d.requiredRole ?? 'admin');
  }

  setStatus(id: number, status: Status, actor: string | null, summary?: string) {
    return this.commit((q) => this.setStatusIn(q, id, status, actor, summary));
  }

  setStatusIn(q: Queryable, id: number, status: Status, actor: string | null, summary?: string) {
    return this.mutateIn(
      q,
      id,
      (inc, now) => setStatus(inc, status, actor, now, summary),
      (tx, inc) => enqueue(tx, notice(inc, { kind: 'status', actor, status: inc.status, summary: inc.summary })),
    );
  }

  resolve(id: number, actor: string, summary?: string) {
    return this.setStatus(id, 'resolved', actor, summary);
  }

  setSeverity(id: number, severity: Severity, actor: string) {
    let previous: Severity | undefined;
    return this.mutate(
      id,
      (inc, now) => {
        previous = inc.severity;
        return setSeverity(inc, severity, actor, now);
      },
      (q, inc) => enqueue(q, notice(inc, { kind: 'severity', actor, severity, ...(previous ? { previous } : {}) })),
    );
  }

  /**
   * Gives `user` an incident role. Who may: see auth/policy decideIncidentAction — taking command from
   * someone else needs responder or above and is announced with who held it; assigning someone else needs
   * the commander or an admin. A refusal throws PermissionError and is recorded on the timeline.
   */
  async assign(id: number, role: IncidentRole, user: string, actor: string) {
    const current = await this.get(id);
    const holder = role === 'commander' ? current.commander : role === 'comms' ? current.commsLead : current.scribe;
    const action: IncidentAction =
      user !== actor
        ? 'assign_other'
        : role === 'commander' && holder && holder !== actor
          ? 'take_command'
          : 'claim_role';
    if (holder !== user) await this.authorize(current, action, actor);
    return this.mutate(
      id,
      (inc, now) => assignRole(inc, role, user, actor, now),
      (q, inc) =>
        enqueue(q, [
          slackOp(inc, 'slack.setupChannel', { inviteUsers: [user], inviteGroups: [] }),
          notice(inc, { kind: 'role', actor, user, role, ...(holder && holder !== user ? { previous: holder } : {}) }),
        ]),
    );
  }

  /**
   * Posts an update. With `status` (the update form's field) the same change also moves the status, unless it
   * is unchanged or `resolved` (resolving has its own form); one public line says both (quiet channels).
   */
  update(id: number, text: string, actor: string, status?: Status) {
    let moved: Status | undefined;
    return this.mutate(
      id,
      (inc, now) => {
        const posted = postUpdate(inc, text, actor, now);
        if (!status || status === inc.status || status === 'resolved') return posted;
        const changed = setStatus(posted.incident, status, actor, now);
        moved = status;
        return { incident: changed.incident, events: [...posted.events, ...changed.events] };
      },
      (q, inc) =>
        enqueue(q, notice(inc, { kind: 'update', actor, text: text.trim(), ...(moved ? { status: moved } : {}) })),
    );
  }

  /** What App Home shows `user`: each list bounded to `limit` in its query, with its total. */
  async home(user: string, limit: number) {
    const db = this.deps.db;
    return {
      mine: await listIncidentsBounded(db, 'mine', limit, user),
      open: await listIncidentsBounded(db, 'open', limit),
      resolved: await listIncidentsBounded(db, 'resolved', Math.min(limit, 5)),
      followups: await listFollowupsOwnedBy(db, user, limit),
    };
  }

  /** Follow-ups owned by a person across incidents, newest first, at most `limit`, with the total. */
  followupsOwnedBy(owner: string, limit: number) {
    return listFollowupsOwnedBy(this.deps.db, owner, limit);
  }

  /** Records a follow-up (action item) with its owner, and tells the channel once. */
  async addFollowup(id: number, text: string, owner: string, actor: string): Promise<void> {
    const data = FollowUpData.parse({ text, owner });
    await this.commit(async (q) => {
      const inc = await getIncident(q, id);
      if (!inc) throw new NotFoundError(`There is no incident INC-${id}.`);
      await appendEvents(q, id, [event('followup', actor, this.now(), data)]);
      await enqueue(q, notice(inc, { kind: 'followup', actor, owner: data.owner, text: data.text }));
    });
  }

  /** Records something that happened without changing the incident (clicks, diagnostics, denials). */
  async record(id: number, kind: string, actor: string | null, text: string, data: Record<string, unknown> = {}) {
    await appendEvents(this.deps.db, id, [{ kind, actor, at: this.now(), text, data }]);
  }

  /** Posts the runbook again, or another one by alert name. */
  async repostRunbook(id: number, actor: string, alertname?: string): Promise<RunbookMatch | null> {
    const match = alertname ? this.deps.runbooks().match(alertname) : null;
    if (alertname && !match) return null;
    await this.commit(async (q) => {
      const inc = await getIncident(q, id, true);
      if (!inc) throw new NotFoundError(`There is no incident INC-${id}.`);
      if (match) {
        const after = { ...inc, runbookSource: match.document.source, runbookId: match.section.id };
        await updateIncident(q, inc, after);
        await appendEvents(q, id, [
          {
            kind: 'runbook',
            actor,
            at: this.now(),
            text: `Runbook: ${match.section.title} (${match.document.source})`,
            data: { source: match.document.source, runbookId: match.section.id },
          },
        ]);
      }
      await enqueue(q, [
        slackOp(inc, 'slack.postRunbook', { alertname: alertname ?? null }),
        slackOp(inc, 'slack.updateHeader'),
      ]);
    });
    return match ?? this.currentRunbook(await this.get(id));
  }

  currentRunbook(inc: Incident): RunbookMatch | null {
    return inc.runbookSource && inc.runbookId ? this.deps.runbooks().section(inc.runbookSource, inc.runbookId) : null;
  }

  async get(id: number): Promise<Incident> {
    const inc = await getIncident(this.deps.db, id);
    if (!inc) throw new NotFoundError(`There is no incident INC-${id}.`);
    return inc;
  }

  byChannel(channelId: string) {
    return getIncidentByChannel(this.deps.db, channelId);
  }

  listOpen() {
    return listOpenIncidents(this.deps.db);
  }

  /** The newest `limit` events (oldest first) and the total count. */
  latestEvents(id: number, limit: number) {
    return listLatestEvents(this.deps.db, id, limit);
  }

  timeline(id: number) {
    return listEvents(this.deps.db, id);
  }

  alerts(id: number) {
    return listAlerts(this.deps.db, id);
  }

  /** Ensures an incident can still change (used by buttons on old messages). */
  static assertOpen(inc: Incident): void {
    if (inc.status === 'resolved') throw new TransitionError(`${incidentRef(inc)} is resolved.`);
  }
}
