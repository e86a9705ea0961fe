import { AsyncLocalStorage } from 'node:async_hooks';
import { z } from 'zod';
import type { Severity } from '../vocabulary.js';

/**
 * How urgent an outbox row is; the sender claims lower numbers first and the Slack budget keeps a share of
 * every method's rate for 0 and 1 (issue 17):
 * - 0 pings and pages (escalation pings, PagerDuty events);
 * - 1 channel creation, setup, header and runbook of a P1/P2 incident, and replies to something a person just
 *   did (a notice with an actor, a diagnostics result, "taken by", a status-page outcome);
 * - 2 ordinary incident-channel posts, and channel creation and runbooks of P3/P4 incidents;
 * - 3 header refreshes (coalesced: one pending per incident);
 * - 4 announcements and digests in the announcements channel.
 */
export const OutboxPriority = z.number().int().min(0).max(4);
export type OutboxPriority = z.infer<typeof OutboxPriority>;

/** The priority of work a person is waiting for; also what Slack calls made outside the outbox get. */
export const HUMAN_PRIORITY: OutboxPriority = 1;

const PINGS = new Set(['slack.escalationPing', 'pagerduty.send']);
const HUMAN_REPLIES = new Set(['slack.pingTaken', 'slack.statuspageOutcome', 'slack.file', 'statuspage.publish']);
const CHANNEL_SETUP = new Set(['slack.createChannel', 'slack.setupChannel', 'slack.postHeader', 'slack.postRunbook']);
const ANNOUNCEMENTS = new Set(['slack.digest', 'slack.postIncidents']);

/** The op of a header refresh: coalesced while one is pending for the same ordering key. */
export const HEADER_REFRESH_OP = 'slack.updateHeader';

/**
 * Ops that render the incident's current state when sent, so one waiting row stands for any number of
 * requests: a second enqueue while one is pending for the same ordering key adds nothing (store/outbox.ts
 * enqueue, coalesce_key, cleared when the row is claimed).
 */
export const COALESCED_OPS: ReadonlySet<string> = new Set([HEADER_REFRESH_OP, 'slack.announceUpdate']);

/**
 * The priority of an outbox row from its op, its payload and the severity of its incident (null when the
 * row has none). Pure. `slack.post` rows are told apart by their dedupe key: `runbook:` thread parts follow
 * their runbook, `timer:` rows (an escalation target that reaches nobody) rank as pings, other posts are
 * diagnostics results a person asked for.
 */
export function outboxPriority(
  op: string,
  severity: Severity | null,
  extra: { payload?: Record<string, unknown>; dedupeKey?: string | null } = {},
): OutboxPriority {
  const severe = severity === 'P1' || severity === 'P2';
  if (PINGS.has(op)) return 0;
  if (HUMAN_REPLIES.has(op)) return 1;
  if (CHANNEL_SETUP.has(op)) return severe ? 1 : 2;
  if (op === HEADER_REFRESH_OP) return 3;
  if (op.startsWith('slack.announce') || ANNOUNCEMENTS.has(op)) return 4;
  if (op === 'slack.notice') {
    const notice = extra.payload?.notice as { actor?: unknown } | undefined;
    return typeof notice?.actor === 'string' && notice.actor ? 1 : 2;
  }
  if (op === 'slack.post') {
    const key = extra.dedupeKey ?? '';
    if (key.startsWith('runbook:')) return severe ? 1 : 2;
    if (key.startsWith('timer:')) return 0;
    return 1;
  }
  return 2;
}

/** What the sender knows about the row whose handler is running, for the Slack client's budget. */
export interface OutboxCallContext {
  priority: OutboxPriority;
  /** Slack calls this run sent, answered or not (after one, a wait is no longer "nothing happened"). */
  calls: number;
}

const context = new AsyncLocalStorage<OutboxCallContext>();

/** Runs a handler with its row's priority visible to the Slack client (currentCall). */
export function runWithPriority<T>(priority: OutboxPriority, fn: (ctx: OutboxCallContext) => Promise<T>): Promise<T> {
  const ctx: OutboxCallContext = { priority, calls: 0 };
  return context.run(ctx, () => fn(ctx));
}

/** The outbox row being handled in this async context, or undefined outside the sender. */
export function currentCall(): OutboxCallContext | undefined {
  return context.getStore();
}
