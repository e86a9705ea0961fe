import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import type { IncidentHooks, IncidentService } from '../incidents/service.js';
import type { Metrics } from '../metrics.js';
import type { OutboxHandler } from '../outbox/sender.js';
import type { Timer } from '../runbooks/schema.js';
import type { Db } from '../store/db.js';
import { appendEvents, getIncident } from '../store/incidents.js';
import { listTimers, nextPending, type TimerRow } from '../store/timers.js';
import { minutesPhrase } from '../time-phrases.js';
import { createEscalationFire } from './fire.js';
import { createEscalationHooks, PAGERDUTY_OP } from './hooks.js';
import { createPagerDuty } from './paging/pagerduty.js';
import { type DefaultTimers, parseDefaultTimers } from './schedule.js';
import { createTimerWorker, type FireFn, type TimerWorker } from './worker.js';

/** PagerDuty `source` of every event the bot sends. */
const PD_SOURCE = 'incident-bot';

export interface EscalationDeps {
  db: Db;
  config: Config;
  logger: Logger;
  metrics?: Metrics;
  service: IncidentService;
  /** User-group handle -> id (S…), kept up to date by the Slack side; pings mention groups by id. */
  groupIds: Record<string, string>;
  now?: () => Date;
  /** Wakes the outbox sender after a batch of timers stored its pings (else they wait for OUTBOX_POLL_MS). */
  kick?: () => void;
}

/** A timer as the runbook message lists it: the runbook's own, or one the bot scheduled from it. */
export type ScheduledTimer = Pick<Timer, 'afterMinutes' | 'target' | 'condition' | 'text'> & { kind: string };

export interface Escalation {
  /** IncidentService hook: plans, cancels and reschedules timers inside the incident's transaction. */
  hook: IncidentHooks;
  /** Fires due timers (once across restarts and replicas). */
  worker: TimerWorker;
  /** Outbox handlers this domain owns (PagerDuty events). */
  handlers: Record<string, OutboxHandler>;
  /** The next pending timer of an incident (header countdown). */
  nextTimer(incidentId: number): Promise<TimerRow | null>;
  /** Timers shown with the runbook: scheduled ones, reminders and auto-resolve aside. */
  runbookTimers(incidentId: number): Promise<ScheduledTimer[]>;
}

/**
 * The incident clock, set up from configuration: DEFAULT_TIMERS, UPDATE_REMINDER_MINUTES,
 * ESCALATION_TARGETS, AUTO_RESOLVE_MINUTES, PAGERDUTY_ROUTING_KEY. Throws ConfigError on bad DEFAULT_TIMERS.
 * Slack (slack/escalation.ts) adds the ping messages, their buttons and `/incident timers`.
 */
export function createEscalation(deps: EscalationDeps): Escalation {
  const { db, config, logger, service } = deps;
  const now = deps.now ?? (() => new Date());
  let defaults: DefaultTimers;
  try {
    defaults = parseDefaultTimers(config.DEFAULT_TIMERS);
  } catch (err) {
    throw new ConfigError(`Invalid configuration:\n  ${(err as Error).message}`);
  }
  const pagerDuty = config.PAGERDUTY_ROUTING_KEY ? { source: PD_SOURCE } : undefined;

  const hook = createEscalationHooks({
    defaults,
    updateReminderMinutes: config.UPDATE_REMINDER_MINUTES,
    runbook: (inc) => service.currentRunbook(inc),
    pagerDuty,
    now,
  });

  const baseFire = createEscalationFire({
    targets: config.ESCALATION_TARGETS,
    targetOptions: { groupIds: deps.groupIds },
    pagerDuty,
    fallbackGroup: config.DEFAULT_ONCALL_GROUP,
  });
  /** Inside the worker's transaction: the timeline entry commits with the fired state and the ping. */
  const fire: FireFn = async (q, timer, ctx) => {
    const inc = await getIncident(q, timer.incidentId);
    if (!inc || inc.status === 'resolved') return;
    const log = logger.child({ incidentId: inc.id, timerId: timer.id, kind: timer.kind });
    if (timer.kind === 'auto_resolve') {
      // Only if nothing fired again since the timer was set.
      if (inc.alertsResolvedAt && inc.alertsResolvedAt.toISOString() === timer.data.alertsResolvedAt) {
        await service.setStatusIn(
          q,
          inc.id,
          'resolved',
          null,
          `Auto-resolved: every alert stayed resolved for ${minutesPhrase(config.AUTO_RESOLVE_MINUTES)}`,
        );
        log.info('auto-resolved: every alert stayed resolved');
      }
      return;
    }
    await appendEvents(q, inc.id, [
      {
        kind: timer.kind === 'reminder' || timer.kind === 'phase' ? 'timer' : 'escalation',
        actor: null,
        at: ctx.now,
        text: `${timer.text}${ctx.late ? ' (late: it fell due while the bot was down)' : ''}`,
        data: { timerId: timer.id, kind: timer.kind, target: timer.target, late: ctx.late, lagMs: ctx.lagMs },
      },
    ]);
    const rows = await baseFire(q, timer, ctx);
    log.info({ late: ctx.late, lagMs: ctx.lagMs }, 'timer fired');
    deps.metrics?.timersFired.inc({ kind: timer.kind, late: String(ctx.late) });
    deps.metrics?.timerLag.observe(ctx.lagMs / 1000);
    return rows;
  };
  const worker = createTimerWorker({
    db,
    logger,
    metrics: deps.metrics,
    pollMs: config.TIMER_POLL_MS,
    now,
    fire,
    kick: deps.kick,
  });

  const pd = config.PAGERDUTY_ROUTING_KEY
    ? createPagerDuty({ routingKey: config.PAGERDUTY_ROUTING_KEY, apiUrl: config.PAGERDUTY_API_URL })
    : null;
  const page: OutboxHandler = async (row) =>
    pd ? pd.send(row.payload as never) : { skipped: 'PAGERDUTY_ROUTING_KEY unset' };

  return {
    hook,
    worker,
    handlers: { [PAGERDUTY_OP]: page },
    nextTimer: (incidentId) => nextPending(db, incidentId),
    async runbookTimers(incidentId) {
      return (await listTimers(db, incidentId))
        .filter((t) => t.status !== 'cancelled' && t.kind !== 'reminder' && t.kind !== 'auto_resolve')
        .map((t) => ({
          kind: t.kind,
          afterMinutes: Number(t.data.afterMinutes ?? 0),
          target: t.target,
          condition: t.condition,
          text: t.text,
        }));
    },
  };
}
