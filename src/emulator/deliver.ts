import type { Logger } from 'pino';
import { signRequest } from './signing.js';

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
}

export interface DelivererOptions {
  signingSecret: string;
  eventsUrl: () => string | undefined;
  /** Slack gives the app 3 s to acknowledge before telling the user the command failed. */
  ackTimeoutMs: number;
  logger: Logger;
}

/** Sends requests to the app exactly as Slack does: signed, form-encoded for interactions, JSON for events. */
export class Deliverer {
  constructor(private readonly opts: DelivererOptions) {}

  /** Slash commands: plain form fields. */
  form(fields: Record<string, string>): Promise<DeliveryResult> {
    return this.send(new URLSearchParams(fields).toString(), 'application/x-www-form-urlencoded');
  }

  /** Interactivity (block_actions, view_submission): one form field `payload` holding JSON. */
  interaction(payload: unknown): Promise<DeliveryResult> {
    return this.form({ payload: JSON.stringify(payload) });
  }

  /** Events API callbacks: a JSON body. */
  event(body: unknown): Promise<DeliveryResult> {
    return this.send(JSON.stringify(body), 'application/json');
  }

  private async send(rawBody: string, contentType: string): Promise<DeliveryResult> {
    const url = this.opts.eventsUrl();
    if (!url) throw new Error('emulator: no eventsUrl set; call setEventsUrl() with the bot’s /slack/events URL');
    const headers = { 'content-type': contentType, ...signRequest(this.opts.signingSecret, rawBody) };
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
      return { status: res.status, body, error: 'http_service_error' };
    }
    return { status: res.status, body };
  }
}

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
