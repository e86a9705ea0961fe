import { createHmac } from 'node:crypto';

/** Slack's v0 request signature: `v0=` + hex HMAC-SHA256(secret, `v0:{timestamp}:{rawBody}`). */
export function computeSignature(signingSecret: string, rawBody: string, timestampSec: number): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestampSec}:${rawBody}`).digest('hex')}`;
}

/**
 * Headers Slack sends with every request to the app. Tests pass an old `timestampSec` or a body other than
 * the one they send to check the bot rejects stale or tampered requests.
 */
export function signRequest(
  signingSecret: string,
  rawBody: string,
  timestampSec: number = Math.floor(Date.now() / 1000),
): { 'x-slack-signature': string; 'x-slack-request-timestamp': string } {
  return {
    'x-slack-signature': computeSignature(signingSecret, rawBody, timestampSec),
    'x-slack-request-timestamp': String(timestampSec),
  };
}
