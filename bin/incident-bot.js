#!/usr/bin/env node
// Runs the compiled CLI (dist/). In a checkout whose sources changed since the last build, runs the
// TypeScript sources through tsx instead, so `npx incident-bot` never runs stale code.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = new URL('../dist/main.js', import.meta.url);
const src = new URL('../src/', import.meta.url);

function newestMtime(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : e.name.endsWith('.ts') ? statSync(p).mtimeMs : 0);
  }
  return newest;
}

const hasSources = existsSync(new URL('main.ts', src));
const built = existsSync(dist);
const stale = built && hasSources && newestMtime(fileURLToPath(src)) > statSync(dist).mtimeMs;

if (built && !stale) {
  await import(dist.href);
} else {
  const { register } = await import('tsx/esm/api').catch(() => {
    console.error('incident-bot: dist/ is missing or out of date and tsx is not installed; run `npm run build`.');
    process.exit(1);
  });
  register();
  await import(new URL('main.ts', src).href);
}
