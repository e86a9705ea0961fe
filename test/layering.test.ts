import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The README's map of src/, enforced: domain folders never import the adapters (slack/, http/, cli/,
 * emulator/) or the wiring (app.ts, main.ts), and write no Slack markup.
 */
const SRC = resolve(__dirname, '../src');
const DOMAINS = [
  'alerts',
  'auth',
  'diagnostics',
  'escalation',
  'incidents',
  'outbox',
  'postmortem',
  'runbooks',
  'statuspage',
  'store',
];
const ADAPTERS = ['slack', 'http', 'cli', 'emulator'];
const WIRING = ['app.ts', 'main.ts'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every relative import of a file, as a path under src/ ("slack/render/text.ts"). */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/g))
    out.push(relative(SRC, resolve(file, '..', m[1]!)).replace(/\.js$/, '.ts'));
  for (const m of text.matchAll(/import\(\s*'(\.[^']+)'\s*\)/g))
    out.push(relative(SRC, resolve(file, '..', m[1]!)).replace(/\.js$/, '.ts'));
  return out;
}

/** Slack markup a domain may not write: mentions, channel links, broadcasts, emoji codes. */
const MRKDWN = /<@[UW]|<!subteam|<#C|<!here|<!channel|<!date|['`"]:[a-z_]+:/;

/** A line without its regular-expression literals (readers of old mrkdwn rows match it, they do not write it). */
const withoutRegexes = (line: string) => line.replace(/\/(?:\\.|[^/\n])+\/[gimsuy]*/g, '');

describe('layering', () => {
  for (const domain of DOMAINS) {
    const list = files(join(SRC, domain));
    it(`${domain}/ imports no adapter (slack/, http/, cli/, emulator/) and not the wiring`, () => {
      expect(list.length).toBeGreaterThan(0);
      const bad = list.flatMap((f) =>
        imports(f)
          .filter((i) => ADAPTERS.some((a) => i.startsWith(`${a}/`)) || WIRING.includes(i))
          .map((i) => `${relative(SRC, f)} -> ${i}`),
      );
      expect(bad).toEqual([]);
    });

    it(`${domain}/ writes no Slack mrkdwn`, () => {
      const bad = list.flatMap((f) =>
        readFileSync(f, 'utf8')
          .split('\n')
          .map((line, i) => ({ line, n: i + 1 }))
          .filter(({ line }) => !/^\s*(\/\/|\*|\/\*\*)/.test(line) && MRKDWN.test(withoutRegexes(line)))
          .map(({ line, n }) => `${relative(SRC, f)}:${n}: ${line.trim()}`),
      );
      expect(bad).toEqual([]);
    });
  }

  it('the Slack adapter is not imported by the HTTP server or the store', () => {
    const bad = [...files(join(SRC, 'http'))].flatMap((f) =>
      imports(f)
        .filter((i) => i.startsWith('slack/'))
        .map((i) => `${relative(SRC, f)} -> ${i}`),
    );
    expect(bad).toEqual([]);
  });

  it('finds the imports it checks (the scan itself works)', () => {
    expect(imports(join(SRC, 'app.ts'))).toContain('slack/adapter.ts');
  });
});
