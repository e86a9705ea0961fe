import type { App } from '@slack/bolt';
import type { Config } from '../config.js';
import type { Incident } from '../incidents/model.js';
import type { OutboxHandler } from '../outbox/sender.js';
import { alertsById } from '../store/alerts.js';
import type { Db } from '../store/db.js';
import { getIncident } from '../store/incidents.js';
import type { OutboxRow } from '../store/outbox.js';
import { channelOf, incidentOfRow } from './outbox-incident.js';
import {
  alertLinkButtons,
  renderAlertChanges,
  renderAlertRepeat,
  renderRecurrence,
  renderSeverityRaised,
} from './render/alerts.js';
import type { SlackMessage } from './render/text.js';

export interface AlertSlackDeps {
  db: Db;
  config: Config;
  post: (channel: string, msg: SlackMessage, extra?: Record<string, unknown>) => Promise<{ ts: string }>;
  channelByName: (name: string) => Promise<string>;
  now?: () => Date;
}

/**
 * Slack side of alert intake, as outbox handlers: alerts joining/leaving (`slack.alertChanges`), repeats
 * after a resolve (`slack.alertRepeat`), recurrences (`slack.alertRecurrence`) and severity raises
 * (`slack.severityRaised`, said in the incident channel; the announcement is edited by the incident outbox).
 * Each renders from the store when sent.
 */
export function createAlertSlackOps(deps: AlertSlackDeps) {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const load = (row: OutboxRow): Promise<Incident> => incidentOfRow(db, row);
  const ids = (v: unknown) => (Array.isArray(v) ? v.map(Number).filter(Number.isInteger) : []);

  const handlers: Record<string, OutboxHandler> = {
    async 'slack.alertChanges'(row) {
      const inc = await load(row);
      const fired = await alertsById(db, ids(row.payload.fired));
      const resolved = await alertsById(db, ids(row.payload.resolved));
      if (!fired.length && !resolved.length) return { skipped: 'alerts gone' };
      const msg = renderAlertChanges(fired, resolved, {
        fired: Number(row.payload.firedCount ?? fired.length),
        resolved: Number(row.payload.resolvedCount ?? resolved.length),
      });
      // Link buttons (dashboard, panel, silence…) for a single alert, as Grafana users expect them.
      const one = fired.length + resolved.length === 1 ? (fired[0] ?? resolved[0])! : null;
      const buttons = one ? alertLinkButtons(one, `alert_links:${one.id}`) : null;
      if (buttons) msg.blocks.push(buttons);
      const res = await deps.post(channelOf(inc), msg);
      return { ts: res.ts };
    },

    async 'slack.alertRepeat'(row) {
      const inc = await load(row);
      if (inc.status !== 'resolved') return { skipped: 'reopened meanwhile' };
      const alerts = await alertsById(db, ids(row.payload.alertIds));
      const res = await deps.post(
        channelOf(inc),
        renderAlertRepeat(inc, alerts, Number(row.payload.count ?? alerts.length), now()),
      );
      return { ts: res.ts };
    },

    async 'slack.alertRecurrence'(row) {
      const inc = await load(row);
      const previous = await getIncident(db, Number(row.payload.previousIncidentId));
      if (!previous) return { skipped: 'previous incident gone' };
      const msg = renderRecurrence(inc, previous, now());
      const res = await deps.post(channelOf(inc), msg);
      return { ts: res.ts };
    },

    async 'slack.severityRaised'(row) {
      const inc = await load(row);
      const [alert] = await alertsById(db, ids([row.payload.alertId]));
      const from = String(row.payload.from);
      const to = String(row.payload.to);
      // In the incident channel only: the announcement in INCIDENTS_CHANNEL is edited to the new severity
      // (slack.announceUpdate, enqueued with the change by the incident service) instead of a second line.
      const res = await deps.post(channelOf(inc), renderSeverityRaised(inc, from, to, alert ?? null, false));
      return { ts: res.ts };
    },
  };
  return { handlers };
}

/** Link buttons open their URL in the browser; Slack still sends the click, which only needs an ack. */
export function registerAlertActions(app: App): void {
  app.action(/^alert_link_\d+$/, async ({ ack }) => {
    await ack();
  });
}
