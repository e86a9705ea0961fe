import { type Finding, f, positionals } from './finding.js';

/** Grammar of terraform/tofu. */
export function terraformFinding(cli: string, args: string[]): Finding {
  const verb = positionals(args, /^(-var|-var-file|-target)$/)[0] ?? '';
  if (verb === 'destroy' || (verb === 'apply' && args.includes('-destroy')))
    return f('shell', 'destructive', `destroys infrastructure (${cli} destroy)`);
  if (/^(plan|show|output|validate|fmt|version|state)$/.test(verb))
    return f('shell', 'read', `reads infrastructure state (${cli} ${verb})`);
  return f('shell', 'write', `changes infrastructure (${cli} ${verb})`);
}
