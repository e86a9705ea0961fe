import { incidentRef, type Notice } from '../../incidents/model.js';
import { button, esc, type SlackMessage, section, slackDate } from './text.js';

/** The channel message for a change to an incident (outbox op `slack.notice`). Pure. */
export function renderNotice(inc: { id: number }, n: Notice): SlackMessage {
  const text = noticeText(inc, n);
  const blocks: SlackMessage['blocks'] = [section(text)];
  if (n.kind === 'snoozed')
    blocks.push({
      type: 'actions',
      block_id: `snooze:${inc.id}`,
      elements: [button('Cancel snooze', 'escalation_unsnooze', String(inc.id))],
    });
  return { text, blocks };
}

type HeldTimer = { kind: string; text: string; target: string | null };
const timerList = (timers: HeldTimer[]) =>
  timers.map((t) => `• ${esc(t.kind)}${t.target ? ` → ${esc(t.target)}` : ''}: ${esc(t.text)}`).join('\n');

function noticeText(inc: { id: number }, n: Notice): string {
  switch (n.kind) {
    case 'acknowledged':
      return `:white_check_mark: <@${n.actor}> acknowledged ${incidentRef(inc)}.`;
    case 'status': {
      const who = n.actor ? `<@${n.actor}>` : 'incident-bot';
      if (n.status === 'resolved')
        return `:tada: ${who} resolved ${incidentRef(inc)}. \`/incident postmortem\` drafts the write-up.${n.summary ? `\n>${esc(n.summary)}` : ''}`;
      return `:arrows_counterclockwise: ${who} set the status to *${n.status}*.`;
    }
    case 'severity': {
      // P1 is the most severe: a larger number is a downgrade, and is not shown with a rising chart.
      const fell = n.previous !== undefined && n.severity > n.previous;
      const from = n.previous ? ` (was ${n.previous})` : '';
      return fell
        ? `:chart_with_downwards_trend: <@${n.actor}> lowered severity to *${n.severity}*${from}.`
        : `:chart_with_upwards_trend: <@${n.actor}> set severity to *${n.severity}*${from}.`;
    }
    case 'role':
      if (n.previous && n.role === 'commander')
        return n.actor === n.user
          ? `:bust_in_silhouette: <@${n.user}> took command of ${incidentRef(inc)} from <@${n.previous}>.`
          : `:bust_in_silhouette: <@${n.user}> is now *commander* of ${incidentRef(inc)}, replacing <@${n.previous}> (set by <@${n.actor}>).`;
      if (n.previous)
        return `:bust_in_silhouette: <@${n.user}> is now *${n.role}*, replacing <@${n.previous}> (set by <@${n.actor}>).`;
      return `:bust_in_silhouette: <@${n.user}> is now *${n.role}* (set by <@${n.actor}>).`;
    case 'update':
      return `:memo: *Update* from <@${n.actor}>${n.status ? `, status now *${n.status}*` : ''}:\n${esc(n.text)}`;
    case 'followup':
      return `:pushpin: Follow-up for <@${n.owner}>${n.owner === n.actor ? '' : ` (recorded by <@${n.actor}>)`}: ${esc(n.text)}`;
    case 'snoozed': {
      const until = slackDate(new Date(n.until), '{time}');
      if (!n.timers.length)
        return `:zzz: <@${n.actor}> snoozed paging of ${incidentRef(inc)} until ${until}; no acknowledge or escalation timer was due before then.`;
      return `:zzz: <@${n.actor}> snoozed paging of ${incidentRef(inc)} until ${until}. Held back:\n${timerList(n.timers)}\nCancel with the button or \`/incident snooze off\`.`;
    }
    case 'snoozeEnded':
      if (n.reason === 'severity')
        return `:rotating_light: Snooze of ${incidentRef(inc)} ended: severity rose to *${n.severity ?? '?'}*. Paging resumes:\n${timerList(n.timers)}`;
      return `:alarm_clock: ${n.actor ? `<@${n.actor}>` : 'incident-bot'} cancelled the snooze of ${incidentRef(inc)}. Paging resumes:\n${timerList(n.timers)}`;
  }
}
