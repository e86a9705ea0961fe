import { describe, expect, it } from 'vitest';
import { decide, type Role } from '../../src/auth/policy.js';
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

  it('lets the incident commander run reads even as a viewer, but not writes', () => {
    expect(decide({ risk: 'read', role: 'viewer', incidentRoles: ['commander'] }).allow).toBe(true);
    expect(decide({ risk: 'write', role: 'viewer', incidentRoles: ['commander'] }).allow).toBe(false);
    expect(decide({ risk: 'exec', role: 'admin', incidentRoles: ['commander'] }).allow).toBe(false);
  });
});
