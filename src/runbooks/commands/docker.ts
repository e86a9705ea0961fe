import { type Finding, f, positionals } from './finding.js';

/** Grammar of docker/podman and docker compose / docker-compose. */
export function dockerFinding(cli: string, args: string[]): Finding {
  const pos = positionals(args, /^(-f|--filter|--format|-n|--tail|--since)$/);
  const [a = '', b = ''] = pos;
  const label = `${cli} ${pos.slice(0, 2).join(' ')}`.trim();
  if (/^(prune)$/.test(b) || /^(rm|rmi)$/.test(a) || (a === 'volume' && /^(rm|prune)$/.test(b))) {
    return f(
      'shell',
      'destructive',
      `deletes containers, images or volumes (${label}${args.includes('-a') ? ' -a' : ''})`,
    );
  }
  if (/^(ps|stats|logs|inspect|images|info|version|top|events|port|diff)$/.test(a))
    return f('shell', 'read', `inspects containers (${label})`);
  if (/^(exec|run|attach|cp)$/.test(a)) return f('shell', 'exec', `runs code in a container (${label})`);
  return f('shell', 'write', `changes containers (${label})`);
}
