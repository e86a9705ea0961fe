import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configRows, configTable, readmeTable, replaceReadmeTable } from '../../scripts/config-table.js';
import { ConfigSchema } from '../../src/config.js';
import { ROOT } from './scan.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('README configuration table', () => {
  it('matches the live config schema (regenerate: npx tsx scripts/config-table.ts --write)', () => {
    const table = readmeTable(readme);
    expect(table, 'README needs <!-- config:start --> and <!-- config:end --> markers').toBeDefined();
    expect(table).toBe(configTable());
  });

  it('describes every variable', () => {
    const undocumented = configRows().filter((r) => !r.description.trim());
    expect(
      undocumented.map((r) => r.name),
      'add .describe() in src/config.ts',
    ).toEqual([]);
    expect(configRows().map((r) => r.name)).toEqual(Object.keys(ConfigSchema.shape));
  });

  it('finds defaults and descriptions through default, transform, refine and optional wrappers', () => {
    const list = z
      .string()
      .default('')
      .transform((s) => s.split(','));
    const shape = {
      A: z.coerce.number().default(3).describe('a number'),
      B: list.default('x=1').describe('a list'),
      C: z
        .string()
        .optional()
        .transform((v) => v)
        .refine(Boolean)
        .describe('no default | with a pipe'),
      D: list.describe('inner empty default'),
    };
    expect(configTable(shape).split('\n').slice(2)).toEqual([
      '| `A` | `3` | a number |',
      '| `B` | `x=1` | a list |',
      '| `C` | (unset) | no default \\| with a pipe |',
      '| `D` | (unset) | inner empty default |',
    ]);
  });

  it('keeps the README quick start at the top', () => {
    expect(readme.startsWith('# incident-bot\n\n```sh\nnpm ci && npx incident-bot serve')).toBe(true);
  });

  it('rewrites only the text between the markers', () => {
    const doc = 'intro\n<!-- config:start -->\nold\n<!-- config:end -->\noutro\n';
    expect(replaceReadmeTable(doc, 'new')).toBe('intro\n<!-- config:start -->\nnew\n<!-- config:end -->\noutro\n');
  });
});
