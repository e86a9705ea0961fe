import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEscalationFire, ESCALATION_PING_OP, type EscalationPingPayload } from '../../src/escalation/fire.js';
import { PAGERDUTY_OP } from '../../src/escalation/hooks.js';
import type { TimerDraft } from '../../src/escalation/schedule.js';
import { createTimerWorker } from '../../src/escalation/worker.js';
import { declare } from '../../src/incidents/model.js';
import { silentLogger } from '../../src/log.js';
import { pingText } from '../../src/slack/render/escalation.js';
import type { Db } from '../../src/store/db.js';
import { insertIncident } from '../../src/store/incidents.js';
import { insertTimers, listTimers } from '../../src/store/timers.js';
import { backends, dropSchemas, freshDb } from '../helpers/db.js';

afterAll(dropSchemas);

const T0 = new Date('2026-11-23T10:00:00Z');
const draft = (over: Partial<TimerDraft>): TimerDraft => ({
  kind: 'escalate',
  afterMinutes: 15,
  dueAt: T0,
  target: null,
  severity: 'P1',
  condition: null,
  text: 'Root cause not identified within 15 minutes',
  cancelOn: 'resolve',
  source: 'section',
  data: {},
  ...over,
});

describe.each(backends)('escalation fire on %s', (backend) => {
  let db: Db;
  beforeAll(async () => {
    db = await freshDb(backend);
  });
  afterAll(() => db.close());

  it('enqueues the ping with mentions and buttons, a header refresh, a PagerDuty trigger, and repeats reminders', async () => {
    const inc = (await insertIncident(
      db,
      declare({ title: 'API down', severity: 'P1', source: 'slash' }, T0).incident,
    ))!;
    await insertTimers(db, inc.id, [
      draft({ target: 'Senior Engineer + GCP Support' }),
      draft({
        kind: 'reminder',
        source: 'reminder',
        target: null,
        text: 'No update posted for 15 minutes',
        data: { reminder: 'update' },
      }),
    ]);
    const fire = createEscalationFire({
      targets: { 'Senior Engineer': 'sre-seniors' },
      targetOptions: { groupIds: { 'sre-seniors': 'S0SENIORS' } },
      pagerDuty: { source: 'incident-bot' },
      fallbackGroup: 'sre-oncall',
    });
    const now = new Date(T0.getTime() + 10 * 60_000);
    const w = createTimerWorker({ db, logger: silentLogger, pollMs: 50, now: () => now, fire });
    expect(await w.tick()).toBe(2);
    const rows = await db.query<{ op: string; payload: Record<string, unknown> }>(
      'SELECT op, payload FROM outbox WHERE incident_id = $1 ORDER BY id',
      [inc.id],
    );
    // One header refresh for both: a second one while the first is pending is coalesced (outbox priorities).
    expect(rows.rows.map((r) => r.op)).toEqual([
      ESCALATION_PING_OP,
      'slack.updateHeader',
      PAGERDUTY_OP,
      ESCALATION_PING_OP,
    ]);
    const ping = rows.rows[0]!.payload as unknown as EscalationPingPayload;
    expect(ping).toMatchObject({
      kind: 'escalate',
      incidentLabel: `INC-${inc.id}`,
      words: 'Root cause not identified within 15 minutes',
      mentions: [{ kind: 'usergroup', id: 'S0SENIORS', handle: 'sre-seniors' }],
      unknownTargets: ['GCP Support'],
      dueAt: T0.toISOString(),
      late: true,
      snoozed: false,
      snoozeMinutes: 10,
    });
    // The domain stores data; the Slack renderer writes the mrkdwn.
    expect(pingText(ping)).toBe(
      `:rotating_light: INC-${inc.id} Escalation → <!subteam^S0SENIORS>: Root cause not identified within 15 minutes (GCP Support) _(fired late: it was due at 10:00 UTC)_`,
    );
    expect(ping.actions.map((a) => a.actionId)).toEqual(['escalation_ack', 'escalation_snooze', 'escalation_on_it']);
    expect(rows.rows[2]!.payload).toMatchObject({
      action: 'trigger',
      dedupKey: `incident-${inc.id}`,
      severity: 'critical',
    });
    const nudge = rows.rows[3]!.payload as unknown as EscalationPingPayload;
    expect(nudge).toMatchObject({ kind: 'reminder', mentions: [], actions: [] });
    // The reminder repeats 15 minutes after it fired.
    const pending = (await listTimers(db, inc.id)).filter((t) => t.status === 'pending');
    expect(pending.map((t) => [t.kind, t.dueAt.toISOString()])).toEqual([
      ['reminder', new Date(now.getTime() + 15 * 60_000).toISOString()],
    ]);
  });

  it('mentions the on-call group when an escalation names nobody, and writes nothing for a resolved incident', async () => {
    const inc = (await insertIncident(
      db,
      declare({ title: 'DB slow', severity: 'P2', source: 'slash' }, T0).incident,
    ))!;
    const gone = (await insertIncident(db, declare({ title: 'Old', severity: 'P2', source: 'slash' }, T0).incident))!;
    await db.query(`UPDATE incidents SET status = 'resolved', resolved_at = $2 WHERE id = $1`, [gone.id, T0]);
    await insertTimers(db, inc.id, [draft({ target: null, cancelOn: 'never' })]);
    await insertTimers(db, gone.id, [draft({ target: null, cancelOn: 'never' })]);
    const fire = createEscalationFire({ targets: {}, fallbackGroup: 'sre-oncall' });
    const w = createTimerWorker({ db, logger: silentLogger, pollMs: 50, now: () => T0, fire });
    expect(await w.tick()).toBe(2);
    const pings = await db.query<{ incident_id: number; payload: EscalationPingPayload }>(
      'SELECT incident_id, payload FROM outbox WHERE op = $1 AND incident_id = ANY($2::int[])',
      [ESCALATION_PING_OP, [inc.id, gone.id]],
    );
    expect(pings.rows.map((r) => [Number(r.incident_id), r.payload.mentions])).toEqual([
      [inc.id, [{ kind: 'usergroup', handle: 'sre-oncall' }]],
    ]);
    expect(pingText(pings.rows[0]!.payload)).toContain('Escalation → @sre-oncall:');
  });
});
