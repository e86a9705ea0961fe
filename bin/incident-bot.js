#!/usr/bin/env node
// Runs the compiled CLI; falls back to the TypeScript sources (via tsx) in a checkout that was not built.
import { existsSync } from 'node:fs';

const dist = new URL('../dist/main.js', import.meta.url);
if (existsSync(dist)) {
  await import(dist.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/main.ts', import.meta.url).href);
}
