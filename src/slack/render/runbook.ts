import { createHash } from 'node:crypto';
import type { ScheduledTimer } from '../../escalation/setup.js';
import type { Incident } from '../../incidents/model.js';
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

function commandBlocks(cmd: Command, incidentId: number, source: string): Block[] {
  const code = codeBlock(cmd.text, 2800);
  const blockId = blockIdFor(cmd.id);
  if (cmd.runnable && cmd.risk === 'read') {
    return [
      section(code, {
        block_id: blockId,
        accessory: button('▶ Run', 'diag_run', runValue(incidentId, source, cmd.id), 'primary'),
      }),
    ];
  }
  if (cmd.runnable && cmd.risk === 'write') {
    return [
      section(code, {
        block_id: blockId,
        accessory: button('Run… (operator)', 'diag_write', runValue(incidentId, source, cmd.id), 'danger'),
      }),
      context(`${RISK_BADGE.write}: needs the operator role and a confirmation.`),
    ];
  }
  return [
    section(code, { block_id: blockId }),
    context(`${RISK_BADGE[cmd.risk]} · not runnable from Slack: ${esc(cmd.reason)}`),
  ];
}

export interface RenderRunbookOptions {
  /** The timers scheduled for this incident from the runbook (or the configured defaults). */
  timers: ShownTimer[];
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
    for (const cmd of step.commands) body.push(...commandBlocks(cmd, inc.id, doc.source));
  });
  if (!sec.steps.length && sec.commands.length) {
    body.push(divider(), section('*Commands*'));
    for (const cmd of sec.commands) body.push(...commandBlocks(cmd, inc.id, doc.source));
  }

  // One slot stays free in the first message for the "continued in the thread" note.
  const room = LIMITS.blocksPerMessage - top.length - 1;
  const messages: SlackMessage[] = [{ text: `Runbook: ${esc(sec.title)}`, blocks: [...top, ...body.slice(0, room)] }];
  for (const blocks of chunkBlocks(body.slice(room))) {
    if (blocks.length) messages.push({ text: `Runbook: ${esc(sec.title)} (part ${messages.length + 1})`, blocks });
  }
  if (messages.length > 1) {
    messages[0]!.blocks.push(context(`:thread: Continued in the thread (${messages.length - 1} more part(s)).`));
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
        `:grey_question: No runbook matched ${what}. Use \`/incident runbook <alertname>\` to attach one, or add a runbook whose \`alerts:\` front matter lists it.`,
      ),
    ],
  };
}
