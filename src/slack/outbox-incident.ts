import { type Incident, incidentRef } from '../incidents/model.js';
import { PermanentError, RetryableError } from '../outbox/errors.js';
import type { Queryable } from '../store/db.js';
import { getIncident } from '../store/incidents.js';
import type { OutboxRow } from '../store/outbox.js';

/**
 * The incident an outbox row works for. Throws PermanentError when the row names none or it no longer exists
 * (retrying would never help).
 */
export async function incidentOfRow(db: Queryable, row: OutboxRow): Promise<Incident> {
  const inc = row.incidentId ? await getIncident(db, row.incidentId) : null;
  if (!inc) throw new PermanentError(`incident ${row.incidentId} not found`);
  return inc;
}

/** The incident's channel id. Throws RetryableError while the channel is not created yet (the row waits). */
export function channelOf(inc: Incident): string {
  if (!inc.channelId) throw new RetryableError(`${incidentRef(inc)} has no channel yet`);
  return inc.channelId;
}
