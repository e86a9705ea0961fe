import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRunbook } from '../src/runbooks/parse.js';

/**
 * Parser speed. Not a timed test: run it (`npx tsx -e "import('./bench/runbooks.ts').then(m => m.benchRunbooks()).then(console.log)"`)
 * and compare. Target: all five seed runbooks in < 50 ms together.
 */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const seedsDir = path.resolve(repoRoot, '../shared/seeds');

/** A runbook of about `bytes` bytes mixing every construct the parser handles. */
export function generatedRunbook(bytes = 1_000_000): string {
  const parts: string[] = [
    '# Generated runbook\n\n**Response Time SLAs**:\n- **Critical**: Acknowledge within 5 minutes, resolve within 1 hour\n',
  ];
  let size = parts[0]!.length;
  for (let i = 0; size < bytes; i++) {
    const section = `
## GeneratedAlert${i}

- **Alert Name**: \`GeneratedAlert${i}\` / \`generated-alert-${i}-b\`
- **Severity**: ${['critical', 'warning', 'info'][i % 3]}
- **Trigger**: error rate > 5% for 5 minutes

Something is wrong with component ${i}; users see errors.

### Immediate Actions (0-5 minutes)

1. **Check pods**: \`kubectl get pods -n team-${i} -l app=svc-${i}\`
2. **Read logs**
   \`\`\`bash
   kubectl logs -n team-${i} deploy/svc-${i} --tail=200 | grep -i error
   kubectl exec -n team-${i} <pod-name> -- psql -c "
     SELECT count(*) FROM pg_stat_activity WHERE state = 'active';
   "
   \`\`\`
3. Query Prometheus: \`rate(http_requests_total{job="svc-${i}",code=~"5.."}[5m])\`

**Escalate to Team ${i} Lead if**:
- Root cause not identified within ${10 + (i % 20)} minutes
- Estimated resolution time >2 hours

\`\`\`sql
SELECT id, state FROM jobs
WHERE team = ${i}
ORDER BY id DESC LIMIT 10;
\`\`\`

| Check | Command |
|---|---|
| cache | \`redis-cli INFO memory\` |
`;
    parts.push(section);
    size += section.length;
  }
  return parts.join('');
}

/** Characters whose long runs made hand-written Markdown readers quadratic. */
const PATHOLOGICAL: [string, string][] = [
  ['bracket', '['],
  ['backtick', '`'],
  ['pipe', '|'],
  ['star', '*'],
  ['underscore', '_'],
  ['linkOpen', '[a]('],
  ['angle', '<'],
  ['dollar', '$('],
  ['quote', '"'],
];

function time(fn: () => void, runs: number): number {
  for (let i = 0; i < 10; i++) fn(); // warm-up: JIT and regex compilation
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return Math.round(samples[Math.floor(samples.length / 2)]! * 100) / 100; // median
}

export async function benchRunbooks(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  if (existsSync(seedsDir)) {
    const seeds = readdirSync(seedsDir)
      .sort()
      .map((f) => [f, readFileSync(path.join(seedsDir, f), 'utf8')] as const);
    // First parse in a fresh process, as at bot start-up (includes JIT warm-up).
    const cold = performance.now();
    for (const [f, t] of seeds) parseRunbook(t, f);
    out['runbooks.seeds.parseAll.cold.ms'] = Math.round((performance.now() - cold) * 100) / 100;
    out['runbooks.seeds.parseAll.ms'] = time(() => {
      for (const [f, t] of seeds) parseRunbook(t, f);
    }, 20);
    for (const [f, t] of seeds) out[`runbooks.seed.${f.slice(0, 3)}.ms`] = time(() => parseRunbook(t, f), 20);
  }
  const big = generatedRunbook();
  out['runbooks.generated1MB.parse.ms'] = time(() => parseRunbook(big, 'generated.md'), 3);
  // The same size with every command new to the process (nothing memoised yet): a first read after start-up or of
  // a runbook not seen before.
  let n = 0;
  const fresh = () => big.replace(/team-(\d+)|svc-(\d+)|team = (\d+)/g, (m) => `${m}x${n}`);
  const docs = Array.from({ length: 13 }, () => {
    n++;
    return fresh();
  });
  out['runbooks.generated1MB.firstRead.ms'] = time(() => parseRunbook(docs.pop()!, 'generated.md'), 3);
  // Pathological lines (target < 50 ms each): one 100,000-character line of one character, alone and as prose,
  // a list item, a table row and a heading.
  for (const [name, ch] of PATHOLOGICAL) {
    const line = ch.repeat(Math.ceil(100_000 / ch.length)).slice(0, 100_000);
    out[`runbooks.line100k.${name}.ms`] = time(() => parseRunbook(`# X\n\n${line}\n`, 'line.md'), 3);
    out[`runbooks.line100k.${name}.inList.ms`] = time(() => parseRunbook(`# X\n\n- ${line}\n`, 'line.md'), 3);
    out[`runbooks.line100k.${name}.inFence.ms`] = time(
      () => parseRunbook(`# X\n\n\`\`\`bash\n${line}\n\`\`\`\n`, 'line.md'),
      3,
    );
  }
  out['runbooks.line100k.worst.ms'] = Math.max(
    ...Object.entries(out)
      .filter(([k]) => k.startsWith('runbooks.line100k.'))
      .map(([, v]) => v),
  );
  return out;
}
