import { PermissionError } from '../errors.js';
import { type Incident, incidentRef, type Status } from '../incidents/model.js';
import type { Queryable } from '../store/db.js';
import { appendEvents, getIncident, setIncidentFields } from '../store/incidents.js';
import { enqueue } from '../store/outbox.js';
import {
  type ComponentStatus,
  IMPACT_BY_SEVERITY,
  type PublishResult,
  type StatusPageProvider,
  StatuspageError,
  StatusUpdate,
  type StatusUpdateInput,
} from './provider.js';

/** Outbox op the sender dispatches to `deliverStatusUpdate`. */
export const STATUSPAGE_PUBLISH_OP = 'statuspage.publish';

/** Commander or comms lead of this incident (or an admin, as decided by the caller's roles file). */
export function canPublish(inc: Pick<Incident, 'commander' | 'commsLead'>, userId: string, isAdmin = false): boolean {
  return isAdmin || (!!userId && (inc.commander === userId || inc.commsLead === userId));
}

/**
 * Throws PermissionError unless `userId` may publish; the message names who can as `@U…` (the Slack reply
 * turns those into mentions, see slack/incident.ts mentionUsers).
 */
export function assertCanPublish(
  inc: Pick<Incident, 'id' | 'commander' | 'commsLead'>,
  userId: string,
  isAdmin = false,
): void {
  if (canPublish(inc, userId, isAdmin)) return;
  const who = [inc.commander && `@${inc.commander} (commander)`, inc.commsLead && `@${inc.commsLead} (comms)`]
    .filter(Boolean)
    .join(' or ');
  throw new PermissionError(
    `Only the commander or comms lead of ${incidentRef(inc)} can publish to the status page${
      who ? `; ask ${who}` : ''
    }, or take the comms role with \`/incident role comms @you\`.`,
    'commander or comms',
  );
}

/** Prefill for a component's status in the modal, from the incident's severity; people adjust it. */
export function defaultComponentStatus(severity: Incident['severity'], status: Status): ComponentStatus {
  if (status === 'resolved') return 'operational';
  return ({ P1: 'major_outage', P2: 'partial_outage', P3: 'degraded_performance', P4: 'operational' } as const)[
    severity
  ];
}

/**
 * The status-page update a Slack status change should offer: same public status, and on resolve every listed
 * component back to operational. The modal shows it prefilled; nothing is published until someone presses Publish.
 */
export function suggestStatusUpdate(
  inc: Incident,
  to: Status,
  body: string,
  components: { id: string; name?: string; status: ComponentStatus }[] = [],
): StatusUpdateInput {
  return {
    incidentRef: incidentRef(inc),
    existingId: inc.statuspageIncidentId,
    title: inc.title,
    status: to,
    body,
    components: components.map((c) => ({ ...c, status: to === 'resolved' ? 'operational' : c.status })),
    impact: IMPACT_BY_SEVERITY[inc.severity],
  };
}

/**
 * Queues a publish (after the role check) with an event on the timeline, in the caller's transaction. One ordering
 * key per incident keeps create-then-update in order; the sender retries retryable failures.
 */
export async function enqueueStatusUpdate(
  q: Queryable,
  inc: Incident,
  input: StatusUpdateInput,
  actor: string,
  now: Date,
  isAdmin = false,
): Promise<StatusUpdate> {
  assertCanPublish(inc, actor, isAdmin);
  const u = StatusUpdate.parse({ ...input, incidentRef: incidentRef(inc) });
  await appendEvents(q, inc.id, [
    {
      kind: 'statuspage',
      actor,
      at: now,
      text: `Status page update queued (${u.status})`,
      data: { phase: 'queued', status: u.status, components: u.components, impact: u.impact ?? null },
    },
  ]);
  await enqueue(q, {
    op: STATUSPAGE_PUBLISH_OP,
    orderingKey: `statuspage:${inc.id}`,
    incidentId: inc.id,
    payload: { update: u, actor },
    // The caller's clock, not the database's, so tests and replays see the same schedule.
    notBefore: now,
  });
  return u;
}

export interface Delivered {
  incident: Incident;
  update: StatusUpdate;
  result: PublishResult;
}

/**
 * Outbox handler: publishes, then stores the provider's incident id and a timeline event. The id is read from the
 * incident at send time, so an update queued before the create finished still PATCHes the same public incident.
 * Throws StatuspageError; `retryable` says whether the sender should retry. Post `update.body` and `result.url`
 * to the channel and #incidents after this returns.
 */
export async function deliverStatusUpdate(
  q: Queryable,
  provider: StatusPageProvider,
  incidentId: number,
  payload: { update: StatusUpdateInput; actor?: string | null },
  now: Date,
): Promise<Delivered> {
  const inc = await getIncident(q, incidentId);
  if (!inc) throw new StatuspageError(`INC-${incidentId} no longer exists; status-page update dropped.`, false);
  const update = StatusUpdate.parse({
    ...payload.update,
    existingId: inc.statuspageIncidentId ?? payload.update.existingId ?? null,
  });
  const result = await provider.publish(update);
  await setIncidentFields(q, inc.id, { statuspageIncidentId: result.id, statuspageUpdatedAt: now });
  await appendEvents(q, inc.id, [
    {
      kind: 'statuspage',
      actor: payload.actor ?? null,
      at: now,
      text: `Status page ${update.existingId ? 'updated' : 'incident created'} (${update.status})${
        result.url ? `: ${result.url}` : ''
      }`,
      data: {
        phase: 'published',
        provider: provider.name,
        statuspageId: result.id,
        url: result.url,
        status: update.status,
      },
    },
  ]);
  return { incident: { ...inc, statuspageIncidentId: result.id, statuspageUpdatedAt: now }, update, result };
}
