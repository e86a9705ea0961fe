import { createHash } from 'node:crypto';
import { lookup, valuesFromLabels } from '../../diagnostics/placeholders.js';
import type { ScheduledTimer } from '../../escalation/setup.js';
import type { Incident } from '../../incidents/model.js';
import { normalizeAlertName } from '../../runbooks/match.js';
import type { Command, RunbookDocument, RunbookSection } from '../../runbooks/schema.js';
import { shortMinutes } from '../../time-phrases.js';
import {
  type Block,
  button,
  chunkBlocks,
  codeBlock,
  context,
  divider,
  esc,
  header,
  LIMITS,
  SEVERITY_EMOJI,
  type SlackMessage,
  section,
  truncate,
} from './text.js';

const RISK_BADGE: Record<Command['risk'], string> = {
  read: ':mag: read-only',
  write: ':warning: changes the system',
  exec: ':no_entry: runs a shell in a workload',
  destructive: ':no_entry_sign: destructive',
};

/** Button value for "Run": small, and enough to find the command again after a restart. */
export function runValue(incidentId: number, source: string, commandId: string): string {
  return JSON.stringify({ i: incidentId, s: source, c: commandId });
}

export const blockIdFor = (commandId: string) =>
  commandId.length <= 200 ? `cmd:${commandId}` : `cmd:${createHash('sha1').update(commandId).digest('hex')}`;

/** "Acknowledge within 5 min", "Escalate to Senior Engineer at +15 min (if root cause not identified)". */
/** A timer as the runbook message lists it (escalation/setup.ts). */
export type ShownTimer = ScheduledTimer;

export function describeTimer(t: ShownTimer): string {
  const at = `+${shortMinutes(t.afterMinutes)}`;
  const cond = t.condition ? ` (if ${esc(t.condition)})` : '';
  const who = t.target ? ` to ${esc(t.target)}` : '';
  switch (t.kind) {
    case 'acknowledge':
      return `Acknowledge within ${shortMinutes(t.afterMinutes)}`;
    case 'escalate':
      return `Escalates${who} at ${at}${cond}`;
    case 'resolve':
      return `Resolve within ${shortMinutes(t.afterMinutes)}${cond}`;
    case 'update':
      return `Status update every ${shortMinutes(t.afterMinutes)}`;
    case 'declare':
      return `Declare${who} at ${at}${cond}`;
    default:
      return `${esc(truncate(t.text, 120))} (${at})`;
  }
}

/**
 * The command as the responder should read it: placeholders an alert label answers are filled in
 * (`kubectl get pod checkout-7d9f -n shop`); the others stay as written and are listed as still to fill.
 */
export function fillFromLabels(cmd: Pick<Command, 'text' | 'placeholders'>, labels: Record<string, string>) {
  const values = valuesFromLabels(labels);
  const missing: string[] = [];
  let text = cmd.text;
  for (const p of cmd.placeholders) {
    const name = p.replace(/^[<$]\{?|[>}]$/g, '').replace(/[:%#/].*$/, '');
    const v = lookup(values, name);
    // Only plain values go into the displayed command; anything else is left for the Run dialog to validate.
    if (v !== undefined && /^[A-Za-z0-9._:/=@+-]{1,200}$/.test(v) && !v.startsWith('-')) text = text.split(p).join(v);
    else missing.push(p);
  }
  return { text, missing };
}

function commandBlocks(cmd: Command, incidentId: number, source: string, labels: Record<string, string> = {}): Block[] {
  const filled = fillFromLabels(cmd, labels);
  const code = codeBlock(filled.text, 2800);
  const blockId = blockIdFor(cmd.id);
  const still = filled.missing.length
    ? [
        context(
          `:pencil2: To fill in: ${filled.missing
            .slice(0, 8)
            .map((p) => `\`${esc(p)}\``)
            .join(', ')}${cmd.runnable ? ' (asked for on Run)' : ''}`,
        ),
      ]
    : [];
  if (cmd.runnable && cmd.risk === 'read') {
    return [
      section(code, {
        block_id: blockId,
        accessory: button('▶ Run', 'diag_run', runValue(incidentId, source, cmd.id), 'primary'),
      }),
      ...still,
    ];
  }
  if (cmd.runnable && cmd.risk === 'write') {
    return [
      section(code, {
        block_id: blockId,
        accessory: button('Run… (operator)', 'diag_write', runValue(incidentId, source, cmd.id), 'danger'),
      }),
      context(`${RISK_BADGE.write}: needs the operator role and a confirmation.`),
      ...still,
    ];
  }
  return [
    section(code, { block_id: blockId }),
    context(`${RISK_BADGE[cmd.risk]} · not runnable from Slack: ${esc(cmd.reason)}`),
    ...still,
  ];
}

export interface RenderRunbookOptions {
  /** The timers scheduled for this incident from the runbook (or the configured defaults). */
  timers: ShownTimer[];
  /** The incident's lead alert: its labels fill placeholders, its runbook_url becomes a link button. */
  alert?: { alertname: string | null; labels: Record<string, string>; annotations: Record<string, string> };
}

/** A link button to the alert's own runbook_url, whether or not it names a loaded file. */
function runbookUrlBlock(url: string | undefined): Block[] {
  if (!url || !/^https?:\/\/\S+$/.test(url)) return [];
  return [
    {
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: '🔗 Open runbook_url', emoji: true },
          action_id: 'runbook_url_open',
          url: url.slice(0, 3000),
        },
      ],
    } as Block,
  ];
}

/**
 * When the section does not name the alert and was picked as the severity procedure, say so plainly and offer
 * another pick.
 */
function fallbackNotice(sec: RunbookSection, source: string, incidentId: number, alertname: string | null): Block[] {
  if (!alertname || sec.kind !== 'severity') return [];
  const key = normalizeAlertName(alertname);
  if (sec.alerts.some((a) => normalizeAlertName(a) === key)) return [];
  return [
    section(
      `:information_source: No runbook names \`${esc(alertname)}\`; showing the general ${sec.severity ?? ''} procedure from \`${esc(source)}\`.`.replace(
        '  ',
        ' ',
      ),
      { accessory: button('Pick another runbook', 'incident_pick_runbook', String(incidentId)) },
    ),
  ];
}

/**
 * A runbook section as Block Kit messages: the first is posted in the channel, the rest go in its
 * thread, so a long runbook is split instead of failing on the 50-block limit. Pure.
 */
export function renderRunbook(
  sec: RunbookSection,
  doc: Pick<RunbookDocument, 'source' | 'title'>,
  inc: Pick<Incident, 'id' | 'severity'>,
  opts: RenderRunbookOptions,
): SlackMessage[] {
  const top: Block[] = [header(`📖 ${sec.title}`)];
  const facts = [`From \`${esc(doc.source)}\``];
  // The incident's severity is the alert's; a runbook written for another one says so, not a second "severity".
  if (sec.severity && sec.severity !== inc.severity)
    facts.push(`Written for ${sec.severity} (this incident is ${SEVERITY_EMOJI[inc.severity] ?? ''} ${inc.severity})`);
  if (sec.alerts.length) facts.push(`Alerts: ${sec.alerts.slice(0, 8).map(esc).join(', ')}`);
  top.push(context(...facts));
  top.push(...fallbackNotice(sec, doc.source, inc.id, opts.alert?.alertname ?? null));
  top.push(...runbookUrlBlock(opts.alert?.annotations.runbook_url));
  if (sec.condition) top.push(context(`Fires when: \`${esc(truncate(sec.condition, 500))}\``));
  if (sec.summary) top.push(section(esc(truncate(sec.summary, 1500))));
  if (opts.timers.length) {
    top.push(
      section(
        `:alarm_clock: *Response clock*\n${opts.timers
          .slice(0, 12)
          .map((t) => `• ${describeTimer(t)}`)
          .join('\n')}`,
      ),
    );
  }

  const body: Block[] = [];
  sec.steps.forEach((step, i) => {
    body.push(divider());
    // Runbooks number their own steps ("1. Check", "Step 2:"); we number them once.
    const bare = step.title.replace(/^\s*(?:step\s*)?\d+[.):]?\s*/i, '') || step.title;
    const title = `*${i + 1}. ${esc(truncate(bare, 200))}*`;
    const text = step.text ? `\n${esc(step.text)}` : '';
    body.push(section(truncate(`${title}${text}`, LIMITS.sectionText)));
    for (const cmd of step.commands) body.push(...commandBlocks(cmd, inc.id, doc.source, opts.alert?.labels));
  });
  if (!sec.steps.length && sec.commands.length) {
    body.push(divider(), section('*Commands*'));
    for (const cmd of sec.commands) body.push(...commandBlocks(cmd, inc.id, doc.source, opts.alert?.labels));
  }

  // One slot stays free in the first message for the "continued in the thread" note.
  const room = LIMITS.blocksPerMessage - top.length - 1;
  const messages: SlackMessage[] = [{ text: `Runbook: ${esc(sec.title)}`, blocks: [...top, ...body.slice(0, room)] }];
  for (const blocks of chunkBlocks(body.slice(room))) {
    if (blocks.length) messages.push({ text: `Runbook: ${esc(sec.title)} (part ${messages.length + 1})`, blocks });
  }
  if (messages.length > 1) {
    const rest = messages.length - 1;
    messages[0]!.blocks.push(context(`:thread: Continued in the thread (${rest} more part${rest === 1 ? '' : 's'}).`));
  }
  return messages;
}

/** When no runbook matched: say so, and how to attach one. */
export function renderNoRunbook(alertname: string | null): SlackMessage {
  const what = alertname ? `alert \`${esc(alertname)}\`` : 'this incident';
  return {
    text: 'No runbook matched',
    blocks: [
      section(
        `:grey_question: No runbook matched ${what}. Use \`/incident runbook &lt;alertname&gt;\` to attach one, or add a runbook whose \`alerts:\` front matter lists it.`,
      ),
    ],
  };
}
