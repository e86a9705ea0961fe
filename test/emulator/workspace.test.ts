import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEmulator, loadWorkspaceSeed, WorkspaceState } from '../../src/emulator/index.js';
import { ValidationError } from '../../src/errors.js';

describe('workspace seed', () => {
  it('ships a default workspace with the ids the team relies on', () => {
    const seed = loadWorkspaceSeed();
    expect(seed.team).toMatchObject({ id: 'T0LOCAL', name: 'Local Workspace' });
    expect(seed.bot).toMatchObject({ user_id: 'U0BOT', bot_id: 'B0BOT' });
    expect(seed.users.map((u) => [u.id, u.name])).toEqual([
      ['U0ALICE', 'alice'],
      ['U0BOB', 'bob'],
      ['U0CAROL', 'carol'],
      ['U0DAVE', 'dave'],
      ['U0ERIN', 'erin'],
    ]);
    expect(Object.fromEntries(seed.usergroups.map((g) => [g.handle, [g.id, g.users]]))).toEqual({
      'sre-oncall': ['S0SREONCALL', ['U0ALICE']],
      'sre-seniors': ['S0SRESENIORS', ['U0BOB']],
      'eng-leads': ['S0ENGLEADS', ['U0CAROL']],
      comms: ['S0COMMS', ['U0DAVE']],
    });
    expect(seed.channels.map((c) => c.name)).toEqual(['incidents', 'general']);
  });

  it('loads a YAML file and rejects bad seeds naming the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'emu-seed-'));
    const good = join(dir, 'good.yml');
    writeFileSync(
      good,
      'team: { id: T1, name: Acme }\nusers:\n  - { id: U1, name: zed, email: zed@acme.test }\nchannels:\n  - { id: C1, name: ops, members: [U1] }\n',
    );
    const emulator = createEmulator({ signingSecret: 's', botToken: 't', workspace: good });
    expect(emulator.state.resolveUser('zed')?.id).toBe('U1');
    expect(emulator.channel('#ops').members).toEqual(['U1']);

    const bad = join(dir, 'bad.yml');
    writeFileSync(bad, 'team: { id: T1, name: Acme }\nchannels:\n  - { id: C1, name: "Bad Name", members: [U9] }\n');
    expect(() => loadWorkspaceSeed(bad)).toThrow(ValidationError);
    expect(() => loadWorkspaceSeed(bad)).toThrow(/channels\.0\.name/);
    expect(() =>
      loadWorkspaceSeed({
        team: { id: 'T', name: 'x' },
        usergroups: [{ id: 'S1', handle: 'h', name: 'n', users: ['U404'] }],
      }),
    ).toThrow(/usergroups\.0\.users: unknown user U404/);
  });

  it('resolves users and channels by id, name, @name, #name and email', () => {
    const state = new WorkspaceState(loadWorkspaceSeed());
    for (const ref of ['U0ALICE', 'alice', '@alice', 'alice@example.com'])
      expect(state.resolveUser(ref)?.id).toBe('U0ALICE');
    for (const ref of ['C0INCIDENTS', 'incidents', '#incidents'])
      expect(state.resolveChannel(ref)?.info.id).toBe('C0INCIDENTS');
    expect(state.resolveUsergroup('@sre-oncall')?.id).toBe('S0SREONCALL');
    expect(state.resolveChannel('U0BOB')?.info).toMatchObject({ id: 'D0BOB', is_im: true, user: 'U0BOB' });
    expect(state.listChannels().map((c) => [c.id, c.name, c.is_member])).toEqual([
      ['C0INCIDENTS', 'incidents', true],
      ['C0GENERAL', 'general', true],
      ['D0BOB', 'U0BOB', true],
    ]);
  });

  it('issues strictly increasing message timestamps', () => {
    const state = new WorkspaceState(loadWorkspaceSeed());
    const ts = Array.from({ length: 1000 }, () => state.nextTs());
    for (let i = 1; i < ts.length; i++) expect(Number(ts[i]) > Number(ts[i - 1]) || ts[i]! > ts[i - 1]!).toBe(true);
    expect(new Set(ts).size).toBe(ts.length);
    expect(ts[0]).toMatch(/^\d{10}\.\d{6}$/);
  });
});
