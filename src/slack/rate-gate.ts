import type { Redis } from 'ioredis';

/**
 * Remembers "Slack said 429 for this method (or channel) until T", so callers wait instead of knocking.
 * In memory per process; with Redis shared by every replica, since Slack's limits are per workspace.
 */
export interface RateGate {
  /** Epoch ms until which the key is blocked (0 when free). */
  blockedUntil(key: string): Promise<number>;
  block(key: string, untilMs: number): Promise<void>;
}

export function memoryGate(): RateGate {
  const until = new Map<string, number>();
  return {
    blockedUntil: async (key) => until.get(key) ?? 0,
    block: async (key, ms) => {
      until.set(key, Math.max(ms, until.get(key) ?? 0));
    },
  };
}

/** Redis-backed gate: keys expire by themselves when the block ends; a Redis error never blocks Slack calls. */
export function redisGate(redis: Redis, prefix = 'incident-bot:slack-gate:'): RateGate {
  const local = memoryGate();
  return {
    async blockedUntil(key) {
      const mine = await local.blockedUntil(key);
      const shared = Number(await redis.get(prefix + key).catch(() => null)) || 0;
      return Math.max(mine, shared);
    },
    async block(key, untilMs) {
      await local.block(key, untilMs);
      const ttl = Math.max(1, untilMs - Date.now());
      await redis.set(prefix + key, String(untilMs), 'PX', ttl).catch(() => {});
    },
  };
}
