import axios, { type AxiosInstance } from 'axios';
import { z } from 'zod';
import { PermanentError, RetryableError } from '../../outbox/errors.js';

/**
 * PagerDuty Events API v2 (POST /v2/enqueue). The incident id is the dedup_key, so the trigger sent by an
 * escalation timer and the acknowledge/resolve sent when the incident is acked/resolved land on one alert.
 * Called from the outbox sender, never from a timer's transaction. The routing key is a secret: it is
 * never logged and never part of a thrown error.
 */

export const PagerDutyEvent = z.object({
  action: z.enum(['trigger', 'acknowledge', 'resolve']),
  dedupKey: z.string().min(1).max(255),
  summary: z.string().min(1),
  severity: z.enum(['critical', 'error', 'warning', 'info']),
  source: z.string().min(1),
  links: z.array(z.object({ href: z.string(), text: z.string() })).optional(),
  customDetails: z.record(z.unknown()).optional(),
});
export type PagerDutyEvent = z.infer<typeof PagerDutyEvent>;

export interface PagerDutyOptions {
  routingKey: string;
  /** Default https://events.pagerduty.com (PAGERDUTY_API_URL). */
  apiUrl?: string;
  timeoutMs?: number;
  /** Extra attempts after the first on 429, 5xx and network errors. */
  retries?: number;
  /** First backoff; doubles per attempt (tests pass 1). */
  backoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface PagerDuty {
  send(e: PagerDutyEvent): Promise<{ status: string; dedupKey: string }>;
}

/** P-level -> PagerDuty severity. */
export function pagerDutySeverity(severity: string): PagerDutyEvent['severity'] {
  return ({ P1: 'critical', P2: 'error', P3: 'warning', P4: 'info' } as const)[severity as 'P1'] ?? 'error';
}

/** PagerDuty limits summary to 1024 characters. */
const SUMMARY_MAX = 1024;

export function createPagerDuty(opts: PagerDutyOptions): PagerDuty {
  if (!opts.routingKey) throw new PermanentError('PagerDuty routing key is empty (PAGERDUTY_ROUTING_KEY)');
  const retries = opts.retries ?? 3;
  const backoff = opts.backoffMs ?? 500;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const http: AxiosInstance = axios.create({
    baseURL: (opts.apiUrl ?? 'https://events.pagerduty.com').replace(/\/+$/, ''),
    timeout: opts.timeoutMs ?? 10_000,
    headers: { 'Content-Type': 'application/json' },
    // Every status comes back as a response; we decide what is retryable.
    validateStatus: () => true,
  });

  return {
    async send(input) {
      const e = PagerDutyEvent.parse(input);
      const body = toBody(opts.routingKey, e);
      let lastError = '';
      for (let attempt = 0; attempt <= retries; attempt++) {
        if (attempt > 0) await sleep(backoff * 2 ** (attempt - 1));
        let res: { status: number; data: unknown; headers: Record<string, unknown> };
        try {
          res = await http.post('/v2/enqueue', body);
        } catch (err) {
          // Network error or timeout. Only the code/message: axios errors carry the request body (routing key).
          const ax = err as { code?: string; message?: string };
          lastError = `PagerDuty ${e.action} failed: ${ax.code ?? ''} ${ax.message ?? String(err)}`.trim();
          continue;
        }
        const data = (res.data ?? {}) as { status?: string; message?: string; dedup_key?: string; errors?: string[] };
        if (res.status >= 200 && res.status < 300) {
          return { status: data.status ?? 'success', dedupKey: data.dedup_key ?? e.dedupKey };
        }
        const detail = [data.message, ...(data.errors ?? [])].filter(Boolean).join('; ');
        if (res.status === 429 || res.status >= 500) {
          lastError = `PagerDuty ${e.action} got HTTP ${res.status}${detail ? `: ${detail}` : ''}`;
          continue;
        }
        // 400 invalid event, 401/403/404 bad key or URL: sending it again will not help.
        throw new PermanentError(
          `PagerDuty rejected the ${e.action} event (HTTP ${res.status})${detail ? `: ${detail}` : ''}`,
        );
      }
      throw new RetryableError(`${lastError} (after ${retries + 1} attempts)`);
    },
  };
}

function toBody(routingKey: string, e: PagerDutyEvent): Record<string, unknown> {
  const body: Record<string, unknown> = { routing_key: routingKey, event_action: e.action, dedup_key: e.dedupKey };
  // acknowledge/resolve only need the dedup key; PagerDuty ignores a payload on them.
  if (e.action === 'trigger') {
    body.payload = {
      summary: e.summary.length > SUMMARY_MAX ? `${e.summary.slice(0, SUMMARY_MAX - 1)}…` : e.summary,
      source: e.source,
      severity: e.severity,
      ...(e.customDetails ? { custom_details: e.customDetails } : {}),
    };
    if (e.links?.length) body.links = e.links;
  }
  return body;
}
