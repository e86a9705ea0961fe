import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { isFatal } from '../../src/process-guard.js';

const WasmRuntimeError = (globalThis as unknown as { WebAssembly: { RuntimeError: new (m: string) => Error } })
  .WebAssembly.RuntimeError;

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

function start() {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/process/guarded-server.ts'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const port = new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', () => {
      const m = /\{"port":(\d+)\}/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { port, exited, output: () => out };
}

describe('no input takes the process down', () => {
  it('an exception thrown outside a request (rt-02: string too long in a socket handler) is logged with context and the server keeps answering', async () => {
    const s = start();
    const base = `http://127.0.0.1:${await s.port}`;
    expect((await fetch(`${base}/throw`)).status).toBe(200);
    expect((await fetch(`${base}/reject`)).status).toBe(200);
    // Still serving after both.
    expect(await (await fetch(`${base}/`)).text()).toBe('ok');
    await new Promise((r) => setTimeout(r, 50));
    const lines = s
      .output()
      .split('\n')
      .filter((l) => l.includes('"level":50'));
    expect(
      lines.some((l) => /string longer.*"context":\{"executor":"postgres"/.test(l) && /keeps serving/.test(l)),
    ).toBe(true);
    expect(lines.some((l) => /nobody awaited me.*unhandledRejection/.test(l))).toBe(true);
  });

  it('a WebAssembly abort (embedded database gone) exits 1 for a restart instead of serving on broken state', async () => {
    const s = start();
    const base = `http://127.0.0.1:${await s.port}`;
    await fetch(`${base}/abort`).catch(() => undefined);
    expect(await s.exited).toBe(1);
    expect(s.output()).toMatch(/unexpected fatal error/);
  });

  it('a loop of failures exits for a restart', async () => {
    const s = start();
    const base = `http://127.0.0.1:${await s.port}`;
    for (let i = 0; i < 8; i++) await fetch(`${base}/reject`).catch(() => undefined);
    expect(await s.exited).toBe(1);
    expect(s.output()).toMatch(/more than 5 unexpected errors/);
  });

  it('classifies fatal errors', () => {
    expect(isFatal(new WasmRuntimeError('Aborted()'))).toBe(true);
    expect(isFatal(new Error('Aborted(). Build with -sASSERTIONS'))).toBe(true);
    expect(isFatal(new RangeError('Invalid string length'))).toBe(false);
    expect(isFatal('a string')).toBe(false);
  });
});
