import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Seeds live outside the repo; tests that read them skip with a printed reason when they are absent. */
export const SEEDS_DIR = process.env.SEEDS_DIR ?? '/work/shared/seeds';
export const seedsPresent = existsSync(SEEDS_DIR);
if (!seedsPresent) console.log(`${SEEDS_DIR} absent: seed template tests skipped`);

export interface SeedTemplate {
  line: number;
  fields: string[];
  text: string;
}

/** The seed file whose name starts with `prefix` ("004"), or null. */
export function seedFile(prefix: string): string | null {
  if (!seedsPresent) return null;
  const f = readdirSync(SEEDS_DIR).find((n) => n.startsWith(prefix));
  return f ? join(SEEDS_DIR, f) : null;
}

function collectTemplates(v: unknown, out: SeedTemplate[], seen = new Set<unknown>()): void {
  if (!v || typeof v !== 'object' || seen.has(v)) return;
  seen.add(v);
  const o = v as Record<string, unknown>;
  if (typeof o.text === 'string' && Array.isArray(o.fields) && typeof o.line === 'number') {
    out.push(o as unknown as SeedTemplate);
    return;
  }
  for (const x of Array.isArray(v) ? v : Object.values(o)) collectTemplates(x, out, seen);
}

/** Fenced blocks of a Markdown file, with the 1-based line of their first content line. */
function fencedBlocks(text: string): SeedTemplate[] {
  const lines = text.split('\n');
  const out: SeedTemplate[] = [];
  let start = -1;
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*```/.test(lines[i]!)) continue;
    if (start < 0) start = i;
    else {
      out.push({ line: start + 2, fields: [], text: lines.slice(start + 1, i).join('\n') });
      start = -1;
    }
  }
  return out;
}

/**
 * The seed's template whose text satisfies `pick`: from the runbook engine's `parseRunbook` when it is there and
 * finds one, else from the seed's fenced blocks (the engine is being built in parallel).
 */
export async function seedTemplate(prefix: string, pick: (text: string) => boolean): Promise<SeedTemplate | null> {
  const file = seedFile(prefix);
  if (!file) return null;
  const text = readFileSync(file, 'utf8');
  try {
    const mod = (await import('../../src/runbooks/parse.js' as string)) as {
      parseRunbook?: (t: string, s: string) => unknown;
    };
    if (mod.parseRunbook) {
      const found: SeedTemplate[] = [];
      collectTemplates(mod.parseRunbook(text, file), found);
      const hit = found.find((t) => pick(t.text));
      if (hit) return hit;
    }
  } catch {
    // Engine not there yet: read the block ourselves.
  }
  return fencedBlocks(text).find((b) => pick(b.text)) ?? null;
}
