import { describe, expect, it } from 'vitest';
import { onCallRotations, whoIsOnCall } from '../../src/escalation/oncall.js';

describe('who is on call', () => {
  it('lists the default rotation first, then each ONCALL_GROUPS group once with its teams', () => {
    expect(
      onCallRotations({
        DEFAULT_ONCALL_GROUP: '@sre-oncall',
        ONCALL_GROUPS: { shop: 'web-oncall', payments: 'pay-oncall', checkout: 'Web-Oncall', platform: 'sre-oncall' },
      }),
    ).toEqual([
      { handle: 'sre-oncall', teams: ['platform'], isDefault: true },
      { handle: 'web-oncall', teams: ['checkout', 'shop'], isDefault: false },
      { handle: 'pay-oncall', teams: ['payments'], isDefault: false },
    ]);
  });

  it('looks up only the rotations it shows, and a failed lookup reads as a missing group', async () => {
    const asked: string[] = [];
    const members = async (h: string) => {
      asked.push(h);
      if (h === 'b') throw new Error('usergroups.list failed');
      return h === 'a' ? ['U1'] : null;
    };
    const rotations = ['a', 'b', 'c'].map((handle) => ({ handle, teams: [], isDefault: false }));
    const got = await whoIsOnCall(rotations, members, 2);
    expect(got).toEqual({
      rows: [
        { handle: 'a', teams: [], isDefault: false, members: ['U1'] },
        { handle: 'b', teams: [], isDefault: false, members: null },
      ],
      total: 3,
    });
    expect(asked).toEqual(['a', 'b']);
  });
});
