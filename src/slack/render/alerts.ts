import { formatDistanceStrict } from 'date-fns';
import { type Incident, incidentRef } from '../../incidents/model.js';
import { type Block, button, context, esc, type SlackMessage, section, truncate } from './text.js';

/** What the alert renderers need of a stored alert (store/alerts AlertRow fits). */
export interface ShownAlert {
  alertname: string;
  nameDerived?: boolean;
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  generatorUrl: string | null;
  links?: Record<string, string>;
}

const LINK_LABELS: [key: string, label: string][] = [
  ['runbook', 'Runbook'],
  ['generator', 'Source'],
  ['dashboard', 'Dashboard'],
  ['panel', 'Panel'],
  ['silence', 'Silence'],
  ['image', 'Image'],
];

const safe = (url: string) => /^https?:\/\/[^\s<>|]+$/i.test(url);

/** An alert's links (runbook, source, dashboard, panel, silence), http(s) only, in that order. */
export function alertLinks(
  a: Pick<ShownAlert, 'generatorUrl' | 'links' | 'annotations'>,
): { label: string; url: string }[] {
  const links = { ...(a.links ?? {}) };
  if (!links.generator && a.generatorUrl) links.generator = a.generatorUrl;
  const runbook = a.annotations?.runbook_url ?? a.annotations?.runbook;
  if (!links.runbook && runbook) links.runbook = runbook.trim();
  return LINK_LABELS.filter(([k]) => links[k] && safe(links[k]!)).map(([k, label]) => ({ label, url: links[k]! }));
}

/** "Runbook · Source · Silence" as mrkdwn links. */
export function alertLinksText(a: Pick<ShownAlert, 'generatorUrl' | 'links' | 'annotations'>): string {
  return alertLinks(a)
    .map((l) => `<${l.url}|${l.label}>`)
    .join(' · ');
}

/** Link buttons (open a URL; the bot only acknowledges the click). */
export function alertLinkButtons(
  a: Pick<ShownAlert, 'generatorUrl' | 'links' | 'annotations'>,
  blockId: string,
): Block | null {
  const links = alertLinks(a).filter((l) => l.url.length <= 3000);
  if (!links.length) return null;
  return {
    type: 'actions',
    block_id: blockId.slice(0, 255),
    elements: links.slice(0, 5).map((l, i) => ({
      ...button(l.label, `alert_link_${i}`, l.label.toLowerCase()),
      url: l.url,
    })),
  };
}

/** "KubePodNotReady (namespace=batch pod=worker-1)", the name marked when it was made up. */
export function alertLine(a: ShownAlert): string {
  const scope = ['cluster', 'namespace', 'service', 'pod', 'instance']
    .filter((k) => a.labels[k])
    .map((k) => `${k}=${esc(truncate(a.labels[k]!, 80))}`)
    .join(' ');
  const name = `*${esc(truncate(a.alertname, 150))}*${a.nameDerived ? ' _(no alertname sent)_' : ''}`;
  return `${name}${scope ? ` (${scope})` : ''}`;
}

/** Alerts joining or leaving an incident: one line each (links included) up to ten, then a count. */
export function renderAlertChanges(
  fired: ShownAlert[],
  resolved: ShownAlert[],
  counts: { fired: number; resolved: number },
): SlackMessage {
  const blocks: Block[] = [];
  const lines = (list: ShownAlert[], emoji: string, verb: string) =>
    list.map((a) => {
      const links = alertLinksText(a);
      return `${emoji} Alert ${alertLine(a)} ${verb}${links ? `\n      ${links}` : ''}`;
    });
  const text: string[] = [
    ...lines(fired, ':fire:', 'is firing'),
    ...lines(resolved, ':large_green_circle:', 'resolved'),
  ];
  let cur = '';
  for (const l of text) {
    if (cur.length + l.length > 2900) {
      blocks.push(section(cur));
      cur = '';
    }
    cur += `${l}\n`;
  }
  if (cur) blocks.push(section(cur));
  const more: string[] = [];
  if (counts.fired > fired.length) more.push(`${(counts.fired - fired.length).toLocaleString('en-US')} more firing`);
  if (counts.resolved > resolved.length)
    more.push(`${(counts.resolved - resolved.length).toLocaleString('en-US')} more resolved`);
  if (more.length) blocks.push(context(`…and ${more.join(', ')} (the header counts them all).`));
  const summary =
    fired.length + resolved.length === 1
      ? `Alert ${(fired[0] ?? resolved[0])!.alertname} ${fired.length ? 'is firing' : 'resolved'}`
      : `${counts.fired} alerts firing, ${counts.resolved} resolved`;
  const first = fired[0] ?? resolved[0];
  const scope = first
    ? ['namespace', 'service', 'pod', 'instance']
        .filter((k) => first.labels[k])
        .map((k) => `${k}=${first.labels[k]}`)
        .join(' ')
    : '';
  return {
    text: truncate(`${esc(summary)}${fired.length + resolved.length === 1 && scope ? ` (${esc(scope)})` : ''}`, 3000),
    blocks: blocks.slice(0, 50),
  };
}

/** Unchanged alerts repeated after a person resolved the incident: nothing opened, a Reopen offer. */
export function renderAlertRepeat(inc: Incident, alerts: ShownAlert[], count: number, now: Date): SlackMessage {
  const since = inc.resolvedAt ? ` (resolved ${formatDistanceStrict(inc.resolvedAt, now, { addSuffix: true })})` : '';
  const names = alerts.slice(0, 5).map(alertLine).join(', ');
  const more = count > alerts.length ? ` and ${count - Math.min(5, alerts.length)} more` : '';
  const text = `:repeat: The alert source still reports ${count === 1 ? 'this alert' : `${count} alerts`} of ${incidentRef(inc)} as firing${since}: ${names}${more}. No new incident was opened; reopen this one if the problem is back.`;
  return {
    text: `${incidentRef(inc)}: ${count} alert(s) still firing after resolve`,
    blocks: [
      section(text),
      {
        type: 'actions',
        block_id: `alert_repeat:${inc.id}`,
        elements: [button('Reopen', 'incident_reopen', String(inc.id), 'primary')],
      },
    ],
  };
}

/** "Recurrence of INC-12, resolved 20 minutes ago". */
export function recurrenceText(previous: Incident, now: Date): string {
  const when = previous.resolvedAt
    ? `, resolved ${formatDistanceStrict(previous.resolvedAt, now, { addSuffix: true })}`
    : '';
  const where = previous.channelId ? ` (<#${previous.channelId}>)` : '';
  return `Recurrence of ${incidentRef(previous)}${when}${where}`;
}

export function renderRecurrence(inc: Incident, previous: Incident, now: Date): SlackMessage {
  const text = `:leftwards_arrow_with_hook: ${recurrenceText(previous, now)}: ${esc(previous.title)}`;
  return {
    text: `${incidentRef(inc)}: ${recurrenceText(previous, now).replace(/ \(<#[^>]+>\)/, '')}`,
    blocks: [section(text)],
  };
}

/** A more severe alert joined: said in the channel and in the announcements channel. */
export function renderSeverityRaised(
  inc: Incident,
  from: string,
  to: string,
  alert: ShownAlert | null,
  inAnnouncements: boolean,
): SlackMessage {
  const why = alert ? ` because ${alertLine(alert)} joined` : '';
  const where = inAnnouncements && inc.channelId ? ` — <#${inc.channelId}>` : '';
  const text = `:chart_with_upwards_trend: *${incidentRef(inc)}* severity raised *${from} → ${to}*${why}: ${esc(inc.title)}${where}`;
  return {
    text: `${incidentRef(inc)} severity raised ${from} → ${to}: ${esc(inc.title)}`,
    blocks: [section(text)],
  };
}

/** The sender line of a header: cluster, where it came from, how many alerts were left out. */
export function sourceLine(src: { sender: string; externalUrl: string; cluster: string }): string {
  const parts: string[] = [];
  if (src.cluster) parts.push(`:globe_with_meridians: Cluster: *${esc(src.cluster.replace(/,/g, ' · '))}*`);
  const name = src.sender === 'grafana' ? 'Grafana' : src.sender === 'generic' ? 'Webhook' : 'Alertmanager';
  let host = src.externalUrl;
  try {
    host = src.externalUrl ? new URL(src.externalUrl).host : '';
  } catch {}
  if (host && safe(src.externalUrl)) parts.push(`From <${src.externalUrl}|${esc(name)} ${esc(host)}>`);
  else parts.push(`From ${esc(name)}${host ? ` ${esc(host)}` : ''}`);
  return parts.join(' · ');
}

/** "3 firing / 3 — showing 3 of 1,000 firing (997 left out by the sender)". */
export function alertCountLine(firing: number, total: number, truncated: number): string {
  const base = `:rotating_light: Alerts: ${firing.toLocaleString('en-US')} firing / ${total.toLocaleString('en-US')}`;
  if (!truncated) return base;
  const all = (firing + truncated).toLocaleString('en-US');
  return `${base} — showing ${firing.toLocaleString('en-US')} of ${all} firing (${truncated.toLocaleString('en-US')} left out by the sender's max_alerts)`;
}
