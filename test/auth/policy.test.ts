import { describe, expect, it } from 'vitest';
import { decide, decideIncidentAction, type Role } from '../../src/auth/policy.js';
import type { Risk } from '../../src/runbooks/schema.js';

const roles: Role[] = ['viewer', 'responder', 'operator', 'admin'];
const risks: Risk[] = ['read', 'write', 'exec', 'destructive'];

/** The whole matrix, written out: role -> risk -> allowed. */
const EXPECTED: Record<Role, Record<Risk, boolean>> = {
  viewer: { read: false, write: false, exec: false, destructive: false },
  responder: { read: true, write: false, exec: false, destructive: false },
  operator: { read: true, write: true, exec: false, destructive: false },
  admin: { read: true, write: true, exec: false, destructive: false },
};

describe('policy', () => {
  for (const role of roles)
    for (const risk of risks)
      it(`${EXPECTED[role][risk] ? 'allows' : 'denies'} ${risk} for ${role}`, () => {
        const d = decide({ risk, role });
        expect(d.allow).toBe(EXPECTED[role][risk]);
        expect(d.needsConfirmation).toBe(d.allow && risk === 'write');
        if (!d.allow) expect(d.reason.length).toBeGreaterThan(10);
      });

  it('names the role a denial needs', () => {
    expect(decide({ risk: 'read', role: 'viewer' })).toMatchObject({
      requiredRole: 'responder',
      reason: expect.stringMatching(/needs the responder role; you are a viewer/),
    });
    expect(decide({ risk: 'write', role: 'responder' })).toMatchObject({
      requiredRole: 'operator',
      reason: expect.stringMatching(/operator/),
    });
    expect(decide({ risk: 'destructive', role: 'admin' })).toMatchObject({
      requiredRole: null,
      reason: expect.stringMatching(/never run from Slack/),
    });
  });

  it('never lets being commander grant more than the own role (rt-03)', () => {
    // decide() has no notion of incident roles: a viewer commander is a viewer.
    expect(decide({ risk: 'read', role: 'viewer' }).allow).toBe(false);
    expect(decide({ risk: 'read', role: 'responder' }).allow).toBe(true);
  });
});

describe('decideIncidentAction', () => {
  const base = { role: 'viewer' as const, pagedMember: false, isCommander: false, hasCommander: true };
  it('lets responders and members of the paged group acknowledge, and names the group to a viewer', () => {
    expect(decideIncidentAction({ ...base, action: 'acknowledge', role: 'responder' }).allow).toBe(true);
    expect(decideIncidentAction({ ...base, action: 'acknowledge', pagedMember: true }).allow).toBe(true);
    const d = decideIncidentAction({ ...base, action: 'acknowledge', pagedGroups: ['sre-oncall'] });
    expect(d).toMatchObject({ allow: false, requiredRole: 'responder' });
    expect(d.reason).toContain('@sre-oncall');
    expect(d.reason).toContain('you are a viewer');
  });
  it('needs responder to take command; membership alone is not enough', () => {
    expect(decideIncidentAction({ ...base, action: 'take_command', pagedMember: true }).allow).toBe(false);
    expect(decideIncidentAction({ ...base, action: 'take_command', role: 'responder' }).allow).toBe(true);
  });
  it('lets only the commander or an admin assign others (a responder too while nobody is commander)', () => {
    expect(decideIncidentAction({ ...base, action: 'assign_other', role: 'operator' }).allow).toBe(false);
    expect(decideIncidentAction({ ...base, action: 'assign_other', isCommander: true }).allow).toBe(true);
    expect(decideIncidentAction({ ...base, action: 'assign_other', role: 'admin' }).allow).toBe(true);
    expect(
      decideIncidentAction({ ...base, action: 'assign_other', role: 'responder', hasCommander: false }).allow,
    ).toBe(true);
    expect(decideIncidentAction({ ...base, action: 'assign_other', hasCommander: false }).allow).toBe(false);
  });
});
