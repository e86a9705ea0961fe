import { groupResolved, type StormGroupLine, summarizeGroups } from '../../alerts/storm.js';
import { type Incident, incidentRef } from '../../incidents/model.js';
import { type Block, button, context, esc, SEVERITY_EMOJI, type SlackMessage, section, slackDate } from './text.js';

/** Groups listed one by one in the summary (a section and a button each); the rest are counted ("N more"). */
export const SUMMARY_GROUPS_SHOWN = 20;

/** The Split out button of one group: its alert_groups id, in the incident holding it. */
export const SPLIT_ACTION = 'storm_split';
export const splitActionId = (groupId: number) => `${SPLIT_ACTION}_${groupId}`;
export const SPLIT_ACTION_PATTERN = /^storm_split_\d+$/;

/** One group as a summary line: name, scope, severity, counts, first and last seen, resolved or not. */
export function groupLine(g: StormGroupLine): string {
  const mark = groupResolved(g) ? ':white_check_mark:' : (SEVERITY_EMOJI[g.severity ?? ''] ?? ':red_circle:');
  const scope = g.scope ? ` · ${esc(g.scope)}` : '';
  const state = groupResolved(g) ? `resolved (${g.total} alerts)` : `${g.firing} firing of ${g.total}`;
  return `${mark} *${esc(g.alertname || 'Alert group')}*${scope} · ${g.severity ?? 'P?'} · ${state} · first ${slackDate(g.firstSeen, '{time}')}, last ${slackDate(g.lastSeen, '{time}')}`;
}

/**
 * The storm summary message of an incident holding several alert groups, edited in place: counts, then the
 * groups (firing first, most severe first) each with a Split out button, at most {@link SUMMARY_GROUPS_SHOWN},
 * the rest as "N more". Pure.
 */
export function renderStormSummary(inc: Incident, groups: StormGroupLine[], now: Date): SlackMessage {
  const s = summarizeGroups(groups, SUMMARY_GROUPS_SHOWN);
  const open = inc.status !== 'resolved';
  const head = `:rotating_light: *${incidentRef(inc)} alert groups*: ${groups.length} (${s.firingGroups} firing, ${s.resolvedGroups} resolved), ${s.firingAlerts} alerts firing`;
  const blocks: Block[] = [{ ...section(head), block_id: `storm:${inc.id}` }];
  for (const g of s.shown) {
    blocks.push(
      section(
        groupLine(g),
        open && groups.length > 1
          ? {
              accessory: button('Split out', splitActionId(g.groupId), `${inc.id}:${g.groupId}`, undefined, {
                title: 'Split out this alert group?',
                text: `${esc(g.alertname)} gets an incident and channel of its own.`,
                confirm: 'Split out',
              }),
            }
          : {},
      ),
    );
  }
  const notes = [`Updated ${slackDate(now, '{time}')}`];
  if (s.more) notes.unshift(`${s.more} more alert group${s.more === 1 ? '' : 's'} not listed`);
  blocks.push(context(...notes));
  const text = `${incidentRef(inc)}: ${groups.length} alert groups, ${s.firingGroups} firing, ${s.firingAlerts} alerts firing${s.more ? `; ${s.more} more not listed` : ''}`;
  return { text, blocks };
}

/** The one line a folded incident's channel gets: where its alerts went. */
export function renderMergedAway(inc: Incident, into: Incident, reason: string): SlackMessage {
  const where = into.channelId ? ` <#${into.channelId}>` : '';
  const why = reason === 'storm' ? ' as part of an alert storm' : '';
  const text = `:twisted_rightwards_arrows: ${incidentRef(inc)} was merged into *${incidentRef(into)}*${why}.${where} Follow it there; this channel gets no more updates.`;
  return { text: text.replace(/\*/g, ''), blocks: [section(text)] };
}
