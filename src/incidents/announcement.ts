import { z } from 'zod';
import type { Incident } from './model.js';

/**
 * The announcement of an incident (its one message in INCIDENTS_CHANNEL) shows the incident's current state and is
 * edited in place when that state changes. These are the facts it shows; a change to any of them asks for an edit
 * (`slack.announceUpdate`, coalesced: one waiting edit per incident, rendered from the incident row when sent).
 */
export const ANNOUNCED_FIELDS = [
  'title',
  'severity',
  'status',
  'commander',
  'ackedAt',
  'ackedBy',
  'resolvedAt',
  'channelId',
] as const satisfies readonly (keyof Incident)[];

/** Whether a change from `before` to `after` alters what the announcement shows. Pure. */
export function announcementChanged(before: Incident, after: Incident): boolean {
  return ANNOUNCED_FIELDS.some((f) => {
    const a = before[f];
    const b = after[f];
    return a instanceof Date || b instanceof Date
      ? (a as Date | null)?.getTime() !== (b as Date | null)?.getTime()
      : a !== b;
  });
}

/**
 * What a storm incident's announcement says about its scope: "Storm: 120 alert groups in cluster prod-eu /
 * namespace shop" (or "/ 3 namespaces: a, b, c"). The storm domain builds it from its own data and hands it to
 * the Slack side through `IncidentOutboxDeps.stormOf` (src/slack/incident-outbox.ts); nothing here decides what
 * a storm is.
 */
export const AnnouncementStorm = z.object({
  /** Alert groups folded into the storm incident (≥ 0). */
  groups: z.number().int().min(0),
  /** The cluster the storm is keyed on; '' when the storm key has none. */
  cluster: z.string(),
  /** Namespaces seen in the storm, most affected first; [] when the key is the cluster alone. */
  namespaces: z.array(z.string()).default([]),
});
export type AnnouncementStorm = z.infer<typeof AnnouncementStorm>;
