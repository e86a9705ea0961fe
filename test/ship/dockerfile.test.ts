import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './scan.js';

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  body: Instruction[];
}

/** Enough of the Dockerfile grammar for our own file: comments, line continuations, one instruction per line. */
function parseDockerfile(text: string): { args: Instruction[]; stages: Stage[] } {
  const logical: string[] = [];
  let cur = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      cur += line.slice(0, -1) + ' ';
      continue;
    }
    cur += line;
    if (cur.trim()) logical.push(cur.trim());
    cur = '';
  }
  const args: Instruction[] = [];
  const stages: Stage[] = [];
  for (const l of logical) {
    const [op = '', ...rest] = l.split(/\s+/);
    const ins = { op: op.toUpperCase(), args: rest.join(' ') };
    if (ins.op === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(ins.args);
      stages.push({ from: m?.[1] ?? '', name: m?.[2], body: [] });
    } else if (stages.length === 0) args.push(ins);
    else stages[stages.length - 1]!.body.push(ins);
  }
  return { args, stages };
}

const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const { args, stages } = parseDockerfile(text);
const runtime = stages[stages.length - 1]!;
const all = (s: Stage, op: string) => s.body.filter((i) => i.op === op).map((i) => i.args);

describe('Dockerfile', () => {
  it('is multi-stage on a Node 20 base', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const base = args.find((a) => a.op === 'ARG' && a.args.startsWith('NODE_IMAGE='))?.args.split('=')[1];
    for (const s of stages) expect(s.from.replace('$' + '{NODE_IMAGE}', base ?? '')).toMatch(/^node:20[-.\w]*$/);
  });

  it('compiles TypeScript in a stage with dev dependencies and ships only the compiled output', () => {
    const build = stages.find((s) => all(s, 'RUN').some((r) => /npm run build|tsc -p tsconfig\.build\.json/.test(r)));
    expect(build, 'a stage runs the TypeScript build').toBeDefined();
    expect(build).not.toBe(runtime);
    expect(all(build!, 'RUN').some((r) => /npm ci(?! .*--omit=dev)/.test(r))).toBe(true);
    expect(all(runtime, 'RUN').join('\n')).not.toMatch(/npm (ci|install)|tsc/);
  });

  it('installs production dependencies with npm ci --omit=dev and no lifecycle scripts', () => {
    const deps = stages.flatMap((s) => all(s, 'RUN')).find((r) => r.includes('npm ci --omit=dev'));
    expect(deps).toBeDefined();
    expect(deps).toContain('--ignore-scripts');
    expect(all(runtime, 'COPY').some((c) => /--from=deps\b.*node_modules/.test(c))).toBe(true);
  });

  it('ships every runtime path at its relative place, including the SQL migrations', () => {
    const build = stages.map((s) => all(s, 'RUN').join('\n')).join('\n');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
    for (const p of new Set([...pkg.files, 'templates', 'src/emulator/ui'])) expect(build).toContain(p);
    expect(build).toMatch(/cp -r src\/store\/migrations \/out\/src\/store\//);
    const tsb = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8'));
    expect(tsb.compilerOptions).toMatchObject({ rootDir: 'src', outDir: 'dist' }); // bin/incident-bot.js runs dist/main.js
    expect(readFileSync(join(ROOT, 'bin/incident-bot.js'), 'utf8')).toContain('../dist/main.js');
  });

  it('assembles the runtime layout the code expects (build step run with a stub compiler)', () => {
    const build = stages.flatMap((st) => all(st, 'RUN')).find((r) => r.includes('npm run build'))!;
    const tmp = mkdtempSync(join(tmpdir(), 'docker-layout-'));
    try {
      const ctx = join(tmp, 'ctx');
      for (const p of [
        'bin',
        'runbooks',
        'templates',
        'src/store/migrations',
        'src/store/pglite-worker.mjs',
        'src/emulator',
      ])
        if (existsSync(join(ROOT, p))) cpSync(join(ROOT, p), join(ctx, p), { recursive: true });
      mkdirSync(join(ctx, 'dist'), { recursive: true });
      writeFileSync(join(ctx, 'dist/main.js'), '');
      const script = build.replace('npm run build', 'true').replaceAll('/out', join(tmp, 'out'));
      execFileSync('sh', ['-c', script], { cwd: ctx });
      for (const p of [
        'bin/incident-bot.js',
        'dist/main.js',
        'src/store/migrations/001_initial.sql',
        'src/store/pglite-worker.mjs',
        'runbooks',
        'templates',
      ])
        expect(existsSync(join(tmp, 'out', p)), p).toBe(true);
      if (existsSync(join(ROOT, 'src/emulator/workspace.default.yml')))
        expect(existsSync(join(tmp, 'out/src/emulator/workspace.default.yml'))).toBe(true);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('runs as a numeric non-root user', () => {
    const user = all(runtime, 'USER').at(-1);
    expect(user).toBeDefined();
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(user!.split(':')[0]).not.toBe('0');
  });

  it('exposes port 3000, checks /healthz and reads runbooks from /runbooks', () => {
    expect(all(runtime, 'EXPOSE')).toContain('3000');
    const hc = all(runtime, 'HEALTHCHECK').join(' ');
    expect(hc).toContain('/healthz');
    expect(hc).toMatch(/CMD/);
    expect(all(runtime, 'ENV').join(' ')).toMatch(/RUNBOOKS_DIR=\/runbooks\b/);
    expect(all(runtime, 'ENTRYPOINT').join(' ')).toContain('bin/incident-bot.js');
    expect(all(runtime, 'CMD').join(' ')).toContain('serve');
  });

  it('keeps secrets, git history and local state out of the build context', () => {
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const p of ['.git', 'node_modules', '.env', '.incident-bot', 'dist']) expect(ignore).toContain(p);
  });
});
