import { type Finding, f, positionals } from './finding.js';

/** Grammar of helm: history/status/get/list read; rollback/upgrade write; uninstall destructive. */
export function helmFinding(args: string[]): Finding {
  const verb = positionals(args, /^(-n|--namespace|--kube-context|--revision|-o|--output)$/)[0] ?? '';
  const blocker = 'the bot has no helm executor';
  if (/^(history|list|ls|status|get|show|template|search|version|env|lint)$/.test(verb)) {
    return f('kubernetes', 'read', `reads Helm release state (helm ${verb})`, blocker);
  }
  if (/^(uninstall|delete|del)$/.test(verb))
    return f('kubernetes', 'destructive', `removes a Helm release (helm ${verb})`);
  return f('kubernetes', 'write', `changes a Helm release (helm ${verb})`, blocker);
}
