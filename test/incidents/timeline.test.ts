import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventMarkdown } from '../../src/incidents/markdown.js';
import { declare } from '../../src/incidents/model.js';
import { eventSegments } from '../../src/incidents/timeline.js';
import { eventMrkdwn } from '../../src/slack/render/messages.js';
import type { Db } from '../../src/store/db.js';
import { appendEvents, insertIncident, listEvents } from '../../src/store/incidents.js';
import { migrate } from '../../src/store/migrate.js';
import { backends, dropSchemas, freshDb } from '../helpers/db.js';

afterAll(dropSchemas);

const T0 = new Date('2026-11-23T10:00:00Z');

describe.each(backends)('timeline events as data on %s', (backend) => {
  let db: Db;
  let incidentId: number;
  beforeAll(async () => {
    db = await freshDb(backend);
    incidentId = (await insertIncident(db, declare({ title: 'Pods', severity: 'P2', source: 'slash' }, T0).incident))!
      .id;
  });
  afterAll(() => db.close());

  it('renders new events from their data: escaped for Slack, plain for Markdown', async () => {
    await appendEvents(db, incidentId, [
      { kind: 'alert_fired', actor: null, at: T0, text: 'Alert <pod> & friends firing', data: {} },
      { kind: 'role', actor: 'U0ALICE', at: T0, text: '@U0BOB is comms', data: { role: 'comms', user: 'U0BOB' } },
      {
        kind: 'diagnostic',
        actor: 'U0ALICE',
        at: T0,
        text: 'ran kubectl get pods → ok',
        data: { label: 'ran', command: 'kubectl get pods -l app=<x>', ok: true },
      },
    ]);
    const [fired, role, diag] = (await listEvents(db, incidentId)).slice(-3);
    expect(fired!.markup).toBeNull();
    expect(eventMrkdwn(fired!)).toBe('Alert &lt;pod&gt; &amp; friends firing');
    expect(eventMarkdown(fired!)).toBe('Alert <pod> & friends firing');
    expect(eventSegments(role!)).toEqual([{ user: 'U0BOB' }, { text: ' is comms' }]);
    expect(eventMrkdwn(role!)).toBe('<@U0BOB> is comms');
    expect(eventMarkdown(role!, (id) => (id === 'U0BOB' ? 'bob' : null))).toBe('@bob is comms');
    expect(eventMrkdwn(diag!)).toBe('ran `kubectl get pods -l app=&lt;x&gt;` → ok');
    expect(eventMarkdown(diag!)).toBe('ran `kubectl get pods -l app=<x>` → ok');
  });

  it('reads rows written before migration 015 as the mrkdwn they are', async () => {
    // A row as the bot wrote it before events were data: escaped alert text and a mention in the text.
    await db.query(
      `INSERT INTO incident_events (incident_id, at, actor, kind, text, data, markup)
       VALUES ($1, $2, NULL, 'role', '<@U0CAROL> is commander of &lt;pod&gt;', '{}'::jsonb, 'mrkdwn')`,
      [incidentId, T0],
    );
    const old = (await listEvents(db, incidentId)).at(-1)!;
    expect(old.markup).toBe('mrkdwn');
    expect(eventMrkdwn(old)).toBe('<@U0CAROL> is commander of &lt;pod&gt;');
    expect(eventMarkdown(old, (id) => (id === 'U0CAROL' ? 'carol' : null))).toBe('@carol is commander of <pod>');
  });

  it('marks every row that existed when migration 015 ran as mrkdwn, and none after', async () => {
    const fresh = await freshDb(backend, { migrate: false });
    try {
      // Apply everything before 015, write an old-style row, then the rest.
      await migrate(fresh);
      await fresh.query(`DELETE FROM schema_migrations WHERE version LIKE '015%'`);
      await fresh.query('ALTER TABLE incident_events DROP COLUMN markup');
      const inc = (await insertIncident(
        fresh,
        declare({ title: 'Old', severity: 'P3', source: 'slash' }, T0).incident,
      ))!;
      await fresh.query(
        `INSERT INTO incident_events (incident_id, at, actor, kind, text, data) VALUES ($1, $2, NULL, 'update', 'old', '{}')`,
        [inc.id, T0],
      );
      await migrate(fresh);
      await appendEvents(fresh, inc.id, [{ kind: 'update', actor: null, at: T0, text: 'new', data: {} }]);
      expect((await listEvents(fresh, inc.id)).map((e) => [e.text, e.markup])).toEqual([
        ['old', 'mrkdwn'],
        ['new', null],
      ]);
    } finally {
      await fresh.close();
    }
  });
});
