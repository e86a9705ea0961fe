import type { Logger } from 'pino';
import { signRequest } from './signing.js';
import type { SocketModeHub } from './socket-mode.js';

/** Whatever the app answered; ack bodies are free-form (a string, `{text}`, `{response_action}`...). */
// biome-ignore lint/suspicious/noExplicitAny: the app's ack body has no fixed shape; tests read fields off it
export type AckBody = any;

export interface DeliveryResult {
  /** HTTP status from the app; 0 when it did not answer (connection refused or timeout). */
  status: number;
  /** Parsed JSON when the app answered JSON, the text otherwise ('' for an empty ack). */
  body: AckBody;
  /** Slack's name for a failed delivery, as users see it: operation_timeout, dispatch_failed, http_service_error. */
  error?: string;
  /** The app asked Slack not to retry this event (`X-Slack-No-Retry: 1`). */
  noRetry?: boolean;
}

/**
 * Slack redelivers an Events API request the app did not acknowledge with a 2xx within 3 s: nearly at once,
 * after 1 minute and after 5 minutes (https://api.slack.com/apis/events-api#retries). Tests pass shorter delays.
 */
export const SLACK_EVENT_RETRY_DELAYS_MS = [0, 60_000, 300_000];

export interface DelivererOptions {
  signingSecret: string;
  eventsUrl: () => string | undefined;
  /** Slack gives the app 3 s to acknowledge before telling the user the command failed. */
  ackTimeoutMs: number;
  logger: Logger;
  /** When it returns a hub, requests go over Socket Mode instead of signed HTTP posts. */
  socket?: () => SocketModeHub | undefined;
  /** Fault injection: true when this delivery's ack is to be treated as lost. */
  loseAck?: () => boolean;
  /** Delays before each redelivery of an unacknowledged event (default: Slack's). [] turns retries off. */
  eventRetryDelaysMs?: () => number[];
}

/** Sends requests to the app exactly as Slack does: signed, form-encoded for interactions, JSON for events. */
export class Deliverer {
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private retriesRunning = 0;
  /** Event redeliveries made so far (each attempt after the first), for tests and stats. */
  retriesSent = 0;

  constructor(private readonly opts: DelivererOptions) {}

  /** Slash commands: plain form fields (Socket Mode: a `slash_commands` envelope carrying the same fields). */
  form(fields: Record<string, string>): Promise<DeliveryResult> {
    const hub = this.opts.socket?.();
    if (hub) return this.lossy(hub.send('slash_commands', fields, { acceptsResponsePayload: true }));
    return this.lossy(this.send(new URLSearchParams(fields).toString(), FORM));
  }

  /** Applies an injected lost ack: the app acted, Slack saw no answer. */
  private async lossy(p: Promise<DeliveryResult>): Promise<DeliveryResult> {
    const result = await p;
    if (result.error || !this.opts.loseAck?.()) return result;
    this.opts.logger.debug('emulator: injected lost ack');
    return { status: 0, body: '', error: 'operation_timeout' };
  }

  /** Interactivity (block_actions, view_submission): one form field `payload` holding JSON. */
  interaction(payload: unknown): Promise<DeliveryResult> {
    const hub = this.opts.socket?.();
    if (hub) {
      const type = (payload as { type?: string }).type;
      const accepts = type === 'view_submission' || type === 'block_suggestion';
      return this.lossy(hub.send('interactive', payload, { acceptsResponsePayload: accepts }));
    }
    return this.lossy(this.send(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), FORM));
  }

  /**
   * Events API callbacks: a JSON body (Socket Mode: an `events_api` envelope). An attempt that is not
   * acknowledged is redelivered in the background with `X-Slack-Retry-Num` / `X-Slack-Retry-Reason`
   * (`retry_attempt` / `retry_reason` over Socket Mode); the first attempt's result is returned.
   */
  async event(body: unknown): Promise<DeliveryResult> {
    const first = await this.eventAttempt(body, 0, '');
    this.scheduleRetry(body, first, 1);
    return first;
  }

  /** Event redeliveries still waiting for their time. */
  get retriesPending(): number {
    return this.retryTimers.size + this.retriesRunning;
  }

  private eventAttempt(body: unknown, attempt: number, reason: string): Promise<DeliveryResult> {
    const hub = this.opts.socket?.();
    if (hub)
      return this.lossy(
        hub.send('events_api', body, { acceptsResponsePayload: false, retryAttempt: attempt, retryReason: reason }),
      );
    const retry: Record<string, string> = attempt
      ? { 'x-slack-retry-num': String(attempt), 'x-slack-retry-reason': reason }
      : {};
    return this.lossy(this.send(JSON.stringify(body), 'application/json', retry));
  }

  private scheduleRetry(body: unknown, last: DeliveryResult, attempt: number): void {
    if (!last.error || last.noRetry) return;
    const delays = this.opts.eventRetryDelaysMs?.() ?? SLACK_EVENT_RETRY_DELAYS_MS;
    const delay = delays[attempt - 1];
    if (delay === undefined) return;
    const reason = this.opts.socket?.()
      ? 'timeout'
      : last.error === 'operation_timeout'
        ? 'http_timeout'
        : last.status === 0
          ? 'connection_failed'
          : 'http_error';
    const timer = setTimeout(async () => {
      this.retryTimers.delete(timer);
      this.retriesSent++;
      this.retriesRunning++;
      this.opts.logger.info({ attempt, reason }, 'emulator: redelivering an unacknowledged event');
      const result = await this.eventAttempt(body, attempt, reason).catch(
        (): DeliveryResult => ({ status: 0, body: '', error: 'dispatch_failed' }),
      );
      this.retriesRunning--;
      this.scheduleRetry(body, result, attempt + 1);
    }, delay);
    timer.unref();
    this.retryTimers.add(timer);
  }

  /** Drops redeliveries still waiting (emulator shutdown). */
  cancelRetries(): void {
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
  }

  private async send(
    rawBody: string,
    contentType: string,
    extraHeaders: Record<string, string> = {},
  ): Promise<DeliveryResult> {
    const url = this.opts.eventsUrl();
    if (!url) throw new Error('emulator: no eventsUrl set; call setEventsUrl() with the bot’s /slack/events URL');
    const headers = { 'content-type': contentType, ...extraHeaders, ...signRequest(this.opts.signingSecret, rawBody) };
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers,
        body: rawBody,
        signal: AbortSignal.timeout(this.opts.ackTimeoutMs),
      });
    } catch (e) {
      const timedOut = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError');
      this.opts.logger.warn({ err: e, url }, 'emulator: delivery to the app failed');
      return { status: 0, body: '', error: timedOut ? 'operation_timeout' : 'dispatch_failed' };
    }
    const text = await res.text();
    const body = parseAck(text, res.headers.get('content-type') ?? '');
    if (res.status < 200 || res.status >= 300) {
      this.opts.logger.warn({ status: res.status, url }, 'emulator: the app answered with an error status');
      const noRetry = res.headers.get('x-slack-no-retry') === '1';
      return { status: res.status, body, error: 'http_service_error', ...(noRetry ? { noRetry } : {}) };
    }
    return { status: res.status, body };
  }
}

const FORM = 'application/x-www-form-urlencoded';

function parseAck(text: string, contentType: string): AckBody {
  if (!text) return '';
  if (contentType.includes('json') || /^\s*[{[]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}
