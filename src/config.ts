import { z } from 'zod';
import { ConfigError } from './errors.js';
import { Severity } from './vocabulary.js';

/** Parses "a=b,c=d" lists (values may contain '=' after the first). */
const keyValueList = z
  .string()
  .default('')
  .transform((s, ctx) => {
    const out: Record<string, string> = {};
    for (const part of s
      .split(/[,\n]/)
      .map((p) => p.trim())
      .filter(Boolean)) {
      const eq = part.indexOf('=');
      if (eq <= 0) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: `expected name=value pairs separated by commas, got "${part}"`,
        });
        return z.NEVER;
      }
      out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
    }
    return out;
  });

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off', ''])
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const url = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()))
  .refine((v) => v === undefined || /^[a-z][a-z0-9+.-]*:\/\//i.test(v), 'expected a URL like scheme://host');

const perSeverityMinutes = keyValueList.transform((m, ctx) => {
  const out: Partial<Record<Severity, number>> = {};
  for (const [k, v] of Object.entries(m)) {
    const sev = Severity.safeParse(k.toUpperCase());
    const n = Number(v);
    if (!sev.success || !Number.isFinite(n) || n < 0) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected P1..P4=minutes, got "${k}=${v}"` });
      return z.NEVER;
    }
    out[sev.data] = n;
  }
  return out;
});

/**
 * Every environment variable the bot reads, in one place. `describe()` texts feed the README's
 * configuration table (test/config.test.ts checks the README lists each variable).
 */
export const ConfigSchema = z.object({
  PORT: z.coerce
    .number()
    .int()
    .min(0)
    .max(65535)
    .default(3000)
    .describe('HTTP port for Slack, alerts, health and metrics.'),
  HOST: optionalString.describe(
    'Interface to listen on. Default 0.0.0.0 with a Slack token; 127.0.0.1 in local mode (the workspace page drives the bot).',
  ),
  PUBLIC_URL: url.describe(
    'Base URL people and Slack reach the bot at (links in messages). Default http://localhost:PORT.',
  ),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('pino log level.'),
  LOG_FORMAT: z
    .enum(['pretty', 'json', ''])
    .optional()
    .transform((v) => v || undefined)
    .describe(
      'Log format: pretty (for people) or json (one object a line). Unset: pretty on a terminal, json otherwise.',
    ),
  DATABASE_URL: url.describe('PostgreSQL URL. Unset: embedded PGlite under INCIDENT_BOT_DATA.'),
  INCIDENT_BOT_DATA: z
    .string()
    .default('./.incident-bot')
    .describe('Directory of the embedded database (when DATABASE_URL is unset).'),
  REDIS_URL: url.describe(
    "Optional Redis: replicas share Slack's rate-limit answers (a 429 to one pauses that method on all) and the Slack budget.",
  ),
  SLACK_BUDGET: bool
    .default('on')
    .describe(
      "Keep each Slack method under its rate tier before calling (shared by replicas through REDIS_URL), holding back announcements and header refreshes so that pings, pages and P1/P2 channels always find room. off: call and rely on Slack's 429s. Local mode follows the local workspace's EMULATOR_RATE_LIMITS.",
    ),
  SLACK_BUDGET_RESERVE: z.coerce
    .number()
    .min(0)
    .max(0.9)
    .default(0.4)
    .describe(
      "Share of each Slack method's burst kept for pings, pages, P1/P2 channels and replies to people (priority 0-1); other work waits when only this much is left.",
    ),
  SLACK_BOT_TOKEN: optionalString.describe('xoxb- bot token. Unset: run against the built-in local Slack workspace.'),
  SLACK_SIGNING_SECRET: optionalString.describe(
    'Signing secret used to verify requests from Slack (required with SLACK_BOT_TOKEN unless Socket Mode).',
  ),
  SLACK_APP_TOKEN: optionalString.describe('xapp- app-level token: use Socket Mode instead of a public URL.'),
  SLACK_API_URL: url.describe('Slack Web API base URL (tests and the local emulator).'),
  EMULATOR_WORKSPACE: optionalString.describe(
    'YAML seed of the local Slack workspace (local mode). Default: the shipped one.',
  ),
  EMULATOR_TOKEN: optionalString.describe(
    'Token the local workspace control endpoints (/_emulator/*) require in the X-Emulator-Token header. Default: random per process, printed at start.',
  ),
  EMULATOR_BOT_TOKEN: optionalString.describe(
    "The bot token the local workspace accepts (local mode and `incident-bot emulator`; the bot's SLACK_BOT_TOKEN for the latter). Default: random, printed.",
  ),
  EMULATOR_APP_TOKEN: optionalString.describe(
    "`incident-bot emulator`: the app-level token for Socket Mode (the bot's SLACK_APP_TOKEN). Default: random, printed.",
  ),
  EMULATOR_SIGNING_SECRET: optionalString.describe(
    "The secret the local workspace signs its requests with (local mode, and `incident-bot emulator --bot-url`: the bot's SLACK_SIGNING_SECRET). Default: random, printed by the emulator command.",
  ),
  EMULATOR_RATE_LIMITS: bool.default('false').describe('Enforce Slack rate-limit tiers in the local workspace.'),
  RUNBOOKS_DIR: optionalString.describe(
    'Directory of Markdown runbooks. Unset: ./runbooks when it exists, else the runbooks shipped with the bot.',
  ),
  ROLES_FILE: optionalString.describe('YAML roles file (users and user groups -> viewer/responder/operator/admin).'),
  ALERT_WEBHOOK_TOKEN: optionalString.describe(
    'Bearer token senders must send to /alerts/alertmanager, /alerts/grafana and /alerts/generic. Required with SLACK_BOT_TOKEN unless ALERT_WEBHOOK_AUTH=none.',
  ),
  ALERT_WEBHOOK_AUTH: z
    .enum(['token', 'none'])
    .optional()
    .describe(
      'none: accept unauthenticated alerts even with SLACK_BOT_TOKEN set (warned at start). Default: token when SLACK_BOT_TOKEN is set.',
    ),
  PROMETHEUS_URL: url.describe('Prometheus base URL for diagnostics.'),
  KUBECONFIG: optionalString.describe('Kubeconfig path for diagnostics; in-cluster config when running in Kubernetes.'),
  DIAG_POSTGRES_URLS: keyValueList.describe('Diagnostic PostgreSQL targets: name=url,...'),
  DIAG_REDIS_URLS: keyValueList.describe('Diagnostic Redis targets: name=url,...'),
  DIAG_POSTGRES_ALLOW_SUPERUSER: bool
    .default('false')
    .describe('Run PostgreSQL diagnostics even when a target role is a superuser (use a pg_monitor role instead).'),
  STATUSPAGE_API_KEY: optionalString.describe(
    'Atlassian Statuspage API key. Unset: the log provider only records updates.',
  ),
  STATUSPAGE_PAGE_ID: optionalString.describe('Atlassian Statuspage page id.'),
  COMMUNICATION_TEMPLATE: optionalString.describe(
    'Markdown file with the status-page template used when a runbook has none (e.g. templates/default-communication.md). Unset: the built-in one.',
  ),
  STATUSPAGE_API_URL: z.string().default('https://api.statuspage.io').describe('Statuspage API base URL.'),
  STATUSPAGE_COMPONENTS: keyValueList.describe(
    'Service or team label value -> the status-page component customers see (its name or id), e.g. checkout=Checkout,payments=Payments. The public draft names only these.',
  ),
  PAGERDUTY_ROUTING_KEY: optionalString.describe('PagerDuty Events API v2 routing key. Unset: no paging.'),
  PAGERDUTY_API_URL: z.string().default('https://events.pagerduty.com').describe('PagerDuty Events API base URL.'),
  INCIDENTS_CHANNEL: z
    .string()
    .default('incidents')
    .describe(
      'Channel where incidents are announced: one message each, edited as the incident changes (name without #).',
    ),
  SEVERITY_MAP: keyValueList
    .default('critical=P1,high=P2,error=P2,warning=P3,medium=P3,info=P4,low=P4')
    .describe('Alert severity label -> P-level.'),
  ALERT_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(32 * 1024 * 1024)
    .describe('Largest alert notification accepted (bytes; default 32 MiB: a storm of 10,000+ alerts).'),
  ALERT_SYNC_BUDGET_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(5000)
    .describe(
      'A notification still being stored after this long (a storm on a slow store) is answered 2xx once its raw body is stored, and finished in the background (resumed after a restart). Alertmanager gives up after 10 s.',
    ),
  ALERT_CLUSTER_LABELS: z
    .string()
    .default('cluster,prometheus')
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .describe(
      'Alert labels naming the cluster an alert comes from; with the sender externalURL they are part of the incident key and shown in channel and header.',
    ),
  ALERT_BATCH_SIZE: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .describe(
      'Alerts stored per transaction when a notification is large, the event loop yielded between. Default: 500 on PostgreSQL, 100 on the embedded store (it runs one transaction at a time, so a batch holds back the alerts arriving meanwhile).',
    ),
  ALERT_REPEAT_NOTE_MINUTES: z.coerce
    .number()
    .min(1)
    .default(240)
    .describe(
      "At most one note per this many minutes when a resolved incident's unchanged alert is repeated (Alertmanager repeat_interval).",
    ),
  STORM_THRESHOLD: z.coerce
    .number()
    .int()
    .min(0)
    .default(3)
    .describe(
      'Alert storms: when more than this many new alert groups with one correlation key (STORM_GROUP_BY) open within STORM_WINDOW_MINUTES, they become one storm incident and the incidents already opened are folded into it (0: off).',
    ),
  STORM_WINDOW_MINUTES: z.coerce
    .number()
    .positive()
    .default(5)
    .describe('Alert storms: how far back (minutes) new alert groups count towards STORM_THRESHOLD.'),
  STORM_GROUP_BY: z
    .string()
    .default('cluster,namespace')
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .describe(
      "Alert storms: the labels whose values make the correlation key, next to the sender's identity (externalURL and ALERT_CLUSTER_LABELS), so two Alertmanagers never share a storm. Labels an alert lacks are left out (cluster only when namespace is absent); an alert with none of them never joins a storm.",
    ),
  STORM_REFRESH_SECONDS: z.coerce
    .number()
    .min(1)
    .default(5)
    .describe('Alert storms: the storm summary message is edited in place at most once per this many seconds.'),
  RETENTION_DAYS: z.coerce
    .number()
    .min(0)
    .default(30)
    .describe(
      'Delete finished outbox rows and raw alert notification payloads older than this (0: keep forever). Incidents, alerts and timelines are kept.',
    ),
  INFO_TO_DIGEST: bool
    .default('true')
    .describe('P4/info alerts go to a digest in INCIDENTS_CHANNEL instead of opening a channel.'),
  AUTO_RESOLVE_MINUTES: z.coerce
    .number()
    .min(0)
    .default(0)
    .describe('Resolve an incident this long after all its alerts resolved (0: off).'),
  ONCALL_GROUPS: keyValueList.describe(
    'Alert team/service label -> Slack user group handle invited to the channel, e.g. payments=payments-oncall.',
  ),
  DEFAULT_ONCALL_GROUP: z
    .string()
    .default('sre-oncall')
    .describe('User group invited when no ONCALL_GROUPS entry matches.'),
  ESCALATION_TARGETS: keyValueList
    .default(
      'Senior Engineer=sre-seniors,Engineering Lead=eng-leads,Engineering Manager=eng-leads,VP Engineering=eng-leads,Director=eng-leads,On-call=sre-oncall',
    )
    .describe('Runbook escalation target name -> Slack user group handle or user id.'),
  DEFAULT_TIMERS: z
    .string()
    .default(
      'P1=ack:5@On-call,escalate:15@Senior Engineer;P2=ack:15@On-call,escalate:30@Senior Engineer;P3=ack:60@On-call;P4=',
    )
    .describe('Timers when a runbook has none: SEV=kind:minutes,...;SEV=...'),
  UPDATE_REMINDER_MINUTES: perSeverityMinutes
    .default('P1=15,P2=30,P3=60')
    .describe('Nudge when no update for N minutes.'),
  STATUSPAGE_REMINDER_MINUTES: perSeverityMinutes
    .default('P1=30,P2=60')
    .describe('Nudge when a public incident has no status-page update for N minutes.'),
  TIMER_POLL_MS: z.coerce
    .number()
    .int()
    .min(10)
    .default(500)
    .describe('How often the timer worker looks for due timers.'),
  OUTBOX_POLL_MS: z.coerce
    .number()
    .int()
    .min(10)
    .default(500)
    .describe('How often the outbox sender looks for work from other replicas.'),
  OUTBOX_LEASE_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(60000)
    .describe('How long a replica may hold a Slack call before another replica takes it over (after a crash).'),
  DIAG_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000).describe('Timeout of one diagnostic.'),
  DIAG_MAX_CONCURRENT: z.coerce.number().int().min(1).default(8).describe('Diagnostics running at once (global).'),
  DIAG_MAX_PER_INCIDENT: z.coerce
    .number()
    .int()
    .min(1)
    .default(2)
    .describe('Diagnostics running at once per incident.'),
  SHUTDOWN_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(10000)
    .describe('Grace period for in-flight work on SIGTERM.'),
});

export type Config = z.infer<typeof ConfigSchema>;

/**
 * How /alerts/alertmanager is protected: 'token' (ALERT_WEBHOOK_TOKEN) or 'none'. With a Slack token (a real
 * workspace) and no webhook token, serving is refused unless ALERT_WEBHOOK_AUTH=none says so explicitly:
 * anyone reaching the Service could otherwise open incidents and page people. Throws ConfigError.
 */
export function webhookAuthMode(cfg: Config): 'token' | 'none' {
  if (cfg.ALERT_WEBHOOK_TOKEN) return 'token';
  if (cfg.ALERT_WEBHOOK_AUTH === 'none' || !cfg.SLACK_BOT_TOKEN) return 'none';
  throw new ConfigError(
    'Invalid configuration:\n  ALERT_WEBHOOK_TOKEN: required when SLACK_BOT_TOKEN is set, so that only Alertmanager can open incidents ' +
      '(set ALERT_WEBHOOK_AUTH=none to accept unauthenticated alerts on purpose)',
    { variables: ['ALERT_WEBHOOK_TOKEN'] },
  );
}

/** Reads the environment once; a bad value throws a ConfigError naming each variable and what was expected. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const known = Object.fromEntries(Object.keys(ConfigSchema.shape).map((k) => [k, env[k]]));
  const parsed = ConfigSchema.safeParse(known);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const name = String(i.path[0] ?? '(env)');
      const shown = isSecret(name) ? '(hidden)' : JSON.stringify(env[name]);
      return `  ${name}=${shown}: ${i.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`, {
      variables: parsed.error.issues.map((i) => i.path[0]),
    });
  }
  const cfg = parsed.data;
  if (cfg.SLACK_BOT_TOKEN && !cfg.SLACK_SIGNING_SECRET && !cfg.SLACK_APP_TOKEN) {
    throw new ConfigError(
      'Invalid configuration:\n  SLACK_SIGNING_SECRET: required when SLACK_BOT_TOKEN is set (or set SLACK_APP_TOKEN for Socket Mode)',
    );
  }
  const badSeverities = Object.entries(cfg.SEVERITY_MAP).filter(
    ([, v]) => !Severity.safeParse(v.toUpperCase()).success,
  );
  if (badSeverities.length) {
    throw new ConfigError(
      `Invalid configuration:\n  SEVERITY_MAP: ${badSeverities.map(([k, v]) => `${k}=${v}`).join(', ')}: a label maps to P1, P2, P3 or P4`,
      { variables: ['SEVERITY_MAP'] },
    );
  }
  if (cfg.STATUSPAGE_API_KEY && !cfg.STATUSPAGE_PAGE_ID) {
    throw new ConfigError('Invalid configuration:\n  STATUSPAGE_PAGE_ID: required when STATUSPAGE_API_KEY is set');
  }
  return cfg;
}

const SECRET_NAMES = /TOKEN|SECRET|KEY|PASSWORD|DATABASE_URL|REDIS_URL|_URLS$/;
export function isSecret(name: string): boolean {
  return SECRET_NAMES.test(name);
}

/** A copy safe to log: secrets replaced by "[set]". */
export function redactConfig(cfg: Config): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(cfg).map(([k, v]) => [k, isSecret(k) && v !== undefined && v !== '' ? '[set]' : v]),
  );
}
