import { afterEach, describe, expect, it } from 'vitest';
import { killChildren, startServe } from '../helpers/child.js';

afterEach(killChildren);

describe('incident-bot serve', () => {
  it('answers /healthz and /readyz, exposes metrics, and exits 0 on SIGTERM', async () => {
    const s = startServe();
    const url = await s.url;
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ ok: true });
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect(await (await fetch(`${url}/metrics`)).text()).toContain('incident_bot_http_requests_total');
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    expect(s.output()).toContain('"msg":"stopped"');
    s.cleanup();
  });

  it('refuses to start with a clear message naming a bad variable', async () => {
    const s = startServe({ PORT: 'abc', TIMER_POLL_MS: 'soon' });
    await expect(s.url).rejects.toThrow(/TIMER_POLL_MS="soon"/);
    s.cleanup();
  });
});
