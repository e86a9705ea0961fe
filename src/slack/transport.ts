import { createHash } from 'node:crypto';
import { App, HTTPReceiver, SocketModeReceiver } from '@slack/bolt';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { sendJson } from '../http/body.js';
import type { Handler } from '../http/server.js';
import type { Metrics } from '../metrics.js';
import type { SeenStore } from '../store/seen.js';
import { type BudgetLimits, memoryBudget, redisBudget, slackLimits } from './budget.js';
import { createSlackCaller, type SlackCaller } from './client.js';
import { redisGate } from './rate-gate.js';
import { guardSlackRequests, type SlackRequestGuardOptions } from './request-guard.js';
import { createUserGroups, type UserGroups } from './usergroups.js';

/** How the bot talks to Slack: Bolt (events in), the Web API caller (outbox out) and the user-group cache. */
export interface SlackTransport {
  app: App;
  caller: SlackCaller;
  usergroups: UserGroups;
  /** Starts receiving; returns the handler for POST /slack/events (a 404 explaining Socket Mode when that is on). */
  listen(): Promise<Handler>;
  /** Stops receiving events (Socket Mode); HTTP delivery stops with the HTTP server. */
  stop(): Promise<void>;
  /** Closes the shared rate-limit memory (Redis), after the last Web API call. */
  close(): void;
}

/**
 * Bolt over HTTP (signed requests to /slack/events, checked for stale or future timestamps, replays and Slack
 * retries before Bolt sees them), or Socket Mode when SLACK_APP_TOKEN is set (with a real workspace, or the local
 * one, which then delivers over Socket Mode too); REDIS_URL shares Slack's rate-limit answers across replicas.
 */
export function createSlackTransport(opts: {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  botToken: string;
  signingSecret: string;
  /** The Web API base (a real workspace's SLACK_API_URL, or the local workspace's). */
  apiUrl?: string;
  /** Signed requests already handled (replays and retries are acknowledged, not acted on twice). */
  seen: SeenStore;
  /** Called for each refused request (rate-limited logging of the sender). */
  onReject?: SlackRequestGuardOptions['onReject'];
  /** The limits the Slack budget keeps under: Slack's tiers by default, the local workspace's in local mode. */
  budgetLimits?: BudgetLimits;
}): SlackTransport {
  const { config, logger } = opts;
  const receiver = config.SLACK_APP_TOKEN
    ? new SocketModeReceiver({
        appToken: config.SLACK_APP_TOKEN,
        logger: boltLogger(logger),
        // apps.connections.open goes to the same Web API as every other call (SLACK_API_URL or the local workspace).
        installerOptions: { clientOptions: { slackApiUrl: opts.apiUrl } },
      })
    : new HTTPReceiver({
        signingSecret: opts.signingSecret,
        endpoints: '/slack/events',
        processBeforeResponse: false,
        logger: boltLogger(logger),
      });
  const app = new App({
    receiver,
    token: opts.botToken,
    logger: boltLogger(logger),
    clientOptions: { slackApiUrl: opts.apiUrl },
    tokenVerificationEnabled: false,
  });
  const redis = config.REDIS_URL
    ? new Redis(config.REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: false })
    : null;
  redis?.on('error', (err) =>
    logger.warn({ err: err.message }, 'Redis unavailable; Slack rate limits are remembered per replica'),
  );
  const limits = opts.budgetLimits ?? slackLimits;
  // Slack counts per workspace and app, i.e. per bot token: replicas of one bot share a budget, other bots
  // (another workspace, a test bot) on the same Redis do not.
  const budgetOpts = {
    limits,
    reserveShare: config.SLACK_BUDGET_RESERVE,
    prefix: `incident-bot:slack-budget:${createHash('sha256').update(opts.botToken).digest('hex').slice(0, 16)}:`,
  };
  const caller = createSlackCaller({
    token: opts.botToken,
    apiUrl: opts.apiUrl,
    metrics: opts.metrics,
    gate: redis ? redisGate(redis) : undefined,
    budget: !config.SLACK_BUDGET ? undefined : redis ? redisBudget(redis, budgetOpts) : memoryBudget(budgetOpts),
  });

  return {
    app,
    caller,
    usergroups: createUserGroups(caller),
    async listen() {
      if (receiver instanceof HTTPReceiver) {
        // Timestamps both ways, replays and Slack retries are settled before Bolt sees a request (real clock, as Slack's).
        return guardSlackRequests(
          { signingSecret: opts.signingSecret, logger, seen: opts.seen, onReject: opts.onReject },
          (req, res) => {
            receiver.requestListener(req, res);
            return true;
          },
        );
      }
      await receiver.start();
      logger.info('connected to Slack in Socket Mode');
      return (_req, res) => {
        sendJson(res, 404, {
          ok: false,
          error: 'socket_mode',
          message: 'this bot receives Slack events over Socket Mode',
        });
        return true;
      };
    },
    async stop() {
      if (receiver instanceof SocketModeReceiver) await receiver.stop().catch(() => {});
    },
    close() {
      redis?.disconnect();
    },
  };
}

/** Bolt logs through our pino instance, so its lines carry the same context and redaction. */
function boltLogger(logger: Logger) {
  const l = logger.child({ component: 'bolt' });
  return {
    debug: (...m: unknown[]) => l.debug(m.map(String).join(' ')),
    info: (...m: unknown[]) => l.info(m.map(String).join(' ')),
    warn: (...m: unknown[]) => l.warn(m.map(String).join(' ')),
    error: (...m: unknown[]) => l.error(m.map(String).join(' ')),
    setLevel: () => {},
    getLevel: () => 'info' as never,
    setName: () => {},
  };
}
