import { Writable } from 'node:stream';
import nock from 'nock';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { createStatusPageProvider, StatuspageError, type StatusUpdate } from '../../src/statuspage/index.js';

const API = 'https://statuspage.test';
const KEY = 'sp-key-7f3a9c';
const PAGE = 'pg123';

/** Response shapes as Statuspage returns them (trimmed). */
const incidentResponse = (id: string, status: string) => ({
  id,
  name: 'Checkout API is down',
  status,
  impact: 'critical',
  page_id: PAGE,
  shortlink: `https://stspg.io/${id}`,
  created_at: '2026-11-23T03:05:00.000Z',
  incident_updates: [{ id: `u-${id}`, status, body: 'x', incident_id: id }],
  components: [{ id: 'cmp1', name: 'Checkout', status: 'major_outage' }],
});

const update = (over: Partial<StatusUpdate> = {}): StatusUpdate => ({
  incidentRef: 'INC-42',
  existingId: null,
  title: 'Checkout API is down',
  status: 'investigating',
  body: 'We are looking into failed checkouts.',
  components: [{ id: 'cmp1', name: 'Checkout', status: 'major_outage' }],
  impact: 'critical',
  ...over,
});

const lines: string[] = [];
const logger = pino(
  { level: 'debug' },
  new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  }),
);
const provider = createStatusPageProvider({ kind: 'atlassian', apiKey: KEY, pageId: PAGE, apiUrl: API, logger });

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});
afterAll(() => {
  nock.enableNetConnect();
  // The API key never reaches a log line.
  expect(lines.join('')).not.toContain(KEY);
});

describe('Atlassian Statuspage provider', () => {
  it('creates the public incident with POST, OAuth key, components and impact', async () => {
    let body: unknown;
    nock(API, { reqheaders: { authorization: `OAuth ${KEY}`, 'content-type': /application\/json/ } })
      .post(`/v1/pages/${PAGE}/incidents`, (b) => {
        body = b;
        return true;
      })
      .reply(201, incidentResponse('inc9', 'investigating'));
    const r = await provider.publish(update());
    expect(r).toEqual({ id: 'inc9', url: 'https://stspg.io/inc9' });
    expect(body).toEqual({
      incident: {
        name: 'Checkout API is down',
        status: 'investigating',
        body: 'We are looking into failed checkouts.',
        impact_override: 'critical',
        component_ids: ['cmp1'],
        components: { cmp1: 'major_outage' },
      },
    });
  });

  it('updates the same incident with PATCH once it exists', async () => {
    nock(API, { reqheaders: { authorization: `OAuth ${KEY}` } })
      .patch(`/v1/pages/${PAGE}/incidents/inc9`, {
        incident: {
          name: 'Checkout API is down',
          status: 'identified',
          body: 'A bad deploy; rolling back.',
          component_ids: ['cmp1'],
          components: { cmp1: 'partial_outage' },
        },
      })
      .reply(200, incidentResponse('inc9', 'identified'));
    const r = await provider.publish(
      update({
        existingId: 'inc9',
        status: 'identified',
        body: 'A bad deploy; rolling back.',
        components: [{ id: 'cmp1', status: 'partial_outage' }],
        impact: undefined,
      }),
    );
    expect(r.id).toBe('inc9');
  });

  it('resolves with status resolved and components back to operational', async () => {
    nock(API)
      .patch(
        `/v1/pages/${PAGE}/incidents/inc9`,
        (b) => b.incident.status === 'resolved' && b.incident.components.cmp1 === 'operational',
      )
      .reply(200, incidentResponse('inc9', 'resolved'));
    const r = await provider.publish(
      update({
        existingId: 'inc9',
        status: 'resolved',
        body: 'Fixed.',
        components: [{ id: 'cmp1', status: 'operational' }],
      }),
    );
    expect(r.url).toBe('https://stspg.io/inc9');
  });

  it("rejects a 4xx without retry, quoting Statuspage's error", async () => {
    nock(API)
      .post(`/v1/pages/${PAGE}/incidents`)
      .reply(422, { error: ['Component ids are invalid: cmp404'] });
    const err = await provider.publish(update()).catch((e) => e);
    expect(err).toBeInstanceOf(StatuspageError);
    expect(err.retryable).toBe(false);
    expect(err.status).toBe(422);
    expect(err.message).toBe('Statuspage rejected the update (HTTP 422): Component ids are invalid: cmp404.');
  });

  it('points at the API key on 401 without showing it', async () => {
    nock(API).post(`/v1/pages/${PAGE}/incidents`).reply(401, { error: 'Could not authenticate' });
    const err = await provider.publish(update()).catch((e) => e);
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/HTTP 401\): Could not authenticate\. Check STATUSPAGE_API_KEY/);
    expect(err.message).not.toContain(KEY);
  });

  it('marks a 5xx as retryable', async () => {
    nock(API).patch(`/v1/pages/${PAGE}/incidents/inc9`).reply(503, 'Service Unavailable');
    const err = await provider.publish(update({ existingId: 'inc9' })).catch((e) => e);
    expect(err).toBeInstanceOf(StatuspageError);
    expect(err.retryable).toBe(true);
    expect(err.status).toBe(503);
    expect(err.message).toMatch(/unavailable \(HTTP 503: Service Unavailable\); the update will be retried/);
  });

  it('marks 429 as retryable and keeps Retry-After', async () => {
    nock(API).post(`/v1/pages/${PAGE}/incidents`).reply(429, { error: 'Rate limited' }, { 'Retry-After': '7' });
    const err = await provider.publish(update()).catch((e) => e);
    expect(err.retryable).toBe(true);
    expect(err.retryAfterMs).toBe(7000);
  });

  it('marks a network failure as retryable', async () => {
    nock(API).post(`/v1/pages/${PAGE}/incidents`).replyWithError('socket hang up');
    const err = await provider.publish(update()).catch((e) => e);
    expect(err).toBeInstanceOf(StatuspageError);
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/could not be reached/);
  });

  it('marks a timeout as retryable', async () => {
    const slow = createStatusPageProvider({
      kind: 'atlassian',
      apiKey: KEY,
      pageId: PAGE,
      apiUrl: API,
      logger,
      timeoutMs: 50,
    });
    nock(API).post(`/v1/pages/${PAGE}/incidents`).delay(300).reply(201, incidentResponse('late', 'investigating'));
    const err = await slow.publish(update()).catch((e) => e);
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/could not be reached \(ECONNABORTED\)/);
  });

  it('refuses an update without text before calling the API', async () => {
    await expect(provider.publish(update({ body: '  ' }))).rejects.toThrow(/needs some text/);
  });

  it('lists components for the modal, without component groups', async () => {
    nock(API)
      .get(`/v1/pages/${PAGE}/components`)
      .reply(200, [
        { id: 'grp', name: 'Backend', status: 'operational', group: true },
        { id: 'cmp1', name: 'Checkout', status: 'degraded_performance', group: false, group_id: 'grp' },
        { id: 'cmp2', name: 'Search', status: 'under_maintenance', group: false },
      ]);
    expect(await provider.components!()).toEqual([
      { id: 'cmp1', name: 'Checkout', status: 'degraded_performance', description: null },
      { id: 'cmp2', name: 'Search', status: 'operational', description: null },
    ]);
  });
});

describe('createStatusPageProvider', () => {
  it('needs a key and a page id for Statuspage', () => {
    expect(() => createStatusPageProvider({ kind: 'atlassian', pageId: PAGE, logger: silentLogger })).toThrow(
      ConfigError,
    );
    expect(() => createStatusPageProvider({ kind: 'atlassian', apiKey: KEY, logger: silentLogger })).toThrow(
      /STATUSPAGE_PAGE_ID/,
    );
  });

  it('gives a log provider that records and keeps the id across updates', async () => {
    const p = createStatusPageProvider({ kind: 'log', logger: silentLogger });
    expect(p.name).toBe('log');
    const first = await p.publish(update());
    const second = await p.publish(update({ existingId: first.id, status: 'resolved', body: 'Fixed.' }));
    expect(first).toEqual({ id: 'log-1', url: null });
    expect(second.id).toBe('log-1');
    const log = p as unknown as { published(): StatusUpdate[] };
    expect(log.published().map((u) => u.status)).toEqual(['investigating', 'resolved']);
  });
});
