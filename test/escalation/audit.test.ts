import { describe, expect, it } from 'vitest';
import { auditTargets, runbookTargetUses } from '../../src/escalation/audit.js';

const groups = [
  { id: 'S0SREONCALL', handle: 'sre-oncall', users: ['U0ALICE'] },
  { id: 'S0EMPTY', handle: 'empty-team', users: [] },
];

describe('auditTargets', () => {
  it('finds every target and group that reaches nobody', () => {
    const problems = auditTargets({
      escalationTargets: { 'Senior Engineer': 'sre-seniors', 'On-call': 'sre-oncall', DBA: 'empty-team' },
      oncallGroups: { payments: 'payments-oncall' },
      defaultOncallGroup: 'sre-oncall',
      rolesGroups: ['sre-oncall', 'S0GONE'],
      runbookTargets: runbookTargetUses([
        {
          source: 'db.md',
          timers: [{ target: 'Database administrators', line: 7 }],
          runbooks: [{ timers: [{ target: 'On-call', line: 9 }, { target: null }] }],
        },
      ]),
      groups,
    });
    expect(problems.map((p) => [p.what, p.name, p.problem])).toEqual([
      ['ESCALATION_TARGETS', 'Senior Engineer', 'no-such-group'],
      ['ESCALATION_TARGETS', 'DBA', 'empty-group'],
      ['runbook escalation target', 'Database administrators', 'unmapped'],
      ['ONCALL_GROUPS payments', 'payments-oncall', 'no-such-group'],
      ['roles file group', 'S0GONE', 'no-such-group'],
    ]);
    expect(problems[2]!.message).toContain('db.md:7');
  });

  it('checks only unmapped names when the groups are unknown (offline lint)', () => {
    const problems = auditTargets({
      escalationTargets: { 'On-call': 'sre-oncall' },
      oncallGroups: { payments: 'payments-oncall' },
      defaultOncallGroup: 'nobody-here',
      rolesGroups: ['gone'],
      runbookTargets: [{ what: 'runbook escalation target', name: 'VP Engineering', source: 'a.md', line: 3 }],
      groups: null,
    });
    expect(problems.map((p) => p.problem)).toEqual(['unmapped']);
  });
});
