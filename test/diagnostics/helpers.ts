import { readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import nock from 'nock';
import { afterEach, beforeAll, expect } from 'vitest';
import { createDiagnostics, type DiagnosticsOptions } from '../../src/diagnostics/run.js';
import type { DiagCommand } from '../../src/diagnostics/types.js';
import { silentLogger } from '../../src/log.js';

export const NOW = new Date('2024-05-03T12:00:00Z');
export const K8S = 'https://k8s.test';

export function testKubeConfig(namespace?: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 't', server: K8S, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'c', cluster: 't', user: 'u', ...(namespace ? { namespace } : {}) }],
    currentContext: 'c',
  });
  return kc;
}

// biome-ignore lint/suspicious/noExplicitAny: fixtures are Kubernetes/Prometheus JSON that tests poke into freely.
export type Json = Record<string, any>;

export function fixture(path: string): Json {
  return JSON.parse(readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8'));
}

export function fixtureText(path: string): string {
  return readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');
}

export function cmd(
  text: string,
  executor: DiagCommand['executor'] = 'kubernetes',
  risk: DiagCommand['risk'] = 'read',
  extra: Partial<DiagCommand> = {},
): DiagCommand {
  return { id: 'rb:1', line: 1, text, executor, risk, placeholders: [], query: null, runnable: true, ...extra };
}

/** Diagnostics with small limits and a fixed clock; `opts` overrides (Kubernetes client, Prometheus URL...). */
export function testDiagnostics(opts: Partial<DiagnosticsOptions> = {}) {
  return createDiagnostics({
    postgresTargets: {},
    redisTargets: {},
    timeoutMs: 2000,
    maxConcurrent: 4,
    maxPerIncident: 2,
    logger: silentLogger,
    now: () => NOW,
    ...opts,
  });
}

/** No real network, and every nock'd call a test set up must have been made. */
export function strictNock(): void {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    expect(pending).toEqual([]);
  });
}
