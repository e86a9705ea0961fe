/**
 * Prints the README configuration table (variable, default, meaning) from the live zod ConfigSchema,
 * so the documentation cannot drift from the code.
 *
 *   npx tsx scripts/config-table.ts          # print the table
 *   npx tsx scripts/config-table.ts --write  # replace the table between the README markers
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { z } from 'zod';
import { ConfigSchema } from '../src/config.js';

export const START_MARKER = '<!-- config:start -->';
export const END_MARKER = '<!-- config:end -->';

export interface ConfigRow {
  name: string;
  /** undefined: no default (unset unless you set it). */
  default: unknown;
  description: string;
}

/** Walks wrappers (default, effects, optional, nullable, …) inward: first description and first default win. */
export function describeField(name: string, schema: z.ZodTypeAny): ConfigRow {
  let description: string | undefined;
  let dflt: unknown;
  let hasDefault = false;
  let cur: z.ZodTypeAny | undefined = schema;
  for (let depth = 0; cur && depth < 20; depth++) {
    // biome-ignore lint/suspicious/noExplicitAny: zod internals (_def) are untyped across wrapper kinds
    const def: any = (cur as any)._def;
    description ??= cur.description;
    if (!hasDefault && def?.typeName === 'ZodDefault') {
      dflt = def.defaultValue();
      hasDefault = true;
    }
    cur = def?.innerType ?? def?.schema ?? def?.in;
  }
  return { name, default: hasDefault ? dflt : undefined, description: description ?? '' };
}

export function configRows(shape: Record<string, z.ZodTypeAny> = ConfigSchema.shape): ConfigRow[] {
  return Object.entries(shape).map(([name, s]) => describeField(name, s));
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function formatDefault(v: unknown): string {
  if (v === undefined || v === '') return '(unset)';
  return '`' + cell(String(v)) + '`';
}

/** The Markdown table, one row per variable in schema order. */
export function configTable(shape: Record<string, z.ZodTypeAny> = ConfigSchema.shape): string {
  const lines = ['| Variable | Default | Meaning |', '| --- | --- | --- |'];
  for (const r of configRows(shape)) {
    lines.push(`| \`${r.name}\` | ${formatDefault(r.default)} | ${cell(r.description)} |`);
  }
  return lines.join('\n');
}

/** The table currently in a README between the markers, or undefined when the markers are missing. */
export function readmeTable(readme: string): string | undefined {
  const a = readme.indexOf(START_MARKER);
  const b = readme.indexOf(END_MARKER);
  if (a < 0 || b < a) return undefined;
  return readme.slice(a + START_MARKER.length, b).trim();
}

/** Returns the README with the table between the markers replaced by `table`. */
export function replaceReadmeTable(readme: string, table: string): string {
  const a = readme.indexOf(START_MARKER);
  const b = readme.indexOf(END_MARKER);
  if (a < 0 || b < a) throw new Error(`README has no ${START_MARKER} … ${END_MARKER} markers`);
  return readme.slice(0, a + START_MARKER.length) + '\n' + table + '\n' + readme.slice(b);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const table = configTable();
  if (process.argv.includes('--write')) {
    const path = new URL('../README.md', import.meta.url);
    writeFileSync(path, replaceReadmeTable(readFileSync(path, 'utf8'), table));
    console.error('README.md configuration table updated');
  } else {
    console.log(table);
  }
}
