import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** All bot metrics on one registry (not prom-client's global one, so tests can run several bots in one process). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'incident_bot_' });
  const m = {
    registry,
    alertsReceived: new Counter({
      name: 'incident_bot_alerts_received_total',
      help: 'Alertmanager alerts received, by status and outcome.',
      labelNames: ['status', 'outcome'] as const,
      registers: [registry],
    }),
    alertsRejected: new Counter({
      name: 'incident_bot_alert_notifications_rejected_total',
      help: 'Alert notifications answered 4xx (the sender does not retry them), by sender and reason.',
      labelNames: ['sender', 'reason'] as const,
      registers: [registry],
    }),
    alertsDeadLettered: new Counter({
      name: 'incident_bot_alerts_dead_lettered_total',
      help: 'Alerts (or whole groups) kept in the dead-letter table instead of an incident, by sender.',
      labelNames: ['sender'] as const,
      registers: [registry],
    }),
    deadLetters: new Gauge({
      name: 'incident_bot_alert_dead_letters',
      help: 'Rows in the alert dead-letter table (`incident-bot alerts dead-letter` lists them).',
      registers: [registry],
    }),
    tableBytes: new Gauge({
      name: 'incident_bot_table_bytes',
      help: 'Size of store tables on disk (including indexes and TOAST), by table.',
      labelNames: ['table'] as const,
      registers: [registry],
    }),
    retentionDeleted: new Counter({
      name: 'incident_bot_retention_deleted_total',
      help: 'Rows deleted or payloads dropped by retention (RETENTION_DAYS), by table.',
      labelNames: ['table'] as const,
      registers: [registry],
    }),
    incidentsOpen: new Gauge({
      name: 'incident_bot_incidents_open',
      help: 'Open incidents by severity.',
      labelNames: ['severity'] as const,
      registers: [registry],
    }),
    incidentsDeclared: new Counter({
      name: 'incident_bot_incidents_declared_total',
      help: 'Incidents declared, by severity and source.',
      labelNames: ['severity', 'source'] as const,
      registers: [registry],
    }),
    slackCalls: new Counter({
      name: 'incident_bot_slack_calls_total',
      help: 'Slack Web API calls by method and outcome (ok, error code, rate_limited).',
      labelNames: ['method', 'status'] as const,
      registers: [registry],
    }),
    outboxDepth: new Gauge({
      name: 'incident_bot_outbox_depth',
      help: 'Outbox rows waiting to be sent.',
      registers: [registry],
    }),
    outboxSent: new Counter({
      name: 'incident_bot_outbox_sent_total',
      help: 'Outbox rows processed, by op and outcome (done, retry, failed).',
      labelNames: ['op', 'outcome'] as const,
      registers: [registry],
    }),
    timerLag: new Histogram({
      name: 'incident_bot_timer_lag_seconds',
      help: 'Seconds between a timer being due and firing.',
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 15, 60, 300],
      registers: [registry],
    }),
    timersFired: new Counter({
      name: 'incident_bot_timers_fired_total',
      help: 'Timers fired, by kind and whether late (due while the bot was down).',
      labelNames: ['kind', 'late'] as const,
      registers: [registry],
    }),
    diagnosticsRun: new Counter({
      name: 'incident_bot_diagnostics_total',
      help: 'Diagnostics run, by executor and outcome.',
      labelNames: ['executor', 'outcome'] as const,
      registers: [registry],
    }),
    httpRequests: new Counter({
      name: 'incident_bot_http_requests_total',
      help: 'HTTP requests by route and status code.',
      labelNames: ['route', 'code'] as const,
      registers: [registry],
    }),
  };
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;
