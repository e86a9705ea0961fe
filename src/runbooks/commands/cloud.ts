import { type Finding, f, type Nested, positionals } from './finding.js';

/** Grammar of aws/gcloud/az: describe/list/get read, delete/terminate destructive, anything else write. */
const OPEN_TO_WORLD = /(^|[\s=,])(0\.0\.0\.0\/0|::\/0)(\s|,|$)/;

export function cloudFindings(cli: string, args: string[], nested: Nested): Finding[] {
  const pos = positionals(
    args,
    /^(--zone|--region|--project|--profile|--command|--filter|--format|--query|--output|-o)$/,
  );
  const line = args.join(' ');
  const label = `${cli} ${pos.slice(0, 3).join(' ')}`.trim();
  const blocker = `the bot has no ${cli} executor`;
  if (pos.includes('ssh') || (cli === 'aws' && pos.includes('start-session'))) {
    const command = args.find((_, i) => args[i - 1] === '--command') ?? /--command=(.*)$/s.exec(line)?.[1];
    return [f('shell', 'exec', `opens a shell on a machine (${label})`), ...(command ? nested.text(command) : [])];
  }
  if (OPEN_TO_WORLD.test(line) && /(ingress|firewall|security-group|source-ranges|cidr)/.test(line)) {
    return [f('shell', 'destructive', `opens the network to the whole internet (0.0.0.0/0) (${label})`)];
  }
  const verbs = pos.map((w) => w.toLowerCase());
  if (
    verbs.some((v) => /^(delete|destroy|remove|rm|rb|terminate|purge|wipe)(-|$)/.test(v)) ||
    (verbs.includes('sync') && line.includes('--delete'))
  ) {
    return [f('shell', 'destructive', `deletes cloud resources (${label})`)];
  }
  if (verbs.some((v) => /^(list|ls|describe|get|show|info|read|logs|tail|status|head-object|lookup)(-|$)/.test(v))) {
    return [f('shell', 'read', `reads cloud resources (${label})`, blocker)];
  }
  return [f('shell', 'write', `changes cloud resources (${label})`, blocker)];
}
