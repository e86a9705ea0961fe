import { NotFoundError, ValidationError } from '../errors.js';
import { followupsFromEvents } from '../incidents/followups.js';
import type { UserName } from '../incidents/markdown.js';
import { durations, incidentRef } from '../incidents/model.js';
import type { RunbookLookup } from '../runbooks/lookup.js';
import type { AlertLike, TemplateLike } from '../statuspage/template.js';
import { listAlerts } from '../store/alerts.js';
import type { Queryable } from '../store/db.js';
import { getIncident, listEvents } from '../store/incidents.js';
import { diagnosticsFromEvents, type PostmortemInput, participantsOf, renderPostmortem } from './render.js';

export type ExportFormat = 'md' | 'json';

/** `incidents export ID --format json`: the record as data, for tooling and archives. */
export function exportIncidentJson(input: PostmortemInput) {
  const diagnostics = input.diagnostics ?? diagnosticsFromEvents(input.events);
  return {
    incident: { ref: incidentRef(input.incident), ...input.incident },
    durations: durations(input.incident),
    participants: participantsOf(input),
    alerts: input.alerts,
    timeline: input.events.map((e) => ({ at: e.at, actor: e.actor, kind: e.kind, text: e.text, data: e.data })),
    diagnostics,
    followups: followupsFromEvents(input.events),
  };
}

/** The postmortem draft (md) or the record (json) as a string; dates in JSON are ISO 8601 UTC. */
export function exportIncident(input: PostmortemInput, format: ExportFormat): string {
  if (format === 'md') return renderPostmortem(input);
  if (format === 'json') return `${JSON.stringify(exportIncidentJson(input), null, 2)}\n`;
  throw new ValidationError(`Unknown export format "${format}"; use md or json.`, 'format');
}

export interface LoadExportOptions {
  /** The lead's alerts store: alerts linked to the incident. */
  alerts?: (q: Queryable, incidentId: number) => Promise<AlertLike[]>;
  /** The runbook's post-incident template for this incident, when the runbook has one. */
  template?: TemplateLike | null;
  now: Date;
  userName?: PostmortemInput['userName'];
}

/** Reads what an export needs from the store; NotFoundError names the missing incident. */
export async function loadExportInput(q: Queryable, id: number, opts: LoadExportOptions): Promise<PostmortemInput> {
  const incident = await getIncident(q, id);
  if (!incident) throw new NotFoundError(`INC-${id} does not exist.`);
  return {
    incident,
    events: await listEvents(q, id),
    alerts: opts.alerts ? await opts.alerts(q, id) : [],
    template: opts.template ?? null,
    now: opts.now,
    userName: opts.userName,
  };
}

/**
 * The postmortem (md) or record (json) of incident `id`, read from the store, with the post-incident
 * template of the runbook the incident runs on when `runbooks` is given. What `/incident postmortem`
 * posts and `incident-bot incidents export` prints. NotFoundError when there is no such incident.
 */
export async function exportFromStore(
  db: Queryable,
  id: number,
  opts: { format?: ExportFormat; runbooks?: RunbookLookup | null; now?: Date; userName?: UserName } = {},
): Promise<string> {
  const input = await loadExportInput(db, id, {
    alerts: (q, incidentId) => listAlerts(q, incidentId),
    now: opts.now ?? new Date(),
    userName: opts.userName,
  });
  const inc = input.incident;
  const match = inc.runbookSource && inc.runbookId ? opts.runbooks?.section(inc.runbookSource, inc.runbookId) : null;
  return exportIncident({ ...input, template: match?.document.templates.postIncident ?? null }, opts.format ?? 'md');
}
