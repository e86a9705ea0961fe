import { LogLevel, type WebAPICallResult, WebClient } from '@slack/web-api';
import type { Metrics } from '../metrics.js';
import { PermanentError, RetryableError } from '../outbox/errors.js';
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

/**
 * The WebClient the outbox uses: no retries of its own (the outbox retries, durably), and a
 * per-method / per-channel gate so that after one 429 we stop knocking until Retry-After passes.
 */
export function createSlackCaller(opts: {
  token: string;
  apiUrl?: string;
  metrics?: Metrics;
  timeoutMs?: number;
  /** Shared 429 memory (Redis across replicas); in-process by default. */
  gate?: RateGate;
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
