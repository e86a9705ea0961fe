import { z } from 'zod';
import type { Risk } from '../runbooks/schema.js';
import type { IncidentRole } from '../vocabulary.js';

export const Role = z.enum(['viewer', 'responder', 'operator', 'admin']);
export type Role = z.infer<typeof Role>;

const RANK: Record<Role, number> = { viewer: 0, responder: 1, operator: 2, admin: 3 };

export function atLeast(role: Role, required: Role): boolean {
  return RANK[role] >= RANK[required];
}

export function highest(roles: Role[]): Role {
  return roles.reduce<Role>((a, b) => (RANK[b] > RANK[a] ? b : a), 'viewer');
}

export interface Decision {
  allow: boolean;
  /** The role the action needs; null when no role can run it (exec, destructive). */
  requiredRole: Role | null;
  /** Writes run only after the confirmation dialog. */
  needsConfirmation: boolean;
  /** A sentence for the ephemeral denial and the timeline. */
  reason: string;
}

/**
 * Who may run what: reads need responder (an incident's commander counts as responder), writes need
 * operator plus confirmation, exec and destructive commands are never run from Slack. Pure.
 */
export function decide(input: { risk: Risk; role: Role; incidentRoles?: readonly IncidentRole[] }): Decision {
  const { risk, incidentRoles = [] } = input;
  const effective = incidentRoles.includes('commander') ? highest([input.role, 'responder']) : input.role;
  if (risk === 'exec' || risk === 'destructive') {
    return {
      allow: false,
      requiredRole: null,
      needsConfirmation: false,
      reason: `${risk === 'exec' ? 'Commands that execute inside containers or shells' : 'Destructive commands'} are never run from Slack, whatever your role; copy the command and run it yourself if you must.`,
    };
  }
  const required: Role = risk === 'write' ? 'operator' : 'responder';
  if (atLeast(effective, required)) {
    return {
      allow: true,
      requiredRole: required,
      needsConfirmation: risk === 'write',
      reason: risk === 'write' ? `Allowed as ${effective}; confirm to apply.` : `Allowed as ${effective}.`,
    };
  }
  return {
    allow: false,
    requiredRole: required,
    needsConfirmation: false,
    reason: `${risk === 'write' ? 'Write actions' : 'Running diagnostics'} needs the ${required} role; you are ${article(effective)} ${effective}. Ask an admin to add you (or a user group you are in) to the roles file.`,
  };
}

function article(role: Role): string {
  return /^[aeiou]/.test(role) ? 'an' : 'a';
}
