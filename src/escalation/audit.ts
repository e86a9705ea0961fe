import { mentionFor, mentionKey, type ResolvedTarget, resolveTargets } from './targets.js';

/** A user group as Slack lists it (usergroups.list with include_users). */
export interface KnownGroup {
  id: string;
  handle: string;
  users?: string[];
}

/** One place a target or group is named: what names it, and where (file and line for runbooks). */
export interface TargetUse {
  /** E.g. 'runbook timer', 'ONCALL_GROUPS payments', 'DEFAULT_ONCALL_GROUP', 'roles file'. */
  what: string;
  name: string;
  source?: string;
  line?: number;
}

export interface TargetProblem extends TargetUse {
  problem: 'unmapped' | 'no-such-group' | 'empty-group';
  /** One sentence for logs and `runbooks lint`. */
  message: string;
}

export interface AuditInput {
  /** ESCALATION_TARGETS. */
  escalationTargets: Record<string, string>;
  /** ONCALL_GROUPS (team/service -> group handle). */
  oncallGroups: Record<string, string>;
  /** DEFAULT_ONCALL_GROUP. */
  defaultOncallGroup: string;
  /** Group handles or ids the roles file names. */
  rolesGroups: string[];
  /** Escalation targets runbook timers name. */
  runbookTargets: TargetUse[];
  /** The workspace's user groups; null when unknown (offline lint): only unmapped names are checked. */
  groups: KnownGroup[] | null;
}

/**
 * Every escalation target, on-call group and roles-file group that reaches nobody (issue #18): runbook
 * targets no ESCALATION_TARGETS entry maps, and — when the workspace's groups are known — groups that do
 * not exist or have no members. Pure; each problem once per name and place.
 */
export function auditTargets(input: AuditInput): TargetProblem[] {
  const out: TargetProblem[] = [];
  const seen = new Set<string>();
  const add = (p: TargetProblem) => {
    const key = `${p.what}|${p.name}|${p.source ?? ''}|${p.problem}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(p);
    }
  };
  const where = (u: TargetUse) => (u.source ? ` (${u.source}${u.line ? `:${u.line}` : ''})` : '');
  const checkGroup = (u: TargetUse, handleOrId: string) => {
    if (!input.groups) return;
    const key = handleOrId.replace(/^@/, '').toLowerCase();
    const g = input.groups.find((x) => x.handle.toLowerCase() === key || x.id.toLowerCase() === key);
    if (!g)
      add({
        ...u,
        problem: 'no-such-group',
        message: `${u.what} "${u.name}"${where(u)} names user group @${key}, which does not exist: nobody is paged or invited.`,
      });
    else if (!g.users?.length)
      add({
        ...u,
        problem: 'empty-group',
        message: `${u.what} "${u.name}"${where(u)} names user group @${g.handle}, which has no members: nobody is paged or invited.`,
      });
  };
  const checkTarget = (u: TargetUse, t: ResolvedTarget) => {
    if (t.kind === 'unknown')
      add({
        ...u,
        name: t.name,
        problem: 'unmapped',
        message: `${u.what} "${t.name}"${where(u)} matches no ESCALATION_TARGETS entry: the escalation reaches nobody. Add e.g. "${t.name}=<group-handle>".`,
      });
    else if (t.kind === 'usergroup') checkGroup({ ...u, name: t.name }, mentionKey(t));
  };
  for (const [name, value] of Object.entries(input.escalationTargets))
    checkTarget({ what: 'ESCALATION_TARGETS', name }, { ...mentionFor(value), name });
  for (const u of input.runbookTargets)
    for (const t of resolveTargets(u.name, input.escalationTargets)) checkTarget(u, t);
  for (const [team, group] of Object.entries(input.oncallGroups))
    checkGroup({ what: `ONCALL_GROUPS ${team}`, name: group }, group);
  checkGroup({ what: 'DEFAULT_ONCALL_GROUP', name: input.defaultOncallGroup }, input.defaultOncallGroup);
  for (const g of input.rolesGroups) checkGroup({ what: 'roles file group', name: g }, g);
  return out;
}

/** The escalation targets a set of runbooks names, with file and line, for {@link auditTargets}. */
export function runbookTargetUses(
  documents: readonly {
    source: string;
    timers: readonly { target?: string | null; line?: number | null }[];
    runbooks: readonly { timers: readonly { target?: string | null; line?: number | null }[] }[];
  }[],
): TargetUse[] {
  const out: TargetUse[] = [];
  for (const d of documents)
    for (const t of [...d.timers, ...d.runbooks.flatMap((r) => r.timers)])
      if (t.target?.trim())
        out.push({
          what: 'runbook escalation target',
          name: t.target.trim(),
          source: d.source,
          line: t.line ?? undefined,
        });
  return out;
}
