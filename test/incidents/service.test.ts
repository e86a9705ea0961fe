import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { NotFoundError, TransitionError } from '../../src/errors.js';
import type { EventDraft, Incident } from '../../src/incidents/model.js';
import { type IncidentHooks, IncidentService } from '../../src/incidents/service.js';
import { eventSegments } from '../../src/incidents/timeline.js';
import { silentLogger } from '../../src/log.js';
import type { RunbookLookup } from '../../src/runbooks/lookup.js';
import type { Db } from '../../src/store/db.js';
import { backends, dropSchemas, freshDb } from '../helpers/db.js';

afterAll(dropSchemas);

/** The incident service against a real store (PGlite, and PostgreSQL when DATABASE_URL is set); no HTTP, no Slack. */
const T0 = new Date('2026-11-23T10:00:00Z');
const noRunbooks: RunbookLookup = { match: () => null, bySeverity: () => null, section: () => null };
const MRKDWN = /<@|<!|&lt;|&gt;|:[a-z_]+:/;

describe.each(backends)('incident service on %s', (backend) => {
  let db: Db;
  let clock = T0;
  let kicks = 0;
  const opened: Incident[] = [];
  const changed: { before: Incident; after: Incident; events: EventDraft[] }[] = [];
  let service: IncidentService;

  const outbox = async (incidentId: number) =>
    (
      await db.query<{ op: string; payload: Record<string, unknown> }>(
        'SELECT op, payload FROM outbox WHERE incident_id = $1 ORDER BY id',
        [incidentId],
      )
    ).rows;

  beforeAll(async () => {
    db = await freshDb(backend);
    const hook: IncidentHooks = {
      async opened(_q, inc) {
        opened.push(inc);
      },
      async changed(_q, before, after, events) {
        changed.push({ before, after, events });
      },
    };
    service = new IncidentService({
      db,
      config: loadConfig({}),
      logger: silentLogger,
      runbooks: () => noRunbooks,
      hooks: [hook],
      kick: () => {
        kicks++;
      },
      now: () => clock,
    });
  });
  afterAll(() => db.close());

  it('declares: the incident, its timeline and the Slack work commit together, then the sender is woken', async () => {
    const before = kicks;
    const inc = await service.declare({
      title: '  Checkout   <pod> failing ',
      severity: 'P2',
      actor: 'U0ALICE',
      source: 'slash',
      commander: 'U0BOB',
    });
    expect(inc).toMatchObject({ title: 'Checkout <pod> failing', severity: 'P2', status: 'investigating' });
    expect(inc.id).toBeGreaterThan(0);
    expect(kicks).toBe(before + 1);
    expect(opened.map((i) => i.id)).toContain(inc.id);
    expect((await outbox(inc.id)).map((r) => r.op)).toEqual([
      'slack.createChannel',
      'slack.setupChannel',
      'slack.postHeader',
      'slack.postRunbook',
      'slack.announce',
    ]);
    const events = await service.timeline(inc.id);
    expect(events.map((e) => e.kind)).toEqual(['declared', 'role']);
    // Data, not markup: the commander is a user id in data, and the text carries no Slack syntax.
    expect(events[1]).toMatchObject({ actor: 'U0ALICE', data: { role: 'commander', user: 'U0BOB' }, markup: null });
    for (const e of events) expect(e.text).not.toMatch(MRKDWN);
    expect(eventSegments(events[1]!)).toEqual([{ user: 'U0BOB' }, { text: ' is commander' }]);
  });

  it('acknowledges once, names who did in the refusal, and queues a notice as data', async () => {
    const inc = await service.declare({ title: 'API down', severity: 'P1', actor: 'U0ALICE', source: 'slash' });
    clock = new Date(T0.getTime() + 4 * 60_000);
    const acked = await service.ack(inc.id, 'U0CAROL');
    expect(acked).toMatchObject({ ackedBy: 'U0CAROL', commander: 'U0CAROL' });
    expect(acked.ackedAt).toEqual(clock);
    await expect(service.ack(inc.id, 'U0DAVE')).rejects.toThrow(TransitionError);
    await expect(service.ack(inc.id, 'U0DAVE')).rejects.toThrow('already acknowledged by @U0CAROL');
    const rows = await outbox(inc.id);
    expect(rows.slice(-3)).toEqual([
      { op: 'slack.updateHeader', payload: {} },
      { op: 'slack.announceUpdate', payload: {} },
      { op: 'slack.notice', payload: { notice: { kind: 'acknowledged', actor: 'U0CAROL' } } },
    ]);
    const last = changed.at(-1)!;
    expect(last.before.ackedAt).toBeNull();
    expect(last.after.ackedAt).toEqual(clock);
    expect(last.events.map((e) => e.kind)).toEqual(['acknowledged', 'role']);
  });

  it('posts updates, changes severity and resolves, each with its notice and hook call', async () => {
    const inc = await service.declare({ title: 'Queue backlog', severity: 'P3', actor: 'U0ALICE', source: 'modal' });
    await service.update(inc.id, '  Rolled back <v42> & watching  ', 'U0ALICE');
    await service.setSeverity(inc.id, 'P2', 'U0ALICE');
    await service.assign(inc.id, 'comms', 'U0ERIN', 'U0ALICE');
    const resolved = await service.resolve(inc.id, 'U0ALICE', 'Rollback fixed it');
    expect(resolved).toMatchObject({ status: 'resolved', severity: 'P2', commsLead: 'U0ERIN' });
    const notices = (await outbox(inc.id)).filter((r) => r.op === 'slack.notice').map((r) => r.payload.notice);
    expect(notices).toEqual([
      { kind: 'update', actor: 'U0ALICE', text: 'Rolled back <v42> & watching' },
      { kind: 'severity', actor: 'U0ALICE', severity: 'P2', previous: 'P3' },
      { kind: 'role', actor: 'U0ALICE', user: 'U0ERIN', role: 'comms' },
      { kind: 'status', actor: 'U0ALICE', status: 'resolved', summary: 'Rollback fixed it' },
    ]);
    // The announcement is edited, not followed by a line of its own: the severity change and the resolve share
    // one waiting edit (nothing was sent in between), which renders the incident as it is when it goes out.
    const ops = (await outbox(inc.id)).map((r) => r.op);
    expect(ops.filter((op) => op === 'slack.announceUpdate')).toHaveLength(1);
    expect(ops).not.toContain('slack.announceResolved');
    const events = await service.timeline(inc.id);
    expect(events.map((e) => e.kind)).toEqual(['declared', 'update', 'severity', 'role', 'resolved']);
    // Text typed by a person is kept as typed; nothing is escaped for Slack on the way in.
    expect(events[1]!.text).toBe('Rolled back <v42> & watching');
    await expect(service.setStatus(inc.id, 'resolved', 'U0ALICE')).rejects.toThrow('already resolved');
    expect(changed.at(-1)!.after.status).toBe('resolved');
  });

  it('moves the status with an update in one change and one notice, and never resolves that way', async () => {
    const inc = await service.declare({ title: 'Disk full', severity: 'P3', actor: 'U0ALICE', source: 'modal' });
    await service.update(inc.id, 'Found the runaway log', 'U0ALICE', 'identified');
    await service.update(inc.id, 'Still cleaning', 'U0ALICE', 'identified');
    await service.update(inc.id, 'Cleaned', 'U0ALICE', 'resolved');
    expect((await service.get(inc.id)).status).toBe('identified');
    const notices = (await outbox(inc.id)).filter((r) => r.op === 'slack.notice').map((r) => r.payload.notice);
    expect(notices).toEqual([
      { kind: 'update', actor: 'U0ALICE', text: 'Found the runaway log', status: 'identified' },
      { kind: 'update', actor: 'U0ALICE', text: 'Still cleaning' },
      { kind: 'update', actor: 'U0ALICE', text: 'Cleaned' },
    ]);
    expect((await service.timeline(inc.id)).map((e) => e.kind).slice(1, 3)).toEqual(['update', 'status']);
  });

  it('records clicks without changing the incident, and says which incident does not exist', async () => {
    const inc = await service.declare({ title: 'Cache cold', severity: 'P4', actor: null, source: 'api' });
    const before = (await outbox(inc.id)).length;
    await service.record(inc.id, 'click', 'U0ALICE', 'clicked ack', { actionId: 'incident_ack' });
    expect((await service.timeline(inc.id)).at(-1)).toMatchObject({ kind: 'click', actor: 'U0ALICE' });
    expect(await outbox(inc.id)).toHaveLength(before);
    await expect(service.get(999_999)).rejects.toThrow(NotFoundError);
    await expect(service.ack(999_999, 'U0ALICE')).rejects.toThrow('There is no incident INC-999999.');
  });

  it('finds incidents by channel and lists the open ones', async () => {
    const inc = await service.declare({ title: 'Disk full', severity: 'P2', actor: 'U0ALICE', source: 'slash' });
    await db.query(`UPDATE incidents SET channel_id = 'C0DISK' WHERE id = $1`, [inc.id]);
    expect((await service.byChannel('C0DISK'))?.id).toBe(inc.id);
    expect(await service.byChannel('C0NONE')).toBeNull();
    expect((await service.listOpen()).map((i) => i.id)).toContain(inc.id);
  });
});
