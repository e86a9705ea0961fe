/**
 * What a person needs on the terminal after `incident-bot serve` in local mode: where to click, who to be, and
 * what to type. One function so other start-up lines (tokens, URLs) can be added in one place. Pure.
 */
export interface BannerInfo {
  /** The bot's base URL, e.g. http://localhost:3000. */
  url: string;
  /** Users of the local workspace: name and title ("SRE (on call)"). */
  users: { name: string; title?: string | null }[];
  /** Where the embedded database lives, when there is one. */
  dataDir: string | null;
  /** Extra lines (e.g. the emulator's control token), printed before the last line. */
  extra?: string[];
}

/** The local-mode banner, as lines without trailing newlines. */
export function localBanner(info: BannerInfo): string[] {
  const base = info.url.replace(/\/+$/, '');
  const people = info.users
    .slice(0, 6)
    .map((u) => (u.title && /on call/i.test(u.title) ? `${u.name} (on call)` : u.name))
    .join(', ');
  const port = new URL(base).port;
  const urlFlag = port && port !== '3000' ? ` --url ${base}` : '';
  return [
    '',
    `  incident-bot is running with a local Slack workspace: open ${base}/`,
    `  Act as: ${people || '(no users)'}`,
    '  Try: /incident declare P1 API is down   (in #incidents)',
    `  Send an example alert: npx incident-bot alert send examples/alert-crashloop.json${urlFlag}`,
    ...(info.extra ?? []).map((l) => `  ${l}`),
    info.dataDir ? `  Data in ${info.dataDir} (delete it to start over) · Ctrl-C stops` : '  Ctrl-C stops',
    '',
  ];
}
