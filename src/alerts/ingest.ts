import type { Config } from '../config.js';
import { declare, type EventDraft, type Incident, type Severity, setSeverity } from '../incidents/model.js';
import { type IncidentService, type RunbookLookup, slackOp } from '../incidents/service.js';
import { esc } from '../slack/render/text.js';
import { insertNotification, linkNotification, listAlerts, upsertAlert } from '../store/alerts.js';
import type { Db, Queryable } from '../store/db.js';
import { appendEvents, getOpenIncidentByGroup, insertIncident, updateIncident } from '../store/incidents.js';
import { enqueue, type OutboxDraft } from '../store/outbox.js';
import { insertTimers } from '../store/timers.js';
import { type AlertmanagerWebhook, type AmAlert, fingerprintOf, groupKeyOf, parseAmTime } from './alertmanager.js';
import { maxSeverity, severityFromLabels } from './severity.js';

/** What one notification did, as answered to the sender. */
export interface IngestResult {
  notificationId: number;
  incidents: { id: number; created: boolean }[];
  digest: number;
  newAlerts: number;
  resolvedAlerts: number;
}

export interface AlertIngestDeps {
  db: Db;
  config: Config;
  service: IncidentService;
  runbooks: () => RunbookLookup;
  /** Wakes the outbox sender after a commit. */
  kick?: () => void;
  now?: () => Date;
}

/**
 * Alert intake: stores each notification and its alerts, opens or joins incidents by group and queues
 * the Slack work, committing before the sender gets its 2xx.
 */
export class AlertIngest {
  private readonly now: () => Date;
  constructor(private readonly deps: AlertIngestDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  private async commit<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    const out = await this.deps.db.tx(fn);
    this.deps.kick?.();
    return out;
  }

  /**
   * Takes one Alertmanager notification: stores it and every alert, opens or joins incidents by
   * group, and queues the Slack work — all in one transaction, so a 2xx means nothing is lost.
   */
  async ingest(payload: AlertmanagerWebhook, raw: unknown): Promise<IngestResult> {
    const now = this.now();
    const byGroup = new Map<string, AmAlert[]>();
    for (const a of payload.alerts) {
      const key = groupKeyOf(payload, a);
      byGroup.set(key, [...(byGroup.get(key) ?? []), a]);
    }
    return this.commit(async (q) => {
      const firstKey = byGroup.keys().next().value as string;
      const notificationId = await insertNotification(q, {
        receivedAt: now,
        groupKey: firstKey,
        status: payload.status,
        payload: raw,
      });
      const result: IngestResult = { notificationId, incidents: [], digest: 0, newAlerts: 0, resolvedAlerts: 0 };
      for (const [groupKey, alerts] of byGroup) await this.ingestGroup(q, payload, groupKey, alerts, now, result);
      return result;
    });
  }

  private async ingestGroup(
    q: Queryable,
    payload: AlertmanagerWebhook,
    groupKey: string,
    alerts: AmAlert[],
    now: Date,
    result: IngestResult,
  ): Promise<void> {
    const map = this.deps.config.SEVERITY_MAP;
    const firing = alerts.filter((a) => a.status === 'firing');
    let inc = await getOpenIncidentByGroup(q, groupKey, true);
    let created = false;
    if (!inc) {
      if (!firing.length) {
        // Resolved alerts of a group we have no open incident for: keep them, announce nothing.
        for (const a of alerts) await upsertAlert(q, this.alertInput(a, null, groupKey, map), now);
        return;
      }
      const severity = maxSeverity(
        firing.map((a) => severityFromLabels({ ...payload.commonLabels, ...a.labels }, map)),
      );
      if (severity === 'P4' && this.deps.config.INFO_TO_DIGEST) {
        result.digest += await this.digest(q, groupKey, firing, map, now);
        return;
      }
      const lead = firing[0]!;
      const labels = { ...payload.commonLabels, ...lead.labels };
      const annotations = { ...payload.commonAnnotations, ...lead.annotations };
      const match = this.deps.runbooks().match(lead.labels.alertname!, labels, annotations);
      const { incident, events } = declare(
        {
          title: alertTitle(lead, annotations),
          severity,
          source: 'alert',
          groupKey,
          description: annotations.description ?? null,
          runbookSource: match?.document.source ?? null,
          runbookId: match?.section.id ?? null,
          labels,
        },
        now,
      );
      inc = await insertIncident(q, incident);
      if (inc) {
        created = true;
        await this.deps.service.opened(q, inc, events, match, {
          inviteUsers: [],
          alertname: lead.labels.alertname,
          team: labels.team ?? labels.service,
        });
      } else {
        // Another replica opened it between our read and insert: join that one.
        inc = await getOpenIncidentByGroup(q, groupKey, true);
        if (!inc) throw new Error(`incident for group ${groupKey} vanished`);
      }
    }
    result.incidents.push({ id: inc.id, created });
    await linkNotification(q, result.notificationId, inc.id);
    await this.applyAlerts(q, inc, alerts, groupKey, created, now, result);
  }

  private alertInput(a: AmAlert, incidentId: number | null, groupKey: string, map: Record<string, string>) {
    return {
      incidentId,
      groupKey,
      fingerprint: fingerprintOf(a),
      alertname: a.labels.alertname!,
      status: a.status,
      severity: severityFromLabels(a.labels, map),
      labels: a.labels,
      annotations: a.annotations,
      startsAt: parseAmTime(a.startsAt),
      endsAt: parseAmTime(a.endsAt),
      generatorUrl: a.generatorURL || null,
    };
  }

  private async applyAlerts(
    q: Queryable,
    inc: Incident,
    alerts: AmAlert[],
    groupKey: string,
    created: boolean,
    now: Date,
    result: IngestResult,
  ): Promise<void> {
    const map = this.deps.config.SEVERITY_MAP;
    const events: EventDraft[] = [];
    const posts: OutboxDraft[] = [];
    for (const a of alerts) {
      const { row, previousStatus } = await upsertAlert(q, this.alertInput(a, inc.id, groupKey, map), now);
      if (previousStatus === row.status) continue; // redelivery or repeat: nothing new
      if (previousStatus === null && row.status === 'resolved') continue;
      const scope = { alertname: row.alertname, fingerprint: row.fingerprint, labels: row.labels };
      if (row.status === 'firing') {
        result.newAlerts++;
        events.push({
          kind: 'alert_fired',
          actor: null,
          at: now,
          text: `Alert ${esc(row.alertname)} firing`,
          data: scope,
        });
        if (!created || previousStatus === 'resolved')
          posts.push(slackOp(inc, 'slack.alertChange', { kind: 'fired', alertId: row.id }));
      } else {
        result.resolvedAlerts++;
        events.push({
          kind: 'alert_resolved',
          actor: null,
          at: now,
          text: `Alert ${esc(row.alertname)} resolved`,
          data: scope,
        });
        posts.push(slackOp(inc, 'slack.alertChange', { kind: 'resolved', alertId: row.id }));
      }
    }
    if (!events.length) return;
    await appendEvents(q, inc.id, events);
    const all = await listAlerts(q, inc.id);
    const allResolved = all.length > 0 && all.every((x) => x.status === 'resolved');
    let after = inc;
    if (allResolved && !inc.alertsResolvedAt) {
      after = await updateIncident(q, inc, { ...inc, alertsResolvedAt: now });
      posts.push(slackOp(inc, 'slack.allResolved'));
      const quiet = this.deps.config.AUTO_RESOLVE_MINUTES;
      if (quiet > 0 && inc.status !== 'resolved') await scheduleAutoResolve(q, inc.id, now, quiet);
    } else if (!allResolved && inc.alertsResolvedAt) {
      after = await updateIncident(q, inc, { ...inc, alertsResolvedAt: null });
    }
    // A more severe alert joining raises the incident's severity.
    const firingSev = all.filter((x) => x.status === 'firing').map((x) => (x.severity ?? 'P3') as Severity);
    if (firingSev.length && inc.status !== 'resolved') {
      const top = maxSeverity(firingSev);
      if (top < after.severity) {
        const change = setSeverity(after, top, null, now);
        after = await updateIncident(q, after, change.incident);
        await appendEvents(q, inc.id, change.events);
        await this.deps.service.changedIn(q, inc, after, change.events);
      }
    }
    // A new incident's header is posted after this with fresh data; refreshing it would be a wasted call.
    await enqueue(q, created ? posts : [...posts, slackOp(inc, 'slack.updateHeader')]);
    await this.deps.service.changedIn(q, inc, after, events);
  }

  /** P4/info alerts: one digest line in #incidents per alert start, not a channel. */
  private async digest(
    q: Queryable,
    groupKey: string,
    firing: AmAlert[],
    map: Record<string, string>,
    now: Date,
  ): Promise<number> {
    let n = 0;
    for (const a of firing) {
      const { row, previousStatus } = await upsertAlert(q, this.alertInput(a, null, groupKey, map), now);
      if (previousStatus === 'firing') continue;
      n += await enqueue(q, {
        op: 'slack.digest',
        orderingKey: `chan:${this.deps.config.INCIDENTS_CHANNEL}`,
        payload: { alertId: row.id },
        dedupeKey: `digest:${row.fingerprint}:${row.startsAt?.toISOString() ?? row.firstSeenAt.toISOString()}`,
      });
    }
    return n;
  }
}

function alertTitle(a: AmAlert, annotations: Record<string, string>): string {
  const summary = annotations.summary ?? annotations.title;
  if (summary) return summary.slice(0, 200);
  const scope = a.labels.namespace ?? a.labels.service ?? a.labels.job;
  return `${a.labels.alertname}${scope ? ` in ${scope}` : ''}`;
}

/** AUTO_RESOLVE_MINUTES: resolve when every alert stays resolved this long (the worker checks again when it fires). */
async function scheduleAutoResolve(q: Queryable, incidentId: number, now: Date, minutes: number): Promise<void> {
  await insertTimers(q, incidentId, [
    {
      kind: 'auto_resolve' as never,
      afterMinutes: minutes,
      dueAt: new Date(now.getTime() + minutes * 60_000),
      target: null,
      severity: null,
      condition: 'every alert stays resolved',
      text: `Auto-resolve: all alerts resolved for ${minutes} minutes`,
      cancelOn: 'resolve',
      source: 'alerts' as never,
      data: { alertsResolvedAt: now.toISOString() },
    },
  ]);
}
