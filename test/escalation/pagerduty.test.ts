import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPagerDuty, pagerDutySeverity } from '../../src/escalation/paging/pagerduty.js';
import { PermanentError, RetryableError } from '../../src/outbox/errors.js';

const API = 'https://events.pagerduty.test';
const KEY = 'R0UTINGKEY0000000000000000000000';
// Response shapes as documented for POST /v2/enqueue.
const accepted = (dedupKey: string) => ({ status: 'success', message: 'Event processed', dedup_key: dedupKey });

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const pd = (retries = 2) => createPagerDuty({ routingKey: KEY, apiUrl: API, retries, backoffMs: 1, timeoutMs: 2000 });
const base = {
  dedupKey: 'incident-42',
  summary: 'INC-42 API is down: escalated to Senior Engineer',
  severity: 'critical' as const,
  source: 'incident-bot',
};

describe('PagerDuty Events API v2', () => {
  it('sends a trigger with the incident id as dedup_key and the payload', async () => {
    let body: Record<string, unknown> = {};
    const scope = nock(API)
      .post('/v2/enqueue', (b) => {
        body = b;
        return true;
      })
      .reply(202, accepted('incident-42'));
    const r = await pd().send({
      ...base,
      action: 'trigger',
      links: [{ href: 'https://slack.test/archives/C1', text: 'Incident channel' }],
      customDetails: { severity: 'P1', timer: 'escalate' },
    });
    expect(r).toEqual({ status: 'success', dedupKey: 'incident-42' });
    expect(body).toEqual({
      routing_key: KEY,
      event_action: 'trigger',
      dedup_key: 'incident-42',
      payload: {
        summary: base.summary,
        source: 'incident-bot',
        severity: 'critical',
        custom_details: { severity: 'P1', timer: 'escalate' },
      },
      links: [{ href: 'https://slack.test/archives/C1', text: 'Incident channel' }],
    });
    expect(scope.isDone()).toBe(true);
  });

  it.each(['acknowledge', 'resolve'] as const)('sends %s with only the routing and dedup keys', async (action) => {
    let body: Record<string, unknown> = {};
    nock(API)
      .post('/v2/enqueue', (b) => {
        body = b;
        return true;
      })
      .reply(202, accepted('incident-42'));
    await pd().send({ ...base, action });
    expect(body).toEqual({ routing_key: KEY, event_action: action, dedup_key: 'incident-42' });
  });

  it('retries after 429 and 503, then succeeds', async () => {
    const scope = nock(API)
      .post('/v2/enqueue')
      .reply(429, { status: 'throttle event', message: 'Requests for this service are arriving too quickly.' })
      .post('/v2/enqueue')
      .reply(503, 'unavailable')
      .post('/v2/enqueue')
      .reply(202, accepted('incident-42'));
    expect(await pd(3).send({ ...base, action: 'trigger' })).toEqual({ status: 'success', dedupKey: 'incident-42' });
    expect(scope.isDone()).toBe(true);
  });

  it('gives up with a RetryableError the outbox retries later when the rate limit persists', async () => {
    nock(API).post('/v2/enqueue').times(3).reply(429, { status: 'throttle event', message: 'slow down' });
    const err = await pd(2)
      .send({ ...base, action: 'trigger' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect(err.message).toMatch(/HTTP 429: slow down \(after 3 attempts\)/);
    expect(nock.isDone()).toBe(true);
  });

  it('treats a network error as retryable without leaking the routing key', async () => {
    nock(API).post('/v2/enqueue').times(2).replyWithError('socket hang up');
    const err = await pd(1)
      .send({ ...base, action: 'trigger' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect(String(err.message)).not.toContain(KEY);
    expect(JSON.stringify(err)).not.toContain(KEY);
  });

  it('does not retry a 400 invalid event and reports PagerDuty’s message', async () => {
    const scope = nock(API)
      .post('/v2/enqueue')
      .once()
      .reply(400, {
        status: 'invalid event',
        message: 'Event object is invalid',
        errors: ['Length of summary is too long'],
      });
    const err = await pd(3)
      .send({ ...base, action: 'trigger' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toBe(
      'PagerDuty rejected the trigger event (HTTP 400): Event object is invalid; Length of summary is too long',
    );
    expect(scope.isDone()).toBe(true);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('truncates a summary longer than PagerDuty accepts and refuses an empty dedup key', async () => {
    let summary = '';
    nock(API)
      .post('/v2/enqueue', (b) => {
        summary = b.payload.summary;
        return true;
      })
      .reply(202, accepted('incident-42'));
    await pd().send({ ...base, action: 'trigger', summary: 'x'.repeat(2000) });
    expect(summary).toHaveLength(1024);
    await expect(pd().send({ ...base, action: 'trigger', dedupKey: '' })).rejects.toThrow();
  });

  it('maps P-levels to PagerDuty severities', () => {
    expect(['P1', 'P2', 'P3', 'P4'].map(pagerDutySeverity)).toEqual(['critical', 'error', 'warning', 'info']);
  });
});
