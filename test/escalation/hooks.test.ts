import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEscalationHooks, PAGERDUTY_OP, pagerDutyOp, repeatReminder } from '../../src/escalation/hooks.js';
import { parseDefaultTimers, type RunbookTimer } from '../../src/escalation/schedule.js';
import {
  acknowledge,
  type Change,
  declare,
  type Incident,
  postUpdate,
  setSeverity,
  setStatus,
} from '../../src/incidents/model.js';
import type { IncidentHooks, RunbookMatch } from '../../src/incidents/service.js';
import type { Db } from '../../src/store/db.js';
import { insertIncident, updateIncident } from '../../src/store/incidents.js';
import { enqueue } from '../../src/store/outbox.js';
import { listTimers } from '../../src/store/timers.js';
import { backends, dropSchemas, freshDb } from '../helpers/db.js';

afterAll(dropSchemas);

const T0 = new Date('2026-11-23T10:00:00Z');
const at = (min: number) => new Date(T0.getTime() + min * 60_000);
const timer = (over: Partial<RunbookTimer> & Pick<RunbookTimer, 'kind' | 'afterMinutes'>): RunbookTimer => ({
  target: null,
  severity: null,
  condition: null,
  text: `${over.kind} ${over.afterMinutes}`,
  ...over,
});
// Only the fields planning reads; the rest of a RunbookMatch does not matter here.
const match = {
  document: { timers: [timer({ kind: 'acknowledge', afterMinutes: 5, severity: 'P1' })] },
  section: {
    timers: [
      timer({ kind: 'escalate', afterMinutes: 15, target: 'Senior Engineer', condition: 'Root cause not identified' }),
      timer({ kind: 'escalate', afterMinutes: 30, target: 'Engineering Lead' }),
    ],
  },
} as unknown as RunbookMatch;

describe.each(backends)('escalation hooks on %s', (backend) => {
  let db: Db;
  let now = T0;
  let hooks: IncidentHooks;
  beforeAll(async () => {
    db = await freshDb(backend);
  });
  afterAll(() => db.close());
  beforeEach(async () => {
    await db.exec('DELETE FROM timers; DELETE FROM outbox');
    now = T0;
    hooks = createEscalationHooks({
      defaults: parseDefaultTimers('P1=ack:5,escalate:15;P2=ack:15,escalate:30;P3=ack:60;P4='),
      updateReminderMinutes: { P1: 15, P2: 30 },
      runbook: () => match,
      pagerDuty: { source: 'incident-bot' },
      now: () => now,
    });
  });

  async function open(severity: Incident['severity'] = 'P1') {
    const inc = (await insertIncident(db, declare({ title: 'API down', severity, source: 'slash' }, T0).incident))!;
    await hooks.opened?.(db, inc, match);
    return inc;
  }
  async function apply(inc: Incident, change: (i: Incident) => Change) {
    const { incident, events } = change(inc);
    const after = await updateIncident(db, inc, incident);
    await hooks.changed?.(db, inc, after, events);
    return after;
  }
  const pending = async (id: number) =>
    (await listTimers(db, id))
      .filter((t) => t.status === 'pending')
      .map((t) => `${t.kind}@${Math.round((+t.dueAt - +T0) / 60_000)}${t.target ? `>${t.target}` : ''}`);

  it('plans the runbook clock when the incident opens', async () => {
    const inc = await open();
    expect(await pending(inc.id)).toEqual([
      'acknowledge@5',
      'escalate@15>Senior Engineer',
      'reminder@15',
      'escalate@30>Engineering Lead',
    ]);
  });

  it('cancels on ack, on identified, and everything on resolve, paging PagerDuty only after a trigger', async () => {
    let inc = await open();
    now = at(2);
    inc = await apply(inc, (i) => acknowledge(i, 'U1', now));
    expect(await pending(inc.id)).toEqual([
      'escalate@15>Senior Engineer',
      'reminder@15',
      'escalate@30>Engineering Lead',
    ]);
    // No page was sent yet, so no PagerDuty acknowledge.
    expect((await db.query('SELECT 1 FROM outbox WHERE op = $1', [PAGERDUTY_OP])).rows).toHaveLength(0);
    inc = await apply(inc, (i) => setStatus(i, 'identified', 'U1', now));
    expect(await pending(inc.id)).toEqual(['reminder@15', 'escalate@30>Engineering Lead']);
    // The 30-minute escalation fires and pages; resolving then resolves the page.
    await enqueue(db, pagerDutyOp(inc, 'trigger', { source: 'incident-bot' }));
    inc = await apply(inc, (i) => setStatus(i, 'resolved', 'U1', now, 'rolled back'));
    expect(await pending(inc.id)).toEqual([]);
    const pd = await db.query<{ payload: { action: string; dedupKey: string } }>(
      'SELECT payload FROM outbox WHERE op = $1 ORDER BY id',
      [PAGERDUTY_OP],
    );
    expect(pd.rows.map((r) => [r.payload.action, r.payload.dedupKey])).toEqual([
      ['trigger', `incident-${inc.id}`],
      ['resolve', `incident-${inc.id}`],
    ]);
  });

  it('reschedules on a severity change and keeps what was already satisfied cancelled', async () => {
    let inc = await open('P3');
    expect(await pending(inc.id)).toEqual([
      'escalate@15>Senior Engineer',
      'escalate@30>Engineering Lead',
      'acknowledge@60',
    ]);
    now = at(3);
    inc = await apply(inc, (i) => acknowledge(i, 'U1', now));
    now = at(20);
    inc = await apply(inc, (i) => setSeverity(i, 'P1', 'U1', now));
    // P1 ack timer not re-added (already acked); the 15-minute escalation is overdue, so due now; no update
    // was ever posted, so the P1 no-update reminder (15 min from the start) is due at once too.
    expect(await pending(inc.id)).toEqual([
      'reminder@15',
      'escalate@20>Senior Engineer',
      'escalate@30>Engineering Lead',
    ]);
  });

  it('moves the no-update reminder after each update and repeats it after it fires', async () => {
    let inc = await open();
    now = at(10);
    inc = await apply(inc, (i) => postUpdate(i, 'Rolled back', 'U1', now));
    expect(await pending(inc.id)).toContain('reminder@25');
    const [reminder] = (await listTimers(db, inc.id)).filter((t) => t.kind === 'reminder' && t.status === 'pending');
    await db.query(`UPDATE timers SET status = 'fired' WHERE id = $1`, [reminder!.id]);
    expect(await repeatReminder(db, reminder!, at(25))).toBe(true);
    expect(await pending(inc.id)).toContain('reminder@40');
  });

  it('starts a fresh clock when a resolved incident is reopened', async () => {
    let inc = await open();
    inc = await apply(inc, (i) => setStatus(i, 'resolved', 'U1', now, 'fixed'));
    now = at(60);
    inc = await apply(inc, (i) => setStatus(i, 'investigating', 'U1', now));
    // Acked implicitly when resolved, so only the escalations and the reminder come back, from minute 60.
    expect(await pending(inc.id)).toEqual([
      'escalate@75>Senior Engineer',
      'reminder@75',
      'escalate@90>Engineering Lead',
    ]);
  });
});
