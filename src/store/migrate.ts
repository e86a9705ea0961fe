import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from './db.js';

/** Migrations live next to the sources; the build keeps them at the same relative place. */
export function migrationsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // dist/store -> src/store/migrations when running compiled code from a checkout or the npm package.
  const candidates = [join(here, 'migrations'), join(here, '..', '..', 'src', 'store', 'migrations')];
  for (const c of candidates) {
    try {
      readdirSync(c);
      return c;
    } catch {}
  }
  throw new Error(`migrations directory not found near ${here}`);
}

export interface MigrationResult {
  applied: string[];
  skipped: string[];
}

/** Applies pending *.sql files in name order, each in its own transaction; safe to run twice or from two replicas. */
export async function migrate(db: Db, dir = migrationsDir()): Promise<MigrationResult> {
  // Under the same lock as the migrations: two replicas creating it at once on a fresh database collide in
  // pg_type ("duplicate key value violates unique constraint") even with IF NOT EXISTS.
  await db.tx(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock(727274)');
    await q.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
  });
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  const result: MigrationResult = { applied: [], skipped: [] };
  for (const file of files) {
    const sql = readFileSync(join(dir, file), 'utf8');
    const applied = await db.tx(async (q) => {
      // Serialises replicas starting at once; released at commit.
      await q.query('SELECT pg_advisory_xact_lock(727274)');
      const done = await q.query('SELECT 1 FROM schema_migrations WHERE version = $1', [file]);
      if (done.rows.length) return false;
      for (const stmt of splitStatements(sql)) await q.query(stmt);
      await q.query('INSERT INTO schema_migrations (version) VALUES ($1)', [file]);
      return true;
    });
    (applied ? result.applied : result.skipped).push(file);
  }
  return result;
}

/** Splits a migration into statements, keeping $$-quoted function bodies whole. */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inDollar = false;
  for (const line of sql.split('\n')) {
    const trimmed = line.trim();
    if (!inDollar && (trimmed.startsWith('--') || trimmed === '')) continue;
    cur += `${line}\n`;
    const dollars = (line.match(/\$\$/g) ?? []).length;
    if (dollars % 2 === 1) inDollar = !inDollar;
    if (!inDollar && trimmed.endsWith(';')) {
      out.push(cur.trim());
      cur = '';
    }
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}
