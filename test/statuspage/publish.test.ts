import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PermissionError } from '../../src/errors.js';
import { assignRole, setStatus } from '../../src/incidents/model.js';
import { silentLogger } from '../../src/log.js';
import {
  createStatusPageProvider,
  defaultComponentStatus,
  deliverStatusUpdate,
  enqueueStatusUpdate,
  renderCommunication,
  STATUSPAGE_PUBLISH_OP,
  StatuspageError,
  statuspageReminderDue,
  statuspageReminderDueAt,
  suggestStatusUpdate,
} from '../../src/statuspage/index.js';
import { appendEvents, getIncident, insertIncident, listEvents, updateIncident } from '../../src/store/incidents.js';
import { claim, markDone } from '../../src/store/outbox.js';
import { backends, dropSchemas, freshDb } from '../helpers/db.js';
import { at, incident } from './fixtures.js';

const API = 'https://statuspage.test';
const PAGE = 'pg123';
const provider = createStatusPageProvider({
  kind: 'atlassian',
  apiKey: 'k',
  pageId: PAGE,
  apiUrl: API,
  logger: silentLogger,
});
const reply = (id: string, status: string) => ({ id, status, shortlink: `https://stspg.io/${id}` });

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(async () => {
  nock.enableNetConnect();
  await dropSchemas();
});

describe.each(backends)('publishing on %s', (backend) => {
  // One database per backend for the file: each test uses its own incident.
  let db: Awaited<ReturnType<typeof freshDb>>;
  beforeAll(async () => {
    db = await freshDb(backend);
  });
  afterAll(() => db.close());

  it('lets the commander and the comms lead publish and refuses anyone else, naming who can', async () => {
    const inc = (await insertIncident(db, assignRole(incident(), 'comms', 'U0BOB', 'U0ALICE', at(1)).incident))!;
    const u = suggestStatusUpdate(inc, 'investigating', 'Looking into it.');
    await expect(enqueueStatusUpdate(db, inc, u, 'U0CAROL', at(2))).rejects.toThrow(PermissionError);
    await expect(enqueueStatusUpdate(db, inc, u, 'U0CAROL', at(2))).rejects.toThrow(
      /Only the commander or comms lead of INC-\d+ can publish.*@U0ALICE \(commander\) or @U0BOB \(comms\)/,
    );
    await expect(enqueueStatusUpdate(db, inc, u, 'U0ALICE', at(2))).resolves.toMatchObject({ status: 'investigating' });
    await expect(enqueueStatusUpdate(db, inc, u, 'U0BOB', at(2))).resolves.toMatchObject({ status: 'investigating' });
    await expect(enqueueStatusUpdate(db, inc, u, 'U0CAROL', at(2), true)).resolves.toBeTruthy();
    // Drain what this test queued so the next tests claim only their own rows.
    for (let rows = await claim(db, at(3), 10, 30_000); rows.length; rows = await claim(db, at(3), 10, 30_000))
      for (const row of rows) await markDone(db, row.id);
  });

  it('modal -> publish: creates, retries a 5xx, updates and resolves the same public incident', async () => {
    let inc = (await insertIncident(db, incident({ labels: { service: 'checkout' } })))!;
    const drain = async (now: Date) => {
      const [row] = await claim(db, now, 1, 30_000);
      expect(row?.op).toBe(STATUSPAGE_PUBLISH_OP);
      const out = await deliverStatusUpdate(db, provider, row!.incidentId!, row!.payload as never, now);
      await markDone(db, row!.id);
      return out;
    };

    // Modal: the rendered communication, answered fields, status and components, then Publish.
    const text = renderCommunication(null, {
      incident: inc,
      now: at(5),
      values: { customers: 'Some checkouts fail', eta: 'next update 03:35 UTC', update: 'Investigating.' },
    }).text;
    await enqueueStatusUpdate(
      db,
      inc,
      suggestStatusUpdate(inc, 'investigating', text, [{ id: 'cmp1', status: 'major_outage' }]),
      'U0ALICE',
      at(5),
    );
    // A second update queued before the first is delivered must PATCH the incident the first one creates.
    inc = (await getIncident(db, inc.id))!;
    await enqueueStatusUpdate(
      db,
      inc,
      suggestStatusUpdate(inc, 'identified', 'Bad deploy found.', [{ id: 'cmp1', status: 'partial_outage' }]),
      'U0ALICE',
      at(6),
    );

    const create = nock(API)
      .post(`/v1/pages/${PAGE}/incidents`, (b) => b.incident.body.includes('Some checkouts fail'))
      .reply(201, reply('sp1', 'investigating'));
    const first = await drain(at(7));
    expect(create.isDone()).toBe(true);
    expect(first.result).toEqual({ id: 'sp1', url: 'https://stspg.io/sp1' });
    expect(await getIncident(db, inc.id)).toMatchObject({ statuspageIncidentId: 'sp1', statuspageUpdatedAt: at(7) });

    // 5xx: retryable error, nothing stored, the row goes back to the outbox.
    nock(API).patch(`/v1/pages/${PAGE}/incidents/sp1`).reply(502, 'Bad Gateway');
    const [row] = await claim(db, at(8), 1, 30_000);
    const err = await deliverStatusUpdate(db, provider, inc.id, row!.payload as never, at(8)).catch((e) => e);
    expect(err).toBeInstanceOf(StatuspageError);
    expect(err.retryable).toBe(true);
    expect((await getIncident(db, inc.id))!.statuspageUpdatedAt).toEqual(at(7));

    const patch = nock(API)
      .patch(`/v1/pages/${PAGE}/incidents/sp1`, (b) => b.incident.status === 'identified')
      .reply(200, reply('sp1', 'identified'));
    const second = await deliverStatusUpdate(db, provider, inc.id, row!.payload as never, at(9));
    await markDone(db, row!.id);
    expect(patch.isDone()).toBe(true);
    expect(second.update.existingId).toBe('sp1');

    // `/incident resolve` offers the matching update: resolved, components operational.
    const resolved = setStatus((await getIncident(db, inc.id))!, 'resolved', 'U0ALICE', at(40), 'Rolled back');
    inc = await updateIncident(db, (await getIncident(db, inc.id))!, resolved.incident);
    await appendEvents(db, inc.id, resolved.events);
    const offer = suggestStatusUpdate(inc, 'resolved', 'Resolved.', [{ id: 'cmp1', status: 'partial_outage' }]);
    expect(offer.components).toEqual([{ id: 'cmp1', status: 'operational' }]);
    await enqueueStatusUpdate(db, inc, offer, 'U0ALICE', at(41));
    nock(API)
      .patch(`/v1/pages/${PAGE}/incidents/sp1`, {
        incident: {
          name: inc.title,
          status: 'resolved',
          body: 'Resolved.',
          impact_override: 'critical',
          component_ids: ['cmp1'],
          components: { cmp1: 'operational' },
        },
      })
      .reply(200, reply('sp1', 'resolved'));
    await drain(at(42));

    const timeline = (await listEvents(db, inc.id)).filter((e) => e.kind === 'statuspage').map((e) => e.text);
    expect(timeline).toEqual([
      'Status page update queued (investigating)',
      'Status page update queued (identified)',
      'Status page incident created (investigating): https://stspg.io/sp1',
      'Status page updated (identified): https://stspg.io/sp1',
      'Status page update queued (resolved)',
      'Status page updated (resolved): https://stspg.io/sp1',
    ]);
  });

  it('gives up on a 4xx with the message to show in Slack', async () => {
    const inc = (await insertIncident(db, incident()))!;
    await enqueueStatusUpdate(db, inc, suggestStatusUpdate(inc, 'investigating', 'x'), 'U0ALICE', at(1));
    nock(API).post(`/v1/pages/${PAGE}/incidents`).reply(404, { error: 'Page not found' });
    const [row] = await claim(db, at(2), 1, 30_000);
    const err = await deliverStatusUpdate(db, provider, inc.id, row!.payload as never, at(2)).catch((e) => e);
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/HTTP 404\): Page not found\. Check STATUSPAGE_PAGE_ID/);
    expect((await getIncident(db, inc.id))!.statuspageIncidentId).toBeNull();
  });
});

describe('modal prefill', () => {
  it('suggests component status from severity, operational once resolved', () => {
    expect(defaultComponentStatus('P1', 'investigating')).toBe('major_outage');
    expect(defaultComponentStatus('P3', 'identified')).toBe('degraded_performance');
    expect(defaultComponentStatus('P1', 'resolved')).toBe('operational');
  });
});

describe('status-page reminders', () => {
  const minutes = { P1: 30, P2: 60 };
  const pub = incident({ statuspageIncidentId: 'sp1', statuspageUpdatedAt: at(10) });

  it('is due once a public incident has gone N minutes without a status-page update', () => {
    expect(statuspageReminderDue(pub, minutes, at(39))).toBe(false);
    expect(statuspageReminderDue(pub, minutes, at(40))).toBe(true);
    expect(statuspageReminderDueAt(pub, minutes)).toEqual(at(40));
  });

  it('follows the severity', () => {
    expect(statuspageReminderDue({ ...pub, severity: 'P2' }, minutes, at(40))).toBe(false);
    expect(statuspageReminderDue({ ...pub, severity: 'P2' }, minutes, at(70))).toBe(true);
    expect(statuspageReminderDue({ ...pub, severity: 'P3' }, minutes, at(999))).toBe(false);
  });

  it('never nags about incidents that are not public or are resolved', () => {
    expect(statuspageReminderDue(incident(), minutes, at(999))).toBe(false);
    expect(statuspageReminderDue({ ...pub, status: 'resolved' }, minutes, at(999))).toBe(false);
  });
});
