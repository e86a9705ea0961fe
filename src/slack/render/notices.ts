import { incidentRef, type Notice } from '../../incidents/model.js';
import { esc, type SlackMessage, section } from './text.js';

/** The channel message for a change to an incident (outbox op `slack.notice`). Pure. */
export function renderNotice(inc: { id: number }, n: Notice): SlackMessage {
  const text = noticeText(inc, n);
  return { text, blocks: [section(text)] };
}

function noticeText(inc: { id: number }, n: Notice): string {
  switch (n.kind) {
    case 'acknowledged':
      return `:white_check_mark: <@${n.actor}> acknowledged ${incidentRef(inc)}.`;
    case 'status': {
      const who = n.actor ? `<@${n.actor}>` : 'incident-bot';
      if (n.status === 'resolved')
        return `:tada: ${who} resolved ${incidentRef(inc)}.${n.summary ? `\n>${esc(n.summary)}` : ''}`;
      return `:arrows_counterclockwise: ${who} set the status to *${n.status}*.`;
    }
    case 'severity':
      return `:chart_with_upwards_trend: <@${n.actor}> set severity to *${n.severity}*.`;
    case 'role':
      if (n.previous && n.role === 'commander')
        return n.actor === n.user
          ? `:bust_in_silhouette: <@${n.user}> took command of ${incidentRef(inc)} from <@${n.previous}>.`
          : `:bust_in_silhouette: <@${n.user}> is now *commander* of ${incidentRef(inc)}, replacing <@${n.previous}> (set by <@${n.actor}>).`;
      if (n.previous)
        return `:bust_in_silhouette: <@${n.user}> is now *${n.role}*, replacing <@${n.previous}> (set by <@${n.actor}>).`;
      return `:bust_in_silhouette: <@${n.user}> is now *${n.role}* (set by <@${n.actor}>).`;
    case 'update':
      return `:memo: *Update* from <@${n.actor}>:\n${esc(n.text)}`;
  }
}
