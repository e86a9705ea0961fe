import { z } from 'zod';
import { UserFacingError } from '../errors.js';
import { Status } from '../incidents/model.js';

/** Public incident status: status pages use the incident's own words (incidents/model.ts `Status`). */
export const StatusPageStatus = Status;
export type StatusPageStatus = Status;

export const ComponentStatus = z.enum(['operational', 'degraded_performance', 'partial_outage', 'major_outage']);
export type ComponentStatus = z.infer<typeof ComponentStatus>;

export const Impact = z.enum(['none', 'minor', 'major', 'critical']);
export type Impact = z.infer<typeof Impact>;

/** A status-page component (a service customers see). */
export const Component = z.object({
  id: z.string().min(1),
  name: z.string(),
  status: ComponentStatus,
  description: z.string().nullable().optional(),
});
export type Component = z.infer<typeof Component>;

/** Log fields for an update's incident: its reference ("INC-3") and, like every incident's log line, `incidentId`. */
export function incidentLogFields(incidentRef: string): { incident: string; incidentId?: number } {
  const id = /^INC-(\d+)$/.exec(incidentRef)?.[1];
  return id ? { incident: incidentRef, incidentId: Number(id) } : { incident: incidentRef };
}

/** One publish: creates the public incident when `existingId` is null, else updates it. */
export const StatusUpdate = z.object({
  incidentRef: z.string().min(1),
  existingId: z.string().min(1).nullable(),
  title: z.string().trim().min(1, 'a status-page incident needs a title').max(255),
  status: StatusPageStatus,
  body: z.string().trim().min(1, 'a status-page update needs some text').max(25_000),
  components: z
    .array(z.object({ id: z.string().min(1), name: z.string().optional(), status: ComponentStatus }))
    .default([]),
  impact: Impact.optional(),
});
export type StatusUpdate = z.infer<typeof StatusUpdate>;
export type StatusUpdateInput = z.input<typeof StatusUpdate>;

export interface PublishResult {
  /** The provider's incident id: store it as `statuspageIncidentId` and pass it back as `existingId`. */
  id: string;
  /** Public link to the incident, when the provider has one. */
  url: string | null;
}

/** A status page we can publish to. Add a provider by implementing this and registering it in index.ts. */
export interface StatusPageProvider {
  readonly name: string;
  publish(u: StatusUpdate): Promise<PublishResult>;
  components?(): Promise<Component[]>;
}

/**
 * A failed status-page call. `retryable` tells the outbox sender whether to try again (5xx, 429, network) or to
 * give up and show `message` to the person who pressed Publish (4xx: the request itself is wrong).
 */
export class StatuspageError extends UserFacingError {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status: number | null = null,
    /** Milliseconds the provider asked us to wait (Retry-After), when it said. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message, retryable ? 'statuspage_unavailable' : 'statuspage_rejected', { status, retryable });
  }
}

/** Public impact by severity, used when the person publishing did not pick one. */
export const IMPACT_BY_SEVERITY: Record<string, Impact> = { P1: 'critical', P2: 'major', P3: 'minor', P4: 'none' };
