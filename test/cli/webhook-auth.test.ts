import { afterEach, describe, expect, it } from 'vitest';
import { killChildren, startServe } from '../helpers/child.js';

afterEach(killChildren);

// A real-workspace configuration whose Slack API is unreachable: enough to see what serve does at start.
const SLACK = {
  SLACK_BOT_TOKEN: 'xoxb-fake-123',
  SLACK_SIGNING_SECRET: 'sekrit123',
  SLACK_API_URL: 'http://127.0.0.1:9/api/',
};
const ALERT = JSON.stringify({
  version: '4',
  groupKey: 'g1',
  status: 'firing',
  receiver: 'bot',
  groupLabels: {},
  commonLabels: {},
  commonAnnotations: {},
  externalURL: 'http://am',
  alerts: [
    {
      status: 'firing',
      labels: { alertname: 'RtSql', severity: 'critical' },
      annotations: {},
      startsAt: '2026-01-01T00:00:00Z',
    },
  ],
});

describe('rt-07: the alert webhook is authenticated by default', () => {
  it('serve refuses to start with a Slack token and no ALERT_WEBHOOK_TOKEN', async () => {
    const s = startServe({ ...SLACK, ALERT_WEBHOOK_TOKEN: '' });
    await expect(s.url).rejects.toThrow(
      /ALERT_WEBHOOK_TOKEN: required when SLACK_BOT_TOKEN is set.*ALERT_WEBHOOK_AUTH=none/s,
    );
    expect(await s.exited).not.toBe(0);
    s.cleanup();
  });

  it('ALERT_WEBHOOK_AUTH=none starts, with a warning at start', async () => {
    const s = startServe({ ...SLACK, ALERT_WEBHOOK_TOKEN: '', ALERT_WEBHOOK_AUTH: 'none' });
    await s.url;
    expect(s.output()).toMatch(/"level":40.*ALERT_WEBHOOK_AUTH=none: \/alerts\/\* accepts alerts from anyone/);
    s.child.kill('SIGTERM');
    await s.exited;
    s.cleanup();
  }, 120_000);

  it('a request without the token gets 401 and is logged with its sender, once per minute', async () => {
    const s = startServe({ ...SLACK, ALERT_WEBHOOK_TOKEN: 'tok-123' });
    const url = await s.url;
    for (let i = 0; i < 5; i++) {
      const r = await fetch(`${url}/alerts/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'rt-07-probe' },
        body: ALERT,
      });
      expect(r.status).toBe(401);
    }
    const ok = await fetch(`${url}/alerts/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer tok-123' },
      body: ALERT,
    });
    expect(ok.status).toBe(200);
    const lines = s
      .output()
      .split('\n')
      .filter((l) => l.includes('rejected request to /alerts/alertmanager'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/"ip":"(::ffff:)?127\.0\.0\.1".*"userAgent":"rt-07-probe"/);
    s.child.kill('SIGTERM');
    await s.exited;
    s.cleanup();
  }, 120_000);
});
