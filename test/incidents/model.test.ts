import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TransitionError, ValidationError } from '../../src/errors.js';
import {
  acknowledge,
  assignRole,
  canTransition,
  declare,
  durations,
  type Incident,
  postUpdate,
  Status,
  setSeverity,
  setStatus,
  TRANSITIONS,
} from '../../src/incidents/model.js';

const t0 = new Date('2026-11-23T03:00:00Z');
const at = (min: number) => new Date(t0.getTime() + min * 60_000);
const fresh = (): Incident => ({
  ...declare({ title: 'API down', severity: 'P1', source: 'slash', declaredBy: 'U1' }, t0).incident,
  id: 7,
});

describe('incident model', () => {
  it('declares an incident investigating with a declared event', () => {
    const { incident, events } = declare(
      { title: '  API   down ', severity: 'P2', source: 'slash', declaredBy: 'U1', commander: 'U2' },
      t0,
    );
    expect(incident).toMatchObject({
      title: 'API down',
      status: 'investigating',
      severity: 'P2',
      commander: 'U2',
      startedAt: t0,
    });
    expect(events.map((e) => e.kind)).toEqual(['declared', 'role']);
  });

  it('refuses a declaration without a title', () => {
    expect(() => declare({ title: '   ', severity: 'P1', source: 'slash' }, t0)).toThrow(ValidationError);
  });

  it('acknowledges once and makes the first acknowledger commander', () => {
    const a = acknowledge(fresh(), 'U3', at(4));
    expect(a.incident).toMatchObject({ ackedBy: 'U3', commander: 'U3' });
    expect(() => acknowledge(a.incident, 'U4', at(5))).toThrow(/already acknowledged/);
  });

  it('walks investigating -> identified -> monitoring -> resolved and records durations', () => {
    let inc = acknowledge(fresh(), 'U3', at(4)).incident;
    inc = setStatus(inc, 'identified', 'U3', at(10)).incident;
    inc = setStatus(inc, 'monitoring', 'U3', at(20)).incident;
    const r = setStatus(inc, 'resolved', 'U3', at(42), 'Rolled back');
    expect(r.incident.status).toBe('resolved');
    expect(r.events[0]).toMatchObject({ kind: 'resolved', text: 'Resolved: Rolled back' });
    expect(durations(r.incident)).toEqual({ toAcknowledge: 4, toMitigate: 20, toResolve: 42 });
  });

  it('refuses a move to the same status and lists what is allowed otherwise', () => {
    expect(() => setStatus(fresh(), 'investigating', 'U1', t0)).toThrow(TransitionError);
    const resolved = setStatus(fresh(), 'resolved', 'U1', t0).incident;
    expect(() => setStatus(resolved, 'monitoring', 'U1', t0)).toThrow(/allowed: investigating/);
    expect(setStatus(resolved, 'investigating', 'U1', at(1)).events[0]?.kind).toBe('reopened');
  });

  it('refuses severity changes on resolved incidents and no-op changes', () => {
    expect(() => setSeverity(fresh(), 'P1', 'U1', t0)).toThrow(/already P1/);
    expect(setSeverity(fresh(), 'P2', 'U1', t0).incident.severity).toBe('P2');
    const resolved = setStatus(fresh(), 'resolved', 'U1', t0).incident;
    expect(() => setSeverity(resolved, 'P3', 'U1', t0)).toThrow(/final/);
  });

  it('assigns roles and records updates', () => {
    const r = assignRole(fresh(), 'comms', 'U9', 'U1', t0);
    expect(r.incident.commsLead).toBe('U9');
    expect(() => assignRole(r.incident, 'comms', 'U9', 'U1', t0)).toThrow(/already comms/);
    expect(postUpdate(fresh(), 'Rolled back', 'U1', at(3)).incident.lastUpdateAt).toEqual(at(3));
    expect(() => postUpdate(fresh(), ' ', 'U1', t0)).toThrow(ValidationError);
  });

  it('only ever reaches states the transition table allows, one event per change (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...Status.options), { maxLength: 30 }), (walk) => {
        let inc = fresh();
        let events = 0;
        for (const [i, to] of walk.entries()) {
          const from = inc.status;
          try {
            const c = setStatus(inc, to, 'U1', at(i));
            expect(canTransition(from, to)).toBe(true);
            expect(c.events).toHaveLength(1);
            inc = c.incident;
            events++;
          } catch (e) {
            expect(e).toBeInstanceOf(TransitionError);
            expect(from === to || !TRANSITIONS[from].includes(to)).toBe(true);
          }
          expect(inc.resolvedAt === null).toBe(inc.status !== 'resolved');
        }
        expect(events).toBeLessThanOrEqual(walk.length);
      }),
    );
  });
});
