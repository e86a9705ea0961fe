/**
 * Outbox claim cost with a shallow and a deep backlog (issue 17): one claim of `batch` rows with 100 rows
 * waiting and with 10,000 waiting, in one run, for the claim of migration 031 (heads, one index range per
 * priority) and for the claim before it (DISTINCT ON over every open row). Rows are spread over ordering keys
 * as a storm spreads them (20 per key, at most 500 keys); each claim is given back (releaseInflight) so the
 * depth stays the same from one sample to the next.
 */
import type { Db } from '../src/store/db.js';
import { openDb } from '../src/store/db.js';
import { migrate } from '../src/store/migrate.js';
import { claim, claimByScan, placeRows, releaseInflight } from '../src/store/outbox.js';
import { type Backend, freshPostgres, round, summary } from './lib.js';

export interface ClaimBenchOptions {
  backend: Backend;
  pgBase: string | null;
  depths?: number[];
  batch?: number;
  samples?: number;
}

async function fill(db: Db, depth: number): Promise<void> {
  await db.query('DELETE FROM outbox');
  const keys = Math.max(1, Math.min(500, Math.ceil(depth / 20)));
  const ops = ['slack.post', 'slack.post', 'slack.updateHeader', 'slack.announce'];
  await db.query(
    `INSERT INTO outbox (ordering_key, op, payload, next_attempt_at, priority, claim_priority)
     SELECT 'inc:' || (g % $2), ($3::text[])[1 + g % 4], '{}'::jsonb, 'epoch',
            CASE ($3::text[])[1 + g % 4] WHEN 'slack.updateHeader' THEN 3 WHEN 'slack.announce' THEN 4 ELSE 2 END,
            2
     FROM generate_series(0, $1 - 1) AS g`,
    [depth, keys, ops],
  );
  await db.tx((q) => placeRows(q, depth + 1));
  await db.query('ANALYZE outbox');
}

async function time(db: Db, samples: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < samples + 3; i++) {
    const t = performance.now();
    await fn();
    const ms = performance.now() - t;
    await releaseInflight(db);
    if (i >= 3) out.push(ms);
  }
  return out;
}

export async function benchOutboxClaim(opts: ClaimBenchOptions) {
  const depths = opts.depths ?? [100, 10_000];
  const batch = opts.batch ?? 16;
  const samples = opts.samples ?? 60;
  const fresh = opts.backend === 'postgres' && opts.pgBase ? await freshPostgres(opts.pgBase) : null;
  const db = fresh ? await openDb({ databaseUrl: fresh.url }) : await openDb({ dataDir: 'memory://' });
  try {
    await migrate(db);
    const now = new Date();
    const claimMs: Record<string, number> = {};
    const beforeClaimMs: Record<string, number> = {};
    const detail: Record<string, unknown> = {};
    for (const depth of depths) {
      await fill(db, depth);
      const heads = await time(db, samples, () => db.tx((q) => claim(q, now, batch, 60_000)));
      const scan = await time(db, samples, () => db.tx((q) => claimByScan(q, now, batch, 60_000)));
      claimMs[depth] = summary(heads).p50Ms;
      beforeClaimMs[depth] = summary(scan).p50Ms;
      detail[depth] = { heads: summary(heads), distinctOn: summary(scan) };
    }
    const [lo, hi] = [String(depths[0]), String(depths.at(-1))];
    return {
      backend: opts.backend,
      batch,
      method: `p50 of ${samples} claims of ${batch} rows (each given back), rows 20 per ordering key (at most 500 keys)`,
      claimMs,
      beforeClaimMs,
      growth: round(claimMs[hi]! / Math.max(0.01, claimMs[lo]!), 2),
      beforeGrowth: round(beforeClaimMs[hi]! / Math.max(0.01, beforeClaimMs[lo]!), 2),
      detail,
    };
  } finally {
    await db.close();
    await fresh?.drop();
  }
}
