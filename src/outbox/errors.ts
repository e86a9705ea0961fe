import { UserFacingError } from '../errors.js';

/** A call that may succeed later (rate limit, 5xx, timeout): the outbox waits and tries again. */
export class RetryableError extends UserFacingError {
  constructor(
    message: string,
    /** Seconds the other side asked us to wait (Retry-After), when it said. */
    readonly retryAfterSec: number | null = null,
  ) {
    super(message, 'retryable');
  }
}

/**
 * Nothing was sent: the call waits for its share of the Slack budget (slack/budget.ts). The outbox puts
 * the row back for `retryAfterSec` (fractions allowed) without counting an attempt, unless an earlier call of
 * the same row already went out.
 */
export class BudgetWait extends RetryableError {}

/** A call that will never succeed as it is (bad request, channel gone): recorded, not retried. */
export class PermanentError extends UserFacingError {
  constructor(message: string) {
    super(message, 'permanent');
  }
}

/** Exponential backoff with jitter, capped: 1 s, 2 s, 4 s ... 60 s. */
export function backoffMs(attempt: number, rand = Math.random): number {
  const base = Math.min(60_000, 1000 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.75 + rand() * 0.5));
}
