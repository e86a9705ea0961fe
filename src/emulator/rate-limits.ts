import { z } from 'zod';

/**
 * Slack's documented rate-limit tiers (requests per minute, per method per workspace per app).
 * Slack allows short bursts above these; the bucket capacity models that burst.
 */
export const TIERS = {
  1: { perMinute: 1, burst: 1 },
  2: { perMinute: 20, burst: 5 },
  3: { perMinute: 50, burst: 10 },
  4: { perMinute: 100, burst: 20 },
} as const;

export type Tier = keyof typeof TIERS;

/** Method → tier, from the Slack method reference. Unlisted methods fall back to Tier 3. */
export const METHOD_TIERS: Record<string, Tier | 'post'> = {
  'auth.test': 4,
  'team.info': 3,
  'conversations.create': 2,
  'conversations.info': 3,
  'conversations.invite': 3,
  'conversations.join': 3,
  'conversations.setTopic': 2,
  'conversations.setPurpose': 2,
  'conversations.archive': 2,
  'conversations.history': 3,
  'conversations.replies': 3,
  'conversations.list': 2,
  'conversations.members': 4,
  'conversations.open': 3,
  'chat.postMessage': 'post',
  'chat.update': 3,
  'chat.delete': 3,
  'chat.postEphemeral': 4,
  'chat.getPermalink': 4,
  'views.open': 4,
  'views.update': 4,
  'views.push': 4,
  'views.publish': 4,
  'users.info': 4,
  'users.list': 2,
  'users.lookupByEmail': 3,
  'usergroups.list': 2,
  'usergroups.users.list': 2,
  'pins.add': 2,
  'bookmarks.add': 2,
  'reactions.add': 3,
  'files.getUploadURLExternal': 4,
  'files.completeUploadExternal': 4,
};

/** chat.postMessage: about one message per second per channel, with a short burst. */
const POST_MESSAGE = { perMinute: 60, burst: 3 };

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
    const tier = METHOD_TIERS[method] ?? 3;
    return tier === 'post' ? POST_MESSAGE : TIERS[tier];
  }

  /** Takes one token for this call, or says how long (in real seconds, min 1) the caller must wait. */
  check(method: string, channel?: string): RateDecision {
    if (!this.config.enabled) return { allowed: true };
    const { perMinute, burst } = this.limitFor(method);
    const key = METHOD_TIERS[method] === 'post' && channel ? `${method}:${channel}` : method;
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
