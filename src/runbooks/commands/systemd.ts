import { type Finding, f, positionals } from './finding.js';

/** Grammar of systemctl/service and journalctl. */
export function systemctlFinding(cli: string, args: string[]): Finding {
  const pos = positionals(args, /^(-n|--lines|-p|--property)$/);
  const verb = cli === 'service' ? (pos[1] ?? '') : (pos[0] ?? '');
  if (/^(status|is-active|is-enabled|is-failed|show|list-units|list-unit-files|cat)$/.test(verb)) {
    return f('shell', 'read', `reads service state (${cli} ${verb})`);
  }
  return f('shell', 'write', `${verb || 'changes'}s a system service (${cli} ${verb})`.replace('ss a', 's a'));
}

/** `journalctl`: reads the journal, except the options that rotate, vacuum or flush it. */
export function journalctlFinding(args: string[]): Finding {
  if (args.some((w) => /^--(vacuum-\w+|rotate|flush|sync|relinquish-var|setup-keys|update-catalog)\b/.test(w)))
    return f('shell', 'write', 'rotates or deletes journal files (journalctl)');
  return f('shell', 'read', 'reads the system journal (journalctl)');
}
