import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Incident } from '../incidents/model.js';
import { type IncidentHooks, type IncidentService, orderingKey, slackOp } from '../incidents/service.js';
import { PermanentError, RetryableError } from '../outbox/errors.js';
import type { OutboxHandler } from '../outbox/sender.js';
import type { Db } from '../store/db.js';
import { enqueue } from '../store/outbox.js';
import { createStatusPageProvider } from './index.js';
import { type StatusPageProvider, StatuspageError } from './provider.js';
import { mappedComponents } from './public.js';
import { deliverStatusUpdate, STATUSPAGE_PUBLISH_OP } from './publish.js';
import type { AlertLike, TemplateLike } from './template.js';
import { loadTemplateFile } from './template-file.js';

/** Outbox op: offer to update the status page after the incident's status changed (payload StatuspageOffer). */
export const STATUSPAGE_OFFER_OP = 'slack.statuspageOffer';
/** Outbox op: tell a channel how a publish went (payload StatuspageOutcome). */
export const STATUSPAGE_OUTCOME_OP = 'slack.statuspageOutcome';

export interface StatuspageOffer {
  status: Incident['status'];
}

/** How a publish went, for the incident channel (`to: 'channel'`) or #incidents (`to: 'incidents'`). */
export type StatuspageOutcome =
  | {
      to: 'channel' | 'incidents';
      ok: true;
      /** True when an existing status-page incident was updated, false when one was created. */
      updated: boolean;
      status: string;
      url: string | null;
      body: string;
    }
  | { to: 'channel'; ok: false; message: string };

export interface StatuspageDeps {
  db: Db;
  config: Config;
  logger: Logger;
  service: IncidentService;
  /** Wakes the outbox sender after this domain queued work outside a service commit. */
  kick: () => void;
}

export interface Statuspage {
  provider: StatusPageProvider;
  /** COMMUNICATION_TEMPLATE, loaded at start-up. */
  fallbackTemplate: TemplateLike | null;
  /** The communication template for an incident: the runbook's, else COMMUNICATION_TEMPLATE, else null (built-in). */
  templateFor(inc: Incident): TemplateLike | null;
  /** The public component names STATUSPAGE_COMPONENTS gives this incident's service/team labels. */
  publicComponents(inc: Incident, alerts: readonly AlertLike[]): string[];
  /** After a status change on a public incident: offer the matching update. */
  hook: IncidentHooks;
  /** Outbox handlers this domain owns (publishing). */
  handlers: Record<string, OutboxHandler>;
}

/**
 * The status page, set up from STATUSPAGE_API_KEY / STATUSPAGE_PAGE_ID / STATUSPAGE_API_URL (Atlassian
 * Statuspage, else a provider that only logs), STATUSPAGE_COMPONENTS and COMMUNICATION_TEMPLATE. Throws ConfigError when a
 * key is set without a page id, and the template file's errors when it cannot be read.
 */
export async function createStatuspage(deps: StatuspageDeps): Promise<Statuspage> {
  const { config, db } = deps;
  const provider = createStatusPageProvider({
    kind: config.STATUSPAGE_API_KEY ? 'atlassian' : 'log',
    apiKey: config.STATUSPAGE_API_KEY,
    pageId: config.STATUSPAGE_PAGE_ID,
    apiUrl: config.STATUSPAGE_API_URL,
    logger: deps.logger.child({ component: 'statuspage' }),
    // Without a real status page (local mode), the mapped components are the ones offered, by name.
    components: [...new Set(Object.values(config.STATUSPAGE_COMPONENTS))].map((name) => ({
      id: name,
      name,
      status: 'operational' as const,
    })),
  });
  const fallbackTemplate = config.COMMUNICATION_TEMPLATE ? await loadTemplateFile(config.COMMUNICATION_TEMPLATE) : null;

  const outcome = (incidentId: number, o: StatuspageOutcome) => ({
    op: STATUSPAGE_OUTCOME_OP,
    orderingKey: o.to === 'channel' ? orderingKey(incidentId) : `chan:${config.INCIDENTS_CHANNEL}`,
    incidentId,
    payload: o as unknown as Record<string, unknown>,
  });

  /** Outbox: publish, then tell the channel and #incidents; 4xx are reported, 5xx retried. */
  const publish: OutboxHandler = async (row) => {
    const incidentId = row.incidentId!;
    const log = deps.logger.child({ incidentId, component: 'statuspage' });
    try {
      const done = await db.tx((q) => deliverStatusUpdate(q, provider, incidentId, row.payload as never, new Date()));
      const told = {
        ok: true as const,
        updated: Boolean(done.update.existingId),
        status: done.update.status,
        url: done.result.url ?? null,
        body: done.update.body,
      };
      await db.tx((q) =>
        enqueue(q, [
          outcome(incidentId, { to: 'channel', ...told }),
          outcome(incidentId, { to: 'incidents', ...told }),
        ]),
      );
      deps.kick();
      log.info({ status: done.update.status }, 'status page updated');
      return done.result;
    } catch (err) {
      if (err instanceof StatuspageError && err.retryable) {
        const after = err.retryAfterMs;
        throw new RetryableError(err.message, after ? Math.ceil(after / 1000) : null);
      }
      const message = err instanceof Error ? err.message : String(err);
      log.warn({ err: message }, 'status page update failed');
      await db.tx((q) => enqueue(q, outcome(incidentId, { to: 'channel', ok: false, message })));
      deps.kick();
      throw new PermanentError(message);
    }
  };

  const hook: IncidentHooks = {
    async changed(q, before, after, events) {
      if (!after.statuspageIncidentId || before.status === after.status) return;
      if (!events.some((e) => e.kind === 'status' || e.kind === 'resolved' || e.kind === 'reopened')) return;
      const offer: StatuspageOffer = { status: after.status };
      await enqueue(q, slackOp(after, STATUSPAGE_OFFER_OP, { ...offer }));
    },
  };

  return {
    provider,
    fallbackTemplate,
    templateFor: (inc) =>
      deps.service.currentRunbook(inc)?.document.templates.communication ?? fallbackTemplate ?? null,
    publicComponents: (inc, alerts) => mappedComponents(inc, alerts, config.STATUSPAGE_COMPONENTS),
    hook,
    handlers: { [STATUSPAGE_PUBLISH_OP]: publish },
  };
}
