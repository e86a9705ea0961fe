import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BOT_SOURCE_SKIP, ROOT, slackMethodUses, tsFiles } from './scan.js';
import { EVENT_SCOPES, METHOD_SCOPES } from './slack-scopes.js';

interface Manifest {
  features: {
    app_home?: { home_tab_enabled?: boolean };
    slash_commands?: { command: string; url: string }[];
  };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    event_subscriptions?: { request_url?: string; bot_events?: string[] };
    interactivity?: { is_enabled: boolean; request_url?: string };
    socket_mode_enabled?: boolean;
  };
}

const manifest = parse(readFileSync(join(ROOT, 'slack-app-manifest.yml'), 'utf8')) as Manifest;
const scopes = new Set(manifest.oauth_config.scopes.bot);
const uses = slackMethodUses(tsFiles(join(ROOT, 'src'), BOT_SOURCE_SKIP));
const methods = [...new Set(uses.map((u) => u.name))].sort();
const where = (name: string) =>
  uses
    .filter((u) => u.name === name)
    .map((u) => `${u.file}:${u.line}`)
    .join(', ');

describe('Slack app manifest', () => {
  it('sends slash commands, interactivity and events to the one /slack/events URL on a placeholder base', () => {
    const urls = [
      ...(manifest.features.slash_commands ?? []).map((c) => c.url),
      manifest.settings.interactivity?.request_url,
      manifest.settings.event_subscriptions?.request_url,
    ];
    expect(urls).toHaveLength(3);
    for (const u of urls) expect(u).toBe('https://incident-bot.example.com/slack/events');
    expect(manifest.features.slash_commands?.map((c) => c.command)).toEqual(['/incident']);
    expect(manifest.settings.interactivity?.is_enabled).toBe(true);
  });

  it('enables the App Home tab and its app_home_opened event', () => {
    expect(manifest.features.app_home?.home_tab_enabled).toBe(true);
    expect(manifest.settings.event_subscriptions?.bot_events).toContain('app_home_opened');
  });

  it('documents Socket Mode as the no-public-URL option', () => {
    expect(typeof manifest.settings.socket_mode_enabled).toBe('boolean');
    const text = readFileSync(join(ROOT, 'slack-app-manifest.yml'), 'utf8');
    expect(text).toMatch(/SLACK_APP_TOKEN/);
    expect(text).toMatch(/connections:write/);
  });

  it('knows the scopes of every Slack method the code calls', () => {
    const unknown = methods.filter((m) => !(m in METHOD_SCOPES)).map((m) => `${m} (${where(m)})`);
    expect(unknown, 'add these methods and their scopes to test/ship/slack-scopes.ts').toEqual([]);
  });

  it('grants a scope for every Slack method the code calls', () => {
    const missing = methods
      .filter((m) => METHOD_SCOPES[m] && METHOD_SCOPES[m].length > 0 && !METHOD_SCOPES[m].some((s) => scopes.has(s)))
      .map((m) => `${m} needs ${METHOD_SCOPES[m]!.join(' or ')} (${where(m)})`);
    expect(missing, 'add the scope to slack-app-manifest.yml').toEqual([]);
  });

  it.skipIf(methods.length === 0)('asks for no scope the code does not need', () => {
    const needed = new Set<string>();
    for (const m of methods) for (const s of METHOD_SCOPES[m] ?? []) if (scopes.has(s)) needed.add(s);
    if ((manifest.features.slash_commands ?? []).length > 0) needed.add('commands');
    for (const e of manifest.settings.event_subscriptions?.bot_events ?? [])
      if (EVENT_SCOPES[e]) needed.add(EVENT_SCOPES[e]);
    const unused = [...scopes].filter((s) => !needed.has(s));
    expect(unused, `scopes no called method needs (methods found: ${methods.join(', ')})`).toEqual([]);
  });

  if (methods.length === 0) console.info('slack-manifest: no Slack calls under src/ yet; unused-scope check skipped');
});

describe('Slack method scanner', () => {
  it('finds client calls and method-name literals, and ignores file names', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'scan-'));
    const f = join(dir, 'x.ts');
    writeFileSync(
      f,
      [
        "await app.client.chat.postMessage({ channel: 'C1' });",
        "await web.usergroups.users.list({ usergroup: 'S1' });",
        "enqueue(q, { op: 'bookmarks.add' });",
        "import x from './auth.js';",
        "const f = 'users.yml';",
      ].join('\n'),
    );
    expect(slackMethodUses([f]).map((u) => u.name)).toEqual([
      'chat.postMessage',
      'usergroups.users.list',
      'bookmarks.add',
    ]);
  });
});
