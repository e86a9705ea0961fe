/** Source scanning shared by the ship tests: which Slack methods and Kubernetes APIs the bot's code uses. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export const ROOT = new URL('../../', import.meta.url).pathname;

/** .ts files under dir (recursively), skipping any path containing one of `skip`. */
export function tsFiles(dir: string, skip: string[] = []): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const rel = relative(ROOT, p);
    if (skip.some((s) => rel.startsWith(s))) continue;
    if (statSync(p).isDirectory()) out.push(...tsFiles(p, skip));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

export interface Use {
  name: string;
  file: string;
  line: number;
}

const NS = '(?:chat|conversations|views|users|usergroups|pins|bookmarks|reactions|files|auth|team|apps)';
/** `client.chat.postMessage(` / `app.client.views.open(` / `slack.users.info(` */
const CALL = new RegExp(`\\b(?:[A-Za-z_$]*[cC]lient|web|slack)\\.(${NS}(?:\\.[A-Za-z]+)+)\\s*\\(`, 'g');
/** 'chat.postMessage' as a string (the outbox sender calls methods by name). */
const LITERAL = new RegExp(`['"\`](${NS}\\.[A-Za-z][A-Za-z.]*)['"\`]`, 'g');
const NOT_A_METHOD = /\.(?:js|ts|json|ya?ml|md|sql|html|css)$/;

function lineOf(text: string, index: number): number {
  let n = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

/**
 * Slack Web API methods the bot's code calls. The local Slack emulator (src/emulator/) implements the API
 * rather than calling it, so it is not the bot's usage and is skipped.
 */
export function slackMethodUses(files: string[]): Use[] {
  const uses: Use[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const re of [CALL, LITERAL]) {
      for (const m of text.matchAll(re)) {
        const name = m[1];
        if (NOT_A_METHOD.test(name)) continue;
        uses.push({ name, file: relative(ROOT, file), line: lineOf(text, m.index ?? 0) });
      }
    }
  }
  return uses;
}

export const BOT_SOURCE_SKIP = ['src/emulator'];
