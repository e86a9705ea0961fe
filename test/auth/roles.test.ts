import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRoleResolver, loadRolesFile, parseRoles } from '../../src/auth/roles.js';

const FILE = `# who may do what
default: viewer
users:
  U012ABCDEF: admin
  U0RESPOND1: responder
groups:
  sre-oncall: operator
  S0123ABCD: responder
`;

describe('roles file', () => {
  it('parses users, groups and the default', () => {
    expect(parseRoles(FILE)).toEqual({
      default: 'viewer',
      users: { U012ABCDEF: 'admin', U0RESPOND1: 'responder' },
      groups: { 'sre-oncall': 'operator', S0123ABCD: 'responder' },
    });
    expect(parseRoles('')).toEqual({ default: 'viewer', users: {}, groups: {} });
    expect(parseRoles('default: responder\n').default).toBe('responder');
  });

  it('names the field and line of a bad role', () => {
    const bad = FILE.replace('U0RESPOND1: responder', 'U0RESPOND1: superuser');
    expect(() => parseRoles(bad, 'roles.yml')).toThrow(
      /^roles\.yml:5 users\.U0RESPOND1: Invalid enum value.*'viewer' \| 'responder' \| 'operator' \| 'admin'/,
    );
    try {
      parseRoles(bad, 'roles.yml');
    } catch (e) {
      expect(e).toMatchObject({ field: 'users.U0RESPOND1', line: 5 });
    }
  });

  it('names an unknown top-level key', () => {
    expect(() => parseRoles('default: viewer\nadmins:\n  - U1\n', 'roles.yml')).toThrow(
      /roles\.yml:1 \(root\): Unrecognized key\(s\) in object: 'admins'/,
    );
  });

  it('names a malformed user id and a YAML syntax error by line', () => {
    expect(() => parseRoles('users:\n  alice: admin\n', 'r.yml')).toThrow(
      /r\.yml:2 users\.alice: expected a Slack user id/,
    );
    expect(() => parseRoles('users:\n  U1AAA: [admin\n', 'r.yml')).toThrow(/r\.yml:\d+: YAML error/);
  });

  it('reports a missing file naming it', async () => {
    await expect(loadRolesFile('/nonexistent/roles.yml')).rejects.toThrow(
      /Cannot read roles file \/nonexistent\/roles\.yml: ENOENT/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'roles-'));
    writeFileSync(join(dir, 'roles.yml'), FILE);
    expect((await loadRolesFile(join(dir, 'roles.yml'))).users.U012ABCDEF).toBe('admin');
  });
});

describe('role resolver', () => {
  const roles = parseRoles(FILE);
  const groups: Record<string, string[]> = { U0OPS00001: ['S9OTHER', '@SRE-Oncall'], U0GROUPID1: ['S0123ABCD'] };
  const roleOf = createRoleResolver(roles, async (u) => groups[u] ?? []);

  it('takes the highest of user, groups (by handle or id) and default', async () => {
    expect(await roleOf('U012ABCDEF')).toBe('admin');
    expect(await roleOf('U0RESPOND1')).toBe('responder');
    expect(await roleOf('U0OPS00001')).toBe('operator');
    expect(await roleOf('U0GROUPID1')).toBe('responder');
    expect(await roleOf('U0NOBODY01')).toBe('viewer');
  });

  it('falls back to the file when the group lookup fails, never granting more', async () => {
    const errors: unknown[] = [];
    const r = createRoleResolver(
      roles,
      async () => {
        throw new Error('ratelimited');
      },
      (e) => errors.push(e),
    );
    expect(await r('U0OPS00001')).toBe('viewer');
    expect(await r('U0RESPOND1')).toBe('responder');
    expect(errors).toHaveLength(2);
  });
});
