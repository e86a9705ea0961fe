import { groupResolved, type StormGroupLine, summarizeGroups } from '../../alerts/storm.js';
import { type Incident, incidentRef } from '../../incidents/model.js';
import type { AlertRow } from '../../store/alerts.js';
import {
  type Block,
  context,
  esc,
  plainText,
  SEVERITY_EMOJI,
  type SlackMessage,
  section,
  slackDate,
  truncate,
} from './text.js';

/** Groups listed one by one in the summary (a section and a button each); the rest are counted ("N more"). */
export const SUMMARY_GROUPS_SHOWN = 20;

/**
 * The menu of one group (alert_groups id): "Alerts in a thread" (`detail:<incident>:<group>`) and "Split out"
 * (`split:<incident>:<group>`).
 */
export const GROUP_MENU_ACTION = 'storm_group';
export const groupMenuActionId = (groupId: number) => `${GROUP_MENU_ACTION}_${groupId}`;
export const GROUP_MENU_PATTERN = /^storm_group_\d+$/;

/** One group as a summary line: name, scope, severity, counts, first and last seen, resolved or not. */
export function groupLine(g: StormGroupLine): string {
  const mark = groupResolved(g) ? ':white_check_mark:' : (SEVERITY_EMOJI[g.severity ?? ''] ?? ':red_circle:');
  const scope = g.scope ? ` · ${esc(g.scope)}` : '';
  const state = groupResolved(g) ? `resolved (${g.total} alerts)` : `${g.firing} firing of ${g.total}`;
  return `${mark} *${esc(g.alertname || 'Alert group')}*${scope} · ${g.severity ?? 'P?'} · ${state} · first ${slackDate(g.firstSeen, '{time}')}, last ${slackDate(g.lastSeen, '{time}')}`;
}

/**
 * The storm summary message of an incident holding several alert groups, edited in place: counts, then the
 * groups (firing first, most severe first) each with its menu (alerts in a thread, Split out), at most {@link SUMMARY_GROUPS_SHOWN},
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
        open
          ? {
              accessory: {
                type: 'overflow',
                action_id: groupMenuActionId(g.groupId),
                options: [
                  { text: plainText('Alerts in a thread'), value: `detail:${inc.id}:${g.groupId}` },
                  ...(groups.length > 1
                    ? [{ text: plainText('Split out into its own incident'), value: `split:${inc.id}:${g.groupId}` }]
                    : []),
                ],
              },
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

/** Alerts listed in a group's detail thread; the rest are counted. */
export const DETAIL_ALERTS_SHOWN = 30;

/**
 * One group's alerts, posted in a thread under the summary on demand: each alert with its distinguishing
 * labels, state and when it started. Pure.
 */
export function renderGroupDetail(g: StormGroupLine, alerts: AlertRow[], total: number): SlackMessage {
  const common = new Set(['alertname', 'severity', 'cluster', 'namespace', 'prometheus']);
  const lines = alerts.slice(0, DETAIL_ALERTS_SHOWN).map((a) => {
    const labels = Object.entries(a.labels)
      .filter(([k]) => !common.has(k))
      .slice(0, 4)
      .map(([k, v]) => `${esc(k)}=${esc(truncate(v, 60))}`)
      .join(', ');
    const mark = a.status === 'firing' ? ':red_circle:' : ':white_check_mark:';
    const since = a.startsAt ?? a.firstSeenAt;
    return `${mark} ${labels || esc(a.fingerprint)} · ${a.status} since ${slackDate(since, '{time}')}`;
  });
  const more = total - lines.length;
  const text = `${g.alertname}${g.scope ? ` (${g.scope})` : ''}: ${g.firing} firing of ${g.total}`;
  const blocks: Block[] = [
    section(`*${esc(g.alertname)}*${g.scope ? ` · ${esc(g.scope)}` : ''} · ${g.firing} firing of ${g.total}`),
  ];
  // One section per 10 alerts keeps each within Slack's 3,000 characters.
  for (let i = 0; i < lines.length; i += 10) blocks.push(section(lines.slice(i, i + 10).join('\n')));
  if (more > 0) blocks.push(context(`${more} more alert${more === 1 ? '' : 's'} not listed`));
  return { text, blocks };
}
