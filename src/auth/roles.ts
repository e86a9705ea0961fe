import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { ValidationError } from '../errors.js';
import { highest, Role } from './policy.js';

const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;

/**
 * The roles file:
 * ```yaml
 * default: viewer            # everyone else (optional, viewer when absent)
 * users:
 *   U012ABCDEF: admin        # Slack user ids
 * groups:
 *   sre-oncall: operator     # user group handle (without @) or id (S...)
 *   S0123ABCD: responder
 * ```
 */
export const RolesFile = z
  .object({
    default: Role.default('viewer'),
    users: z.record(z.string().regex(SLACK_USER_ID, 'expected a Slack user id like U012ABCDEF'), Role).default({}),
    groups: z.record(z.string().regex(/^@?[A-Za-z0-9._-]+$/, 'expected a user group handle or id'), Role).default({}),
  })
  .strict();
export type RolesFile = z.infer<typeof RolesFile>;

/** Parses a roles file; errors name the field and its line, e.g. "roles.yml:4 users.U1: Invalid enum value...". */
export function parseRoles(text: string, source = 'roles file'): RolesFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line ?? (e.pos ? lineCounter.linePos(e.pos[0]).line : undefined);
    throw new ValidationError(
      `${source}${line ? `:${line}` : ''}: YAML error: ${e.message.split('\n')[0]}`,
      undefined,
      line,
    );
  }
  const parsed = RolesFile.safeParse(doc.toJS() ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.map(String);
  const line = lineOf(doc, path, lineCounter);
  const field = path.join('.') || '(root)';
  const extra = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more problem(s))` : '';
  throw new ValidationError(`${source}${line ? `:${line}` : ''} ${field}: ${issue.message}${extra}`, field, line);
}

/** The line of the deepest node on `path` that exists (a key's own line for record keys). */
function lineOf(doc: ReturnType<typeof parseDocument>, path: string[], lc: LineCounter): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const parent = doc.getIn(path.slice(0, Math.max(0, n - 1)), true) as
      | { items?: { key: { value?: unknown; range?: number[] }; value?: { range?: number[] } }[] }
      | undefined;
    if (n > 0 && parent?.items) {
      const pair = parent.items.find((p) => String(p.key?.value) === path[n - 1]);
      const range = pair?.key?.range ?? pair?.value?.range;
      if (range) return lc.linePos(range[0]!).line;
    }
    if (n === 0) {
      const node = doc.contents as { range?: number[] } | null;
      if (node?.range) return lc.linePos(node.range[0]!).line;
    }
  }
  return undefined;
}

export async function loadRolesFile(path: string): Promise<RolesFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ValidationError(
      `Cannot read roles file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      'ROLES_FILE',
    );
  }
  return parseRoles(text, path);
}

export type GroupsOf = (userId: string) => Promise<string[]>;

/**
 * Resolves a user's role: the highest of their own entry, their user groups' entries (matched by id or
 * handle, with or without '@') and the default. A failing group lookup falls back to the user's own
 * entry and the default, so a Slack hiccup never grants more than the file does.
 */
export function createRoleResolver(roles: RolesFile, groupsOf: GroupsOf, onError?: (e: unknown) => void) {
  const groupRoles = new Map(Object.entries(roles.groups).map(([k, v]) => [k.replace(/^@/, '').toLowerCase(), v]));
  return async function roleOf(userId: string): Promise<Role> {
    const found: Role[] = [roles.default];
    const own = roles.users[userId];
    if (own) found.push(own);
    if (groupRoles.size) {
      try {
        for (const g of await groupsOf(userId)) {
          const r = groupRoles.get(g.replace(/^@/, '').toLowerCase());
          if (r) found.push(r);
        }
      } catch (e) {
        onError?.(e);
      }
    }
    return highest(found);
  };
}

export type RoleResolver = ReturnType<typeof createRoleResolver>;

/**
 * What the incident service asks about a person before changing who works an incident: their role
 * (roles file) and the user groups they are in (handles and ids, as {@link GroupsOf}). A failing group
 * lookup should answer `[]`, never throw: it must not grant anything.
 */
export interface Access {
  roleOf(userId: string): Promise<Role>;
  groupsOf: GroupsOf;
}
