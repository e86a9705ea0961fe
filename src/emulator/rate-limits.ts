import { z } from 'zod';
import { limitKey, tierLimit } from '../slack/tiers.js';

// The tier table is Slack's, shared with the bot's own budget (slack/budget.ts): one source for both.
export { METHOD_TIERS, POST_MESSAGE, TIERS, type Tier } from '../slack/tiers.js';

export const rateLimitConfigSchema = z.object({
  enabled: z.boolean().default(false),
  /** 10 = the clock runs ten times faster: buckets refill 10x quicker and Retry-After shrinks (min 1 s). */
  clockScale: z.number().positive().default(1),
  /** Per-method overrides, e.g. { 'conversations.create': { perMinute: 2, burst: 1 } }. */
  overrides: z.record(z.object({ perMinute: z.number().positive(), burst: z.number().int().positive() })).default({}),
});

export type RateLimitConfig = z.input<typeof rateLimitConfigSchema>;
type ResolvedConfig = z.infer<typeof rateLimitConfigSchema>;

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSec: number };

/** Token buckets keyed by method (and channel for chat.postMessage). */
export class RateLimiter {
  private config: ResolvedConfig;
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    config: RateLimitConfig = {},
    private readonly now: () => number = Date.now,
  ) {
    this.config = rateLimitConfigSchema.parse(config);
  }

  /** Merges into the current settings (fields left out keep their value) and starts with full buckets. */
  configure(config: RateLimitConfig): void {
    const given = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined));
    this.config = rateLimitConfigSchema.parse({ ...this.config, ...given });
    this.buckets.clear();
  }

  get settings(): ResolvedConfig {
    return this.config;
  }

  limitFor(method: string): { perMinute: number; burst: number } {
    const override = this.config.overrides[method];
    if (override) return override;
    return tierLimit(method);
  }

  /** Takes one token for this call, or says how long (in real seconds, min 1) the caller must wait. */
  check(method: string, channel?: string): RateDecision {
    if (!this.config.enabled) return { allowed: true };
    const { perMinute, burst } = this.limitFor(method);
    const key = limitKey(method, channel);
    const ratePerMs = (perMinute / 60_000) * this.config.clockScale;
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: burst, updatedMs: now };
    bucket.tokens = Math.min(burst, bucket.tokens + (now - bucket.updatedMs) * ratePerMs);
    bucket.updatedMs = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    // Slack sends whole seconds; WebClient parses it with parseInt, so never send 0 or a fraction.
    const waitMs = (1 - bucket.tokens) / ratePerMs;
    return { allowed: false, retryAfterSec: Math.max(1, Math.ceil(waitMs / 1000)) };
  }
}
