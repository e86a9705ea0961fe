import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';

const SECRETS = {
  SLACK_BOT_TOKEN: 'xoxb-secret-bot-token',
  SLACK_SIGNING_SECRET: 'signing-secret-value',
  SLACK_APP_TOKEN: 'xapp-secret-app-token',
  ALERT_WEBHOOK_TOKEN: 'webhook-token-value',
  STATUSPAGE_API_KEY: 'statuspage-api-key-value',
  PAGERDUTY_ROUTING_KEY: 'pagerduty-routing-key-value',
  DATABASE_URL: 'postgres://bot:db-password-value@db.example:5432/incidents',
  REDIS_URL: 'redis://:redis-password-value@cache.example:6379',
  DIAG_POSTGRES_URLS: 'orders=postgres://ro:diag-pg-password@orders.example:5432/orders',
  DIAG_REDIS_URLS: 'sessions=redis://:diag-redis-password@sessions.example:6379',
};
const NEEDLES = [
  'xoxb-secret-bot-token',
  'signing-secret-value',
  'xapp-secret-app-token',
  'webhook-token-value',
  'statuspage-api-key-value',
  'pagerduty-routing-key-value',
  'db-password-value',
  'redis-password-value',
  'diag-pg-password',
  'diag-redis-password',
];

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { logger: createLogger('info', false, stream), lines };
}

describe('log redaction', () => {
  const config = loadConfig({ ...SECRETS, STATUSPAGE_PAGE_ID: 'page1' });

  it('never shows a secret when the whole config is logged, at the top or under a key', () => {
    const { logger, lines } = capture();
    logger.info(config, 'config at top level');
    logger.info({ config }, 'config under a key');
    logger.child({ config }).info('config in a child');
    const out = lines.join('');
    expect(lines).toHaveLength(3);
    for (const needle of NEEDLES) expect(out, needle).not.toContain(needle);
    // The non-secret parts are still there, so the line stays useful.
    expect(out).toContain('"STATUSPAGE_PAGE_ID":"page1"');
    expect(out).toContain('[redacted]');
  });
});
