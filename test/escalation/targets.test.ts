import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { mentionFor, resolveTarget, resolveTargets } from '../../src/escalation/targets.js';

const MAP = {
  'Senior Engineer': 'sre-seniors',
  'Engineering Lead': 'eng-leads',
  'VP Engineering': 'U012VPENG',
  Director: 'S0DIRECTORS',
  'On-call': 'sre-oncall',
};

describe('escalation targets', () => {
  it.each([
    'Senior Engineer',
    'senior engineer',
    'Senior Engineers',
    'the senior engineer',
    'The Senior Engineers',
    '**Senior Engineer**',
    'Senior Engineer on call',
  ])('resolves %s to the seniors group', (name) => {
    expect(resolveTarget(name, MAP)).toEqual({ handle: 'sre-seniors', kind: 'usergroup', name: 'Senior Engineer' });
  });

  it('matches word order and -ing forms: "Lead Engineer" is the Engineering Lead', () => {
    expect(resolveTarget('Lead Engineer', MAP).name).toBe('Engineering Lead');
    expect(resolveTarget('engineering leads', MAP)).toMatchObject({ handle: 'eng-leads' });
  });

  it('turns user ids into user mentions and group ids into user-group mentions (data, not markup)', () => {
    expect(resolveTarget('VP Engineering', MAP)).toEqual({ id: 'U012VPENG', kind: 'user', name: 'VP Engineering' });
    expect(resolveTarget('director', MAP)).toEqual({ id: 'S0DIRECTORS', kind: 'usergroup', name: 'Director' });
    expect(resolveTarget('Directors', MAP).kind).toBe('usergroup');
  });

  it('uses group ids the caller looked up', () => {
    expect(resolveTarget('Senior Engineer', MAP, { groupIds: { 'sre-seniors': 'S123' } })).toMatchObject({
      id: 'S123',
      handle: 'sre-seniors',
    });
    expect(mentionFor('@eng-leads', { groupIds: { 'eng-leads': 'S9' } })).toEqual({
      id: 'S9',
      handle: 'eng-leads',
      kind: 'usergroup',
    });
  });

  it('keeps an unknown target as written, and a bare @handle as a group handle', () => {
    expect(resolveTarget('Database Admin', MAP)).toEqual({
      kind: 'unknown',
      name: 'Database Admin',
    });
    expect(resolveTarget('@dba-team', MAP)).toMatchObject({ handle: 'dba-team', kind: 'usergroup' });
    expect(resolveTarget('', MAP).kind).toBe('unknown');
  });

  it('splits a combined target into its parts', () => {
    expect(resolveTargets('VP Engineering + GCP Support', MAP).map((t) => [t.name, t.kind])).toEqual([
      ['VP Engineering', 'user'],
      ['GCP Support', 'unknown'],
    ]);
    expect(resolveTargets('Director and VP Engineering', MAP).map((t) => t.kind)).toEqual(['usergroup', 'user']);
    expect(resolveTargets('Senior Engineer, senior engineers', MAP)).toHaveLength(1);
  });

  it('resolves the configured default map', () => {
    const map = loadConfig({}).ESCALATION_TARGETS;
    expect(resolveTarget('the VP Engineering', map)).toMatchObject({ handle: 'eng-leads' });
    expect(resolveTarget('on-call engineer', map)).toMatchObject({ handle: 'sre-oncall' });
    expect(resolveTarget('Engineering Manager', map)).toMatchObject({ handle: 'eng-leads' });
  });

  it('never reads a named team as the generic on-call group (no silent fallback)', () => {
    const map = loadConfig({}).ESCALATION_TARGETS;
    expect(resolveTarget('Database on-call', map).kind).toBe('unknown');
    expect(resolveTarget('Owning team on-call', map).kind).toBe('unknown');
    expect(resolveTarget('primary on-call', map)).toMatchObject({ handle: 'sre-oncall' });
  });
});
