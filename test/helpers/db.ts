import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Db, openDb } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';

export type Backend = 'pglite' | 'postgres';

/** PGlite always; PostgreSQL too when DATABASE_URL is set (CI and this machine). */
export const backends: Backend[] = process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
if (!process.env.DATABASE_URL) console.log('DATABASE_URL unset: store tests run on PGlite only');

const schemas: string[] = [];

/** A fresh, migrated database: in-memory PGlite, or a throwaway schema on PostgreSQL. */
export async function freshDb(
  backend: Backend,
  opts: { migrate?: boolean; max?: number } = {},
): Promise<Db & { schema?: string }> {
  let db: Db & { schema?: string };
  if (backend === 'postgres') {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    schemas.push(schema);
    db = Object.assign(await openDb({ databaseUrl: process.env.DATABASE_URL, schema, max: opts.max ?? 5 }), { schema });
  } else {
    db = await openDb({ dataDir: 'memory://' });
  }
  if (opts.migrate !== false) await migrate(db);
  return db;
}

/** Drops the schemas this file created on PostgreSQL. */
export async function dropSchemas(): Promise<void> {
  if (!process.env.DATABASE_URL || !schemas.length) return;
  const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await c.connect();
  for (const s of schemas.splice(0)) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await c.end();
}
