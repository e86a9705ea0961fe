import { z } from 'zod';

/** Fault injection for resilience tests; every field is optional and faults are off when all are zero. */
export const faultConfigSchema = z.object({
  /** Probability (0..1) that a Web API call answers with `errorStatus`. */
  errorRate: z.number().min(0).max(1).default(0),
  /** HTTP status of injected errors (5xx; Slack's edge answers 500/502/503). */
  errorStatus: z.number().int().min(400).max(599).default(503),
  /** Probability (0..1) that a call never answers until `timeoutMs` elapses, then the socket is destroyed. */
  timeoutRate: z.number().min(0).max(1).default(0),
  timeoutMs: z.number().int().min(0).default(30_000),
  /** Extra latency per call: a fixed number of ms or a uniform range. */
  latencyMs: z.union([z.number().min(0), z.object({ min: z.number().min(0), max: z.number().min(0) })]).default(0),
  /** Fail exactly the next N matching calls with `errorStatus` (deterministic, for tests). */
  failNext: z.number().int().min(0).default(0),
  /**
   * Fail exactly the next N matching calls AFTER they acted: the call's effect is kept (the message is
   * posted, the channel created) but the connection is dropped before the answer, as when a network path
   * dies mid-request. The app cannot tell it from a call that never arrived; a retry must not act twice.
   */
  loseAnswerNext: z.number().int().min(0).default(0),
  /** Probability (0..1) of such a lost answer. */
  loseAnswerRate: z.number().min(0).max(1).default(0),
  /**
   * Treat the app's acknowledgement of the next N deliveries (events, slash commands, interactions) as lost:
   * the app got the request and answered, Slack saw nothing in time. Events are then redelivered with
   * Slack's retry headers; a slash command shows the user "operation_timeout".
   */
  loseAckNext: z.number().int().min(0).default(0),
  /** Only these Web API methods are affected (default: all but apps.connections.open). */
  methods: z.array(z.string()).optional(),
  /** Seed for the random draws so a failing run can be replayed. */
  seed: z.number().int().optional(),
});

export type FaultConfig = z.input<typeof faultConfigSchema>;
type ResolvedFaults = z.infer<typeof faultConfigSchema>;

export type FaultDecision =
  | { kind: 'none'; latencyMs: number }
  | { kind: 'error'; status: number; latencyMs: number }
  | { kind: 'timeout'; afterMs: number; latencyMs: number }
  | { kind: 'lost'; latencyMs: number };

/** mulberry32: tiny deterministic PRNG so `seed` makes fault runs reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  private config: ResolvedFaults;
  private random: () => number;

  constructor(config: FaultConfig = {}) {
    this.config = faultConfigSchema.parse(config);
    this.random = this.config.seed === undefined ? Math.random : prng(this.config.seed);
  }

  /** Replaces the whole configuration (fields left out go back to their defaults). */
  configure(config: FaultConfig): void {
    this.config = faultConfigSchema.parse(config);
    this.random = this.config.seed === undefined ? Math.random : prng(this.config.seed);
  }

  get settings(): ResolvedFaults {
    return this.config;
  }

  /** True when the ack of this delivery is to be lost (see loseAckNext). */
  takeLostAck(): boolean {
    if (this.config.loseAckNext <= 0) return false;
    this.config.loseAckNext--;
    return true;
  }

  decide(method: string): FaultDecision {
    const c = this.config;
    if (c.methods && !c.methods.includes(method)) return { kind: 'none', latencyMs: 0 };
    // Socket Mode's connection call is only faulted when named: a test about Slack work should not lose the link.
    if (!c.methods && method === 'apps.connections.open') return { kind: 'none', latencyMs: 0 };
    const latencyMs =
      typeof c.latencyMs === 'number'
        ? c.latencyMs
        : c.latencyMs.min + this.random() * (c.latencyMs.max - c.latencyMs.min);
    if (c.failNext > 0) {
      c.failNext--;
      return { kind: 'error', status: c.errorStatus, latencyMs };
    }
    if (c.loseAnswerNext > 0) {
      c.loseAnswerNext--;
      return { kind: 'lost', latencyMs };
    }
    if (c.loseAnswerRate > 0 && this.random() < c.loseAnswerRate) return { kind: 'lost', latencyMs };
    if (c.errorRate > 0 && this.random() < c.errorRate) return { kind: 'error', status: c.errorStatus, latencyMs };
    if (c.timeoutRate > 0 && this.random() < c.timeoutRate) return { kind: 'timeout', afterMs: c.timeoutMs, latencyMs };
    return { kind: 'none', latencyMs };
  }
}
