import { z } from 'zod';
import type { Risk } from '../runbooks/schema.js';

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
 * Who may run what: reads need responder, writes need operator plus confirmation, exec and destructive
 * commands are never run from Slack. Only the person's own role counts: being an incident's commander
 * grants nothing here (a viewer who became commander is still a viewer for diagnostics). Pure.
 */
export function decide(input: { risk: Risk; role: Role }): Decision {
  const { risk } = input;
  const effective = input.role;
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

/**
 * What a person does to an incident's people, for {@link decideIncidentAction}:
 * - `acknowledge`: stop the page and (when nobody holds it) become commander;
 * - `claim_role`: give yourself a role nobody else holds;
 * - `take_command`: make yourself commander while someone else is;
 * - `assign_other`: give someone else a role;
 * - `snooze`: pause the incident's paging for a while (or end that pause).
 */
export const IncidentAction = z.enum(['acknowledge', 'claim_role', 'take_command', 'assign_other', 'snooze']);
export type IncidentAction = z.infer<typeof IncidentAction>;

export interface IncidentActionInput {
  action: IncidentAction;
  /** The person's own role from the roles file. */
  role: Role;
  /** Whether the person is in a user group this incident paged (its on-call group, an escalation target). */
  pagedMember: boolean;
  /** Whether the person is the incident's commander now. */
  isCommander: boolean;
  /** Whether the incident has a commander at all. */
  hasCommander: boolean;
  /** Paged group handles, to name in a refusal ("@sre-oncall"). */
  pagedGroups?: readonly string[];
}

/**
 * Who may change who works an incident (issue #18). Acknowledging or claiming a free role needs the
 * responder role or membership of a paged group; taking command from someone needs responder or above
 * (membership alone is not enough: it replaces a person); assigning someone else needs the commander or
 * an admin — or, while the incident has no commander yet, a responder, so somebody can staff it. Pure.
 */
export function decideIncidentAction(input: IncidentActionInput): Decision {
  const { action, role, pagedMember } = input;
  const groups = (input.pagedGroups ?? []).filter(Boolean).map((g) => `@${g.replace(/^@/, '')}`);
  const paged = groups.length ? `membership of the paged group (${groups.join(', ')})` : 'membership of a paged group';
  const you = `you are ${article(role)} ${role}`;
  const ask = 'Ask an admin to add you (or a user group you are in) to the roles file.';
  const allow = (why: string): Decision => ({
    allow: true,
    requiredRole: 'responder',
    needsConfirmation: false,
    reason: why,
  });
  const deny = (requiredRole: Role, reason: string): Decision => ({
    allow: false,
    requiredRole,
    needsConfirmation: false,
    reason,
  });
  const responder = atLeast(role, 'responder');
  switch (action) {
    case 'acknowledge':
    case 'snooze':
    case 'claim_role': {
      if (responder || pagedMember)
        return allow(responder ? `Allowed as ${role}.` : 'Allowed as a member of the paged group.');
      const what =
        action === 'acknowledge'
          ? 'Acknowledging'
          : action === 'snooze'
            ? 'Snoozing paging'
            : 'Taking an incident role';
      return deny('responder', `${what} needs the responder role or ${paged}; ${you}. ${ask}`);
    }
    case 'take_command':
      if (responder) return allow(`Allowed as ${role}.`);
      return deny('responder', `Taking command from the current commander needs the responder role; ${you}. ${ask}`);
    case 'assign_other':
      if (input.isCommander || atLeast(role, 'admin'))
        return allow(input.isCommander ? 'Allowed as commander.' : 'Allowed as admin.');
      if (!input.hasCommander && responder) return allow(`Allowed as ${role} while nobody is commander.`);
      return deny(
        'admin',
        `Assigning someone else needs the incident commander or an admin${input.hasCommander ? '' : ' (or a responder while nobody is commander)'}; ${you}${input.hasCommander ? ' and not the commander' : ''}. Ask the commander or an admin.`,
      );
  }
}
