import { followupsFromEvents } from '../incidents/followups.js';
import {
  code,
  eventMarkdown,
  formatDate,
  formatMinutes,
  formatTime,
  formatUtc,
  mention,
  slackToMarkdown,
  table,
  type UserName,
} from '../incidents/markdown.js';
import { durations, type Incident, incidentRef } from '../incidents/model.js';
import type { TimelineEvent } from '../incidents/timeline.js';
import { type AlertLike, fillTemplate, knownValues, stripFence, type TemplateLike } from '../statuspage/template.js';

/**
 * Postmortem draft in Markdown. Pure: everything comes in (incident, events, alerts, `now`), a string goes out.
 * What the record knows is written out; what only people know is left as `_[TODO: ...]_` prompts.
 */

export interface DiagnosticRun {
  at: Date;
  actor: string | null;
  command: string;
  executor: string;
  ok: boolean;
  /** The result in one line ("3 pods not ready", "connection refused"); null for older records. */
  summary: string | null;
  outputSha256: string | null;
}

export interface PostmortemInput {
  incident: Incident;
  events: TimelineEvent[];
  alerts: AlertLike[];
  /** Default: the incident's events of kind 'diagnostic'. */
  diagnostics?: DiagnosticRun[];
  /** Extra people (e.g. channel members who never acted), as Slack user ids. */
  participants?: string[];
  /** The runbook's post-incident template; null uses the default one. */
  template: TemplateLike | null;
  now: Date;
  userName?: UserName;
}

export interface Participant {
  id: string;
  name: string;
  roles: string[];
}

/** Shipped when the runbook has no post-incident template. */
export const DEFAULT_POSTMORTEM_TEMPLATE: TemplateLike = {
  line: 0,
  fields: ['root_cause', 'resolution', 'went_well', 'improve', 'action_items'],
  text: `## Root cause
[What caused the incident, and what allowed it to happen]

## Resolution
[What stopped the impact, and what made it permanent]

## What went well
[Detection, tooling, people: what helped]

## What could be improved
[What slowed the response or made it harder]

## Action items
- [ ] [Action that prevents a repeat, with an owner and a due date]
`,
};

const prompt = (hint: string) => `_[TODO: ${hint.replace(/[_[\]]/g, '')}]_`;

/** Diagnostics from 'diagnostic' events (data: { command, executor, ok, outputSha256 }). */
export function diagnosticsFromEvents(events: TimelineEvent[]): DiagnosticRun[] {
  return events
    .filter((e) => e.kind === 'diagnostic')
    .map((e) => ({
      at: e.at,
      actor: e.actor,
      command: String(e.data.command ?? e.text),
      executor: String(e.data.executor ?? 'other'),
      ok: e.data.ok !== false,
      summary:
        typeof e.data.summary === 'string' ? e.data.summary : typeof e.data.error === 'string' ? e.data.error : null,
      // A failed run has no output worth a hash (older rows stored the hash of the empty string).
      outputSha256: e.data.ok !== false && typeof e.data.outputSha256 === 'string' ? e.data.outputSha256 : null,
    }));
}

/** Everyone who acted or held a role: commander, comms, scribe first, then in order of first appearance. */
export function participantsOf(input: Pick<PostmortemInput, 'incident' | 'events' | 'participants' | 'userName'>) {
  const { incident: inc, userName } = input;
  const byId = new Map<string, Set<string>>();
  const add = (id: string | null | undefined, role?: string) => {
    if (!id || !/^[UW][A-Z0-9]+$/.test(id)) return;
    const roles = byId.get(id) ?? new Set<string>();
    if (role) roles.add(role);
    byId.set(id, roles);
  };
  add(inc.commander, 'commander');
  add(inc.commsLead, 'comms');
  add(inc.scribe, 'scribe');
  for (const e of input.events) {
    if (e.kind === 'declared') add(e.actor, 'declared');
    else if (e.kind === 'acknowledged') add(e.actor, 'acknowledged');
    else if (e.kind === 'resolved') add(e.actor, 'resolved');
    else if (e.kind === 'diagnostic') add(e.actor, 'ran diagnostics');
    else add(e.actor);
    // Roles held earlier but handed over still count.
    if (e.kind === 'role' && typeof e.data.user === 'string') add(e.data.user, String(e.data.role ?? ''));
  }
  if (inc.ackedBy) add(inc.ackedBy, 'acknowledged');
  for (const p of input.participants ?? []) add(p);
  return [...byId].map(
    ([id, roles]): Participant => ({ id, name: mention(id, userName).slice(1), roles: [...roles].filter(Boolean) }),
  );
}

/**
 * Events that record a decision or a result: status, severity, roles, updates, escalations, diagnostics,
 * status-page publishes, follow-ups. Clicks, refusals and queued work are how the decisions were made; they stay
 * in `incidents export --format json`.
 */
export function isDecision(e: TimelineEvent): boolean {
  if (e.kind === 'click' || e.kind === 'denied' || e.kind === 'postmortem') return false;
  if (e.kind === 'statuspage') return e.data.phase !== 'queued';
  return true;
}

function timeFmt(inc: Incident, events: TimelineEvent[]): (d: Date) => string {
  const day = formatDate(inc.startedAt);
  const oneDay = events.every((e) => formatDate(e.at) === day);
  return oneDay ? formatTime : (d) => `${formatDate(d)} ${formatTime(d)}`;
}

/** The runbook's template (or the default), headings shifted under ours, known fields filled, the rest prompts. */
function templateSections(input: PostmortemInput, known: Record<string, string | null>): string {
  const tpl = input.template?.text.trim() ? input.template : DEFAULT_POSTMORTEM_TEMPLATE;
  const lines = stripFence(tpl.text).split('\n');
  const levels = lines.map((l) => /^(#{1,6})\s/.exec(l)?.[1]?.length ?? 0).filter((n) => n > 0);
  const shift = levels.length ? 3 - Math.min(...levels) : 0;
  const out: string[] = [];
  let skipping = false;
  let skipLevel = 0;
  for (const line of lines) {
    const h = /^(#{1,6})(\s+)(.*)$/.exec(line);
    if (h) {
      const level = h[1]!.length;
      if (skipping && level <= skipLevel) skipping = false;
      if (!skipping) {
        out.push(`${'#'.repeat(Math.min(6, Math.max(1, level + shift)))}${h[2]}${h[3]}`);
        // Sample timelines in templates are examples; the real one is above.
        if (/timeline|participants|alerts fired/i.test(h[3]!)) {
          out.push('', '_See the timeline, participants and alerts above._', '');
          skipping = true;
          skipLevel = level;
        }
      }
      continue;
    }
    if (!skipping) out.push(line);
  }
  return fillTemplate(out.join('\n'), known, { onMissing: ({ hint }) => prompt(hint) })
    .text.replace(/\n{3,}/g, '\n\n')
    .trim();
}

export function renderPostmortem(input: PostmortemInput): string {
  const { incident: inc, events, alerts, now, userName } = input;
  const md = (s: string) => slackToMarkdown(s, userName);
  const who = (id: string | null) => (id ? mention(id, userName) : '—');
  const when = (d: Date | null) => (d ? formatUtc(d) : '—');
  const t = timeFmt(inc, events);
  const d = durations(inc);
  const diagnostics = input.diagnostics ?? diagnosticsFromEvents(events);
  const participants = participantsOf(input);
  const known = knownValues({ incident: inc, events, alerts, now, userName });
  const out: string[] = [];

  out.push(`# Postmortem: ${incidentRef(inc)} ${inc.title}`, '');
  out.push(
    `_Draft generated by incident-bot at ${formatUtc(now)}${inc.resolvedAt ? '' : ' while the incident is still open'}. Replace each TODO before sharing._`,
    '',
  );
  out.push(
    table(
      ['Field', 'Value'],
      [
        ['Severity', inc.severity],
        ['Status', inc.status],
        ['Started', when(inc.startedAt)],
        ['Acknowledged', inc.ackedAt ? `${when(inc.ackedAt)} by ${who(inc.ackedBy)}` : '—'],
        ['Mitigated', when(inc.mitigatedAt)],
        ['Resolved', when(inc.resolvedAt)],
        ['Commander', who(inc.commander)],
        ['Comms', who(inc.commsLead)],
        ['Runbook', inc.runbookSource ? `${inc.runbookSource}${inc.runbookId ? `#${inc.runbookId}` : ''}` : '—'],
        ['Channel', inc.channelName ? `#${inc.channelName}` : '—'],
      ],
    ),
    '',
  );

  out.push('## Summary', '');
  const opened = `${inc.severity} incident declared ${formatUtc(inc.startedAt)} (${inc.source})`;
  const closed = inc.resolvedAt
    ? `, resolved ${formatUtc(inc.resolvedAt)} after ${formatMinutes(d.toResolve)}`
    : `, open for ${known.duration}`;
  out.push(`${opened}${closed}.`, '');
  known.resolution = inc.summary;
  known.summary = inc.description ?? `${opened}${closed}.`;
  if (inc.description) out.push(md(inc.description), '');
  out.push(
    inc.summary ? `Resolution: ${md(inc.summary)}` : prompt('1-2 sentences: what happened and how it ended'),
    '',
  );

  out.push('## Impact', '');
  out.push(`- Affected: ${known.affected ?? prompt('services or components affected')}`);
  out.push(`- Customer impact: ${prompt('who was affected, how many, for how long')}`);
  const published = events.filter((e) => e.kind === 'statuspage' && e.data.phase === 'published');
  if (inc.statuspageIncidentId) {
    const url = [...published].reverse().find((e) => typeof e.data.url === 'string')?.data.url as string | undefined;
    out.push(
      `- Status page: ${url ?? inc.statuspageIncidentId}, ${published.length} update${published.length === 1 ? '' : 's'} published`,
    );
  } else out.push('- Status page: not published');
  out.push('');

  out.push('## Durations', '');
  const dur = (m: number | null) => formatMinutes(m) ?? 'not yet';
  out.push(
    table(
      ['Measure', 'Duration'],
      [
        ['Time to acknowledge', dur(d.toAcknowledge)],
        ['Time to mitigate', dur(d.toMitigate)],
        ['Time to resolve', dur(d.toResolve)],
      ],
    ),
    '',
  );

  out.push('## Participants', '');
  if (participants.length)
    for (const p of participants) out.push(`- @${p.name}${p.roles.length ? ` (${p.roles.join(', ')})` : ''}`);
  else out.push('- nobody recorded');
  out.push('');

  out.push('## Alerts', '');
  if (alerts.length) {
    out.push(
      table(
        ['Alert', 'Severity', 'Status', 'Fired (UTC)', 'Resolved (UTC)', 'Labels'],
        alerts.map((a) => [
          a.alertname,
          a.severity ?? '—',
          a.status,
          a.startsAt ? formatUtc(a.startsAt) : '—',
          a.endsAt && a.status === 'resolved' ? formatUtc(a.endsAt) : '—',
          Object.entries(a.labels)
            .filter(([k]) => k !== 'alertname')
            .map(([k, v]) => `${k}=${v}`)
            .join(', ') || '—',
        ]),
      ),
    );
  } else out.push('No alerts: declared by hand.');
  out.push('');

  out.push('## Diagnostics run', '');
  if (diagnostics.length) {
    out.push(
      table(
        ['Time (UTC)', 'Command', 'By', 'Result'],
        diagnostics.map((x) => [
          t(x.at),
          code(x.command),
          who(x.actor),
          `${x.ok ? 'ok' : 'failed'}${x.summary ? `: ${x.summary}` : ''}`,
        ]),
      ),
    );
  } else out.push('No diagnostics were run from Slack.');
  out.push('');

  const followups = followupsFromEvents(events);
  out.push('## Follow-ups', '');
  if (followups.length) {
    out.push(
      table(
        ['Owner', 'Action item', 'Recorded'],
        followups.map((f) => [who(f.owner), f.text, `${t(f.at)} by ${who(f.actor)}`]),
      ),
    );
  } else out.push('None recorded yet: `/incident followup @owner <text>` adds one.');
  out.push('');

  const decisions = events.filter(isDecision);
  out.push('## Timeline', '');
  out.push(
    table(
      ['Time (UTC)', 'Who', 'Event'],
      decisions.map((e) => [t(e.at), e.actor ? who(e.actor) : 'incident-bot', eventMarkdown(e, userName)]),
    ),
    '',
  );
  if (decisions.length < events.length) {
    const n = events.length - decisions.length;
    out.push(
      `_${n === 1 ? 'One click or queued step' : `${n} clicks and queued steps`} left out; \`incident-bot incidents export ${inc.id} --format json\` has every event._`,
      '',
    );
  }

  out.push(
    `## Review${input.template?.text.trim() ? ' (from the runbook’s post-incident template)' : ''}`,
    '',
    templateSections(input, known),
    '',
  );
  return out.join('\n');
}
