import { type Finding, f, positionals } from './finding.js';

/** Grammar of docker/podman and docker compose / docker-compose. */
export function dockerFinding(cli: string, args: string[]): Finding {
  if (cli === 'docker-compose') return composeFinding(cli, args);
  if (positionals(args, /^(-H|--host|--context|-c|--config|-l|--log-level)$/)[0] === 'compose') {
    const at = args.indexOf('compose');
    return composeFinding('docker compose', args.slice(at + 1));
  }
  const pos = positionals(args, /^(-f|--filter|--format|-n|--tail|--since)$/);
  const [a = '', b = ''] = pos;
  const label = `${cli} ${pos.slice(0, 2).join(' ')}`.trim();
  if (/^(prune|rm)$/.test(b) || /^(rm|rmi|prune)$/.test(a) || (a === 'volume' && /^(rm|prune)$/.test(b))) {
    return f(
      'shell',
      'destructive',
      `deletes containers, images or volumes (${label}${args.includes('-a') ? ' -a' : ''})`,
    );
  }
  if (
    /^(ps|stats|logs|inspect|images|info|version|top|events|port|diff|history)$/.test(a) ||
    (/^(container|image|volume|network|system)$/.test(a) && /^(ls|list|inspect|logs|df|info|history)$/.test(b))
  )
    return f('shell', 'read', `inspects containers (${label})`);
  if (/^(exec|run|attach|cp)$/.test(a)) return f('shell', 'exec', `runs code in a container (${label})`);
  return f('shell', 'write', `changes containers (${label})`);
}

/** `docker compose` / `docker-compose`: ps/logs/config read; restart/stop/up write; rm/down destructive. */
export function composeFinding(cli: string, args: string[]): Finding {
  const pos = positionals(
    args,
    /^(-f|--file|-p|--project-name|--profile|--env-file|--project-directory|-n|--tail|--since|--format)$/,
  );
  const verb = pos[0] ?? '';
  const label = `${cli} ${verb}`.trim();
  if (/^(ps|logs|top|config|images|events|port|ls|version|stats)$/.test(verb))
    return f('shell', 'read', `inspects a Compose project (${label})`);
  if (/^(rm|down)$/.test(verb))
    return f(
      'shell',
      'destructive',
      `removes containers${args.includes('-v') || args.includes('--volumes') ? ' and volumes' : ''} of a Compose project (${label})`,
    );
  if (/^(exec|run|cp|attach)$/.test(verb)) return f('shell', 'exec', `runs code in a container (${label})`);
  return f('shell', 'write', `changes a Compose project (${label})`);
}
