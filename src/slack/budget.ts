import type { Redis } from 'ioredis';
import type { OutboxPriority } from '../outbox/priority.js';
import { limitKey, tierLimit } from './tiers.js';

/** Requests per minute and burst of one method (null: not limited, the budget lets every call through). */
export interface BudgetLimits {
  limitFor(method: string): { perMinute: number; burst: number } | null;
  /** How fast the limits' clock runs: 1 for Slack, the local workspace's clockScale in local mode. */
  clockScale(): number;
}

/** Slack's published tiers (slack/tiers.ts) at Slack's speed. */
export const slackLimits: BudgetLimits = { limitFor: tierLimit, clockScale: () => 1 };

/** Go ahead, or wait `waitMs` (milliseconds, may be fractional) before asking again. */
export type BudgetDecision = { ok: true } | { ok: false; waitMs: number };

/**
 * A token bucket per Slack method (per channel for chat.postMessage), as Slack counts its limits: per
 * workspace per app, so replicas share one through Redis. Work of priority 0-1 (pings, pages, P1/P2 channels,
 * replies to people) may take any token; other work leaves `reserve` tokens in the bucket and also stays
 * out while an urgent call is waiting for its token, so urgent work is never starved by a backlog.
 */
export interface SlackBudget {
  take(method: string, channel: string | undefined, priority: OutboxPriority): Promise<BudgetDecision>;
}

export interface BudgetOptions {
  limits?: BudgetLimits;
  /** Share of each bucket's burst kept for priority 0-1 (SLACK_BUDGET_RESERVE), at most burst - 1 tokens. */
  reserveShare?: number;
  now?: () => number;
  /** In [0, 1): spreads the waits of held-back work so it does not all come back at once. */
  random?: () => number;
}

/** One bucket: tokens left, when they were counted, until when urgent work waits for a token (epoch ms). */
export interface BucketState {
  tokens: number;
  updatedMs: number;
  holdUntilMs: number;
}

/** Tokens held back from work of priority 2-4 in a bucket of `burst`. */
export const reserveOf = (burst: number, share: number) => Math.max(0, Math.min(burst - 1, Math.floor(burst * share)));

/**
 * One decision on a bucket (pure; the Redis script below is the same rule). `ratePerMs` is tokens per ms.
 * An urgent call that finds no token holds the bucket for itself until one more token has been made after
 * the one it waits for, so held-back work cannot take it first.
 */
export function stepBucket(
  prev: BucketState | undefined,
  now: number,
  ratePerMs: number,
  burst: number,
  reserve: number,
  urgent: boolean,
): { state: BucketState; decision: BudgetDecision } {
  const s = prev ?? { tokens: burst, updatedMs: now, holdUntilMs: 0 };
  let tokens = Math.min(burst, s.tokens + Math.max(0, now - s.updatedMs) * ratePerMs);
  let hold = s.holdUntilMs;
  let decision: BudgetDecision;
  if (urgent) {
    if (tokens >= 1) {
      tokens -= 1;
      hold = 0;
      decision = { ok: true };
    } else {
      const wait = (1 - tokens) / ratePerMs;
      hold = Math.max(hold, now + wait + 1 / ratePerMs);
      decision = { ok: false, waitMs: wait };
    }
  } else if (hold > now) decision = { ok: false, waitMs: hold - now };
  else if (tokens >= 1 + reserve) {
    tokens -= 1;
    decision = { ok: true };
  } else decision = { ok: false, waitMs: (1 + reserve - tokens) / ratePerMs };
  return { state: { tokens, updatedMs: Math.max(now, s.updatedMs), holdUntilMs: hold }, decision };
}

interface Bucket {
  key: string;
  ratePerMs: number;
  burst: number;
  reserve: number;
}

function bucketFor(limits: BudgetLimits, share: number, method: string, channel?: string): Bucket | null {
  const limit = limits.limitFor(method);
  if (!limit) return null;
  return {
    key: limitKey(method, channel),
    ratePerMs: (limit.perMinute / 60_000) * limits.clockScale(),
    burst: limit.burst,
    reserve: reserveOf(limit.burst, share),
  };
}

/** Held-back work waits a little longer than the bare refill time, spread, so it does not come back in a herd. */
function spread(d: BudgetDecision, urgent: boolean, random: () => number): BudgetDecision {
  return d.ok || urgent ? d : { ok: false, waitMs: d.waitMs * (1 + 0.25 * random()) };
}

/** The budget of one process (no Redis, or Redis unreachable). */
export function memoryBudget(opts: BudgetOptions = {}): SlackBudget {
  const limits = opts.limits ?? slackLimits;
  const share = opts.reserveShare ?? 0.4;
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  const buckets = new Map<string, BucketState>();
  return {
    async take(method, channel, priority) {
      const b = bucketFor(limits, share, method, channel);
      if (!b) return { ok: true };
      const urgent = priority <= 1;
      const { state, decision } = stepBucket(buckets.get(b.key), now(), b.ratePerMs, b.burst, b.reserve, urgent);
      buckets.set(b.key, state);
      return spread(decision, urgent, random);
    },
  };
}

/** stepBucket in Lua, so that replicas take tokens from one bucket atomically. Numbers come back as strings. */
const STEP_LUA = `
local now = tonumber(ARGV[1]); local rate = tonumber(ARGV[2]); local burst = tonumber(ARGV[3])
local reserve = tonumber(ARGV[4]); local urgent = ARGV[5] == '1'
local s = redis.call('HMGET', KEYS[1], 't', 'u', 'h')
local tokens = tonumber(s[1]) or burst
local updated = tonumber(s[2]) or now
local hold = tonumber(s[3]) or 0
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate)
local ok = 0
local wait = 0
if urgent then
  if tokens >= 1 then tokens = tokens - 1; hold = 0; ok = 1
  else wait = (1 - tokens) / rate; hold = math.max(hold, now + wait + 1 / rate) end
elseif hold > now then wait = hold - now
elseif tokens >= 1 + reserve then tokens = tokens - 1; ok = 1
else wait = (1 + reserve - tokens) / rate end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'u', tostring(math.max(now, updated)), 'h', tostring(hold))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate) + 60000)
return {ok, tostring(wait)}
`;

/**
 * The budget shared by every replica through Redis (one hash per bucket, updated by one script). A Redis
 * error never blocks Slack calls: that call is decided by this process's own budget instead.
 */
export function redisBudget(
  redis: Redis,
  opts: BudgetOptions & { prefix?: string; onError?: (err: unknown) => void } = {},
): SlackBudget {
  const limits = opts.limits ?? slackLimits;
  const share = opts.reserveShare ?? 0.4;
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  const prefix = opts.prefix ?? 'incident-bot:slack-budget:';
  const local = memoryBudget(opts);
  return {
    async take(method, channel, priority) {
      const b = bucketFor(limits, share, method, channel);
      if (!b) return { ok: true };
      const urgent = priority <= 1;
      try {
        const [ok, wait] = (await redis.eval(
          STEP_LUA,
          1,
          prefix + b.key,
          String(now()),
          String(b.ratePerMs),
          String(b.burst),
          String(b.reserve),
          urgent ? '1' : '0',
        )) as [number, string];
        return spread(ok === 1 ? { ok: true } : { ok: false, waitMs: Number(wait) }, urgent, random);
      } catch (err) {
        opts.onError?.(err);
        return local.take(method, channel, priority);
      }
    },
  };
}
