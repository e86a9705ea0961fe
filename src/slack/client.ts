import { LogLevel, type WebAPICallResult, WebClient } from '@slack/web-api';
import type { Metrics } from '../metrics.js';
import { BudgetWait, PermanentError, RetryableError } from '../outbox/errors.js';
import { currentCall, HUMAN_PRIORITY } from '../outbox/priority.js';
import type { SlackBudget } from './budget.js';
import { memoryGate, type RateGate } from './rate-gate.js';

/** Slack error codes worth another try later; everything else from the platform is final. */
const RETRYABLE_CODES = new Set([
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'ratelimited',
  'rate_limited',
  'team_added_to_org',
]);

export interface SlackCaller {
  /** Calls a Web API method; throws RetryableError (429, 5xx, network) or PermanentError (Slack said no). */
  call<T = WebAPICallResult>(method: string, args: Record<string, unknown>): Promise<T & WebAPICallResult>;
  client: WebClient;
}

/** How long a call made outside the outbox (a reply to a person) waits for its token at most, in ms. */
const DIRECT_WAIT_MAX_MS = 2000;

/**
 * The WebClient the outbox uses: no retries of its own (the outbox retries, durably), a per-method /
 * per-channel gate so that after one 429 we stop knocking until Retry-After passes, and the Slack budget
 * (slack/budget.ts): a call first takes a token of its method at the priority of the outbox row being sent
 * (outbox/priority.ts currentCall; a call outside the outbox is a reply to a person, priority 1). Without
 * one it throws BudgetWait (the outbox puts the row back, nothing sent); outside the outbox it waits up to
 * 2 s and then calls anyway.
 */
export function createSlackCaller(opts: {
  token: string;
  apiUrl?: string;
  metrics?: Metrics;
  timeoutMs?: number;
  /** Shared 429 memory (Redis across replicas); in-process by default. */
  gate?: RateGate;
  /** Tokens per method before each call; none: call straight away (SLACK_BUDGET=off). */
  budget?: SlackBudget;
}): SlackCaller {
  const client = new WebClient(opts.token, {
    slackApiUrl: opts.apiUrl,
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
    timeout: opts.timeoutMs ?? 10_000,
    logLevel: LogLevel.ERROR,
  });
  const gate = opts.gate ?? memoryGate();

  const gateKey = (method: string, args: Record<string, unknown>) =>
    method === 'chat.postMessage' && typeof args.channel === 'string' ? `${method}:${args.channel}` : method;

  return {
    client,
    async call(method, args) {
      const key = gateKey(method, args);
      const until = await gate.blockedUntil(key);
      if (until > Date.now())
        throw new RetryableError(`${method} is rate limited`, Math.ceil((until - Date.now()) / 1000));
      const row = currentCall();
      if (opts.budget) {
        const priority = row?.priority ?? HUMAN_PRIORITY;
        const channel = typeof args.channel === 'string' ? args.channel : undefined;
        const d = await opts.budget.take(method, channel, priority);
        if (!d.ok && row)
          throw new BudgetWait(`${method} waits for the Slack budget (priority ${priority})`, d.waitMs / 1000);
        if (!d.ok) await new Promise((r) => setTimeout(r, Math.min(d.waitMs, DIRECT_WAIT_MAX_MS)));
      }
      // From here Slack may act, even if the answer is lost.
      if (row) row.calls++;
      try {
        const res = await client.apiCall(method, args);
        opts.metrics?.slackCalls.inc({ method, status: 'ok' });
        return res as never;
      } catch (err) {
        const e = classify(err, method, opts.metrics);
        if (e instanceof RetryableError && e.retryAfterSec != null)
          await gate.block(key, Date.now() + e.retryAfterSec * 1000);
        throw e;
      }
    },
  };
}

interface SlackErrorLike {
  code?: string;
  retryAfter?: number;
  statusCode?: number;
  data?: { error?: string; response_metadata?: { messages?: string[] } };
  message?: string;
}

function classify(err: unknown, method: string, metrics?: Metrics): Error {
  const e = err as SlackErrorLike;
  if (e.code === 'slack_webapi_rate_limited_error') {
    const after = Math.max(1, Number(e.retryAfter ?? 1));
    metrics?.slackCalls.inc({ method, status: 'rate_limited' });
    return new RetryableError(`${method} rate limited for ${after}s`, after);
  }
  if (e.code === 'slack_webapi_platform_error') {
    const code = e.data?.error ?? 'unknown_error';
    metrics?.slackCalls.inc({ method, status: code });
    const detail = e.data?.response_metadata?.messages?.join('; ');
    const msg = `${method} failed: ${code}${detail ? ` (${detail})` : ''}`;
    return RETRYABLE_CODES.has(code)
      ? new RetryableError(msg)
      : Object.assign(new PermanentError(msg), { slackError: code });
  }
  // HTTP errors (5xx), timeouts and connection failures.
  metrics?.slackCalls.inc({ method, status: e.statusCode ? `http_${e.statusCode}` : 'network' });
  return new RetryableError(`${method} failed: ${e.message ?? String(err)}`);
}

/** The Slack error code of a PermanentError from `call`, if any. */
export function slackErrorCode(err: unknown): string | null {
  return (err as { slackError?: string }).slackError ?? null;
}
