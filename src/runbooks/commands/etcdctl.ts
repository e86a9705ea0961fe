import { type Finding, f, positionals } from './finding.js';

/**
 * Grammar of etcdctl (v3 API): endpoint status/health, member list, get and alarm list read; defrag, compact, put,
 * snapshot and member changes write; del destructive. The bot has no etcd executor.
 */
export function etcdctlFinding(args: string[]): Finding {
  const pos = positionals(
    args,
    /^(--endpoints|--cacert|--cert|--key|--user|--password|-w|--write-out|--command-timeout|--dial-timeout|--prefix-range|--limit|--rev)$/,
  );
  const [a = '', b = ''] = pos;
  const label = `etcdctl ${[a, b].filter(Boolean).join(' ')}`;
  const blocker = 'the bot has no etcd executor';
  if (a === 'del') return f('shell', 'destructive', `deletes keys (${label})`);
  if (
    (a === 'endpoint' && /^(status|health|hashkv)$/.test(b)) ||
    (a === 'member' && b === 'list') ||
    (a === 'alarm' && b === 'list') ||
    (a === 'auth' && b === 'status') ||
    (a === 'user' && /^(list|get)$/.test(b)) ||
    (a === 'role' && /^(list|get)$/.test(b)) ||
    /^(get|version|watch|check)$/.test(a)
  ) {
    if (a === 'check' && b === 'perf') return f('shell', 'write', `writes test load into etcd (${label})`, blocker);
    return f('shell', 'read', `reads etcd state (${label})`, blocker);
  }
  return f('shell', 'write', `changes etcd (${label})`, blocker);
}
