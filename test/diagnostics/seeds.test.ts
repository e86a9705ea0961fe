import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import nock from 'nock';
import { afterAll, describe, expect, it } from 'vitest';
import { createDiagnostics } from '../../src/diagnostics/run.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { parseRunbook } from '../../src/runbooks/parse.js';
import { K8S, NOW, testKubeConfig } from './helpers.js';

const SEEDS = '/work/shared/seeds';
const PROM = 'http://prometheus.test:9090';
const present = existsSync(SEEDS);
if (!present) console.log(`${SEEDS} absent: seed runbook diagnostics test skipped`);

afterAll(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe.skipIf(!present)('read diagnostics from the seed runbooks', () => {
  it('every runnable read either runs or is refused with a clear reason, never crashes', async () => {
    nock.disableNetConnect();
    nock(K8S).persist().get(/.*/).reply(200, { kind: 'List', apiVersion: 'v1', metadata: {}, items: [] });
    nock(PROM)
      .persist()
      .get(/.*/)
      .reply(200, { status: 'success', data: { resultType: 'vector', result: [] } });
    const d = createDiagnostics({
      kubeClient: testKubeConfig(),
      prometheusUrl: PROM,
      postgresTargets: { db: 'postgres://stub' },
      redisTargets: process.env.REDIS_URL ? { cache: process.env.REDIS_URL } : {},
      // A stub database: the statement reaches it only after the read-only checks.
      pgConnect: async () => ({ query: async () => ({ fields: ['n'], rows: [[1]] }), end: async () => {} }),
      timeoutMs: 2000,
      maxConcurrent: 50,
      maxPerIncident: 50,
      logger: process.env.DEBUG_SEEDS ? createLogger('error', false) : silentLogger,
      now: () => NOW,
      promTrend: false,
    });
    const tally: Record<string, number> = {};
    for (const f of readdirSync(SEEDS)) {
      const doc = parseRunbook(readFileSync(join(SEEDS, f), 'utf8'), f);
      for (const c of doc.commands) {
        if (c.risk !== 'read' || !['kubernetes', 'prometheus', 'postgres', 'redis'].includes(c.executor)) continue;
        // Fill every placeholder with a plausible value, as alert labels or the modal would.
        const values = Object.fromEntries(d.missing(c, {}).map((p) => [p, /namespace|^ns$/i.test(p) ? 'prod' : 'x1']));
        const r = await d.run({ command: c, values, incidentId: 1 });
        expect(r.error ?? '', c.text).not.toMatch(/unexpectedly/);
        if (!r.ok) expect(r.error?.length).toBeGreaterThan(10);
        if (process.env.DEBUG_SEEDS && !r.ok) console.log(JSON.stringify(c.text), c.query, '->', r.error);
        const key = `${c.executor}:${r.ok ? 'ok' : 'refused'}`;
        tally[key] = (tally[key] ?? 0) + 1;
      }
    }
    console.log('seed read diagnostics:', JSON.stringify(tally));
    const ran = Object.entries(tally)
      .filter(([k]) => k.endsWith(':ok'))
      .reduce((a, [, n]) => a + n, 0);
    expect(ran).toBeGreaterThan(10);
  });
});
