import { RefusedError } from './types.js';

const SUFFIXES = /-(db|database|postgres|postgresql|pg|redis|cache|primary|master|replica|svc|service)$/;

/**
 * Picks a configured diagnostic target: the one named explicitly, else the one the command's host
 * names (exact, first DNS label, or without a -db/-redis style suffix, or the URL's own host), else
 * the only one configured. Never connects anywhere that is not in config.
 */
export function pickTarget(
  targets: Record<string, string>,
  opts: { explicit?: string; host?: string; kind: 'PostgreSQL' | 'Redis'; envVar: string },
): { name: string; url: string } {
  const names = Object.keys(targets);
  const list = names.length ? names.join(', ') : '(none)';
  if (!names.length)
    throw new RefusedError(`No diagnostic ${opts.kind} targets are configured (set ${opts.envVar}=name=url).`);
  if (opts.explicit) {
    const url = targets[opts.explicit];
    if (url === undefined)
      throw new RefusedError(`Unknown ${opts.kind} target "${opts.explicit}"; configured: ${list}.`);
    return { name: opts.explicit, url };
  }
  const host = opts.host && !/[<$]/.test(opts.host) ? opts.host.toLowerCase() : undefined;
  if (host) {
    const first = host.split('.')[0]!;
    const candidates = [host, first, first.replace(SUFFIXES, '')];
    for (const c of candidates) {
      const url = targets[c];
      if (url !== undefined) return { name: c, url };
    }
    for (const [name, url] of Object.entries(targets)) {
      if (name.replace(SUFFIXES, '') === first.replace(SUFFIXES, '')) return { name, url };
      if (hostOf(url) === host) return { name, url };
    }
  }
  if (names.length === 1) return { name: names[0]!, url: targets[names[0]!]! };
  throw new RefusedError(
    `Which ${opts.kind}? ${host ? `"${host}" is not a configured target. ` : ''}Configured targets: ${list}.`,
  );
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}
