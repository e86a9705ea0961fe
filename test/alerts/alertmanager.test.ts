import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAlertmanager, parseAmTime } from '../../src/alerts/alertmanager.js';
import { clusterOf, identityKey, NotANotificationError } from '../../src/alerts/intake.js';
import { parseSeverity, severityFromLabels } from '../../src/alerts/severity.js';
import { loadConfig } from '../../src/config.js';
import { channelName, slugify, withSuffix } from '../../src/incidents/naming.js';

const map = loadConfig({}).SEVERITY_MAP;
const now = new Date('2026-11-29T12:00:00Z');

describe('alert intake rules', () => {
  it('maps severity labels through the configured map, P-levels as written', () => {
    expect(severityFromLabels({ severity: 'critical' }, map)).toBe('P1');
    expect(severityFromLabels({ severity: 'warning' }, map)).toBe('P3');
    expect(severityFromLabels({ severity: 'info' }, map)).toBe('P4');
    expect(severityFromLabels({ severity: 'P2' }, map)).toBe('P2');
    expect(severityFromLabels({ priority: 'p1' }, map)).toBe('P1');
    expect(severityFromLabels({}, map)).toBe('P3');
    expect(parseSeverity('sev1', map)).toBe('P1');
    expect(parseSeverity('bogus', map)).toBeNull();
  });

  it("reads a label the alert lacks from the notification's commonLabels, the alert's own winning", () => {
    expect(severityFromLabels({ pod: 'a' }, map, { severity: 'critical' })).toBe('P1');
    expect(severityFromLabels({ severity: 'warning' }, map, { severity: 'critical' })).toBe('P3');
    // An empty label of the alert's own counts as absent, as in the merged labels it replaces.
    expect(severityFromLabels({ severity: '' }, map, { severity: 'critical' })).toBe('P3');
    expect(clusterOf({ pod: 'a' }, ['cluster', 'prometheus'], { cluster: 'eu-1' })).toBe('cluster=eu-1');
    expect(clusterOf({ cluster: 'us-2' }, ['cluster', 'prometheus'], { cluster: 'eu-1', prometheus: 'm/k8s' })).toBe(
      'cluster=us-2,prometheus=m/k8s',
    );
    expect(clusterOf({ cluster: '' }, ['cluster'], { cluster: 'eu-1' })).toBe('');
  });

  it('keys incidents by sender identity and groupKey, else by alertname and namespace/service', async () => {
    const base = { status: 'firing', labels: { alertname: 'A', namespace: 'ns' }, annotations: {} };
    const withKey = await parseAlertmanager({ status: 'firing', groupKey: 'k1', alerts: [base] }, now);
    expect(identityKey(withKey, withKey.alerts[0]!, '')).toBe('k1');
    const without = await parseAlertmanager({ status: 'firing', alerts: [base] }, now);
    expect(identityKey(without, without.alerts[0]!, '')).toBe('A/ns');
    const prod = await parseAlertmanager(
      { status: 'firing', groupKey: 'k1', externalURL: 'http://am-prod:9093', alerts: [base] },
      now,
    );
    expect(identityKey(prod, prod.alerts[0]!, 'cluster=prod')).toBe('http://am-prod:9093[cluster=prod]|k1');
  });

  it('derives a stable fingerprint from labels when Alertmanager sent none', async () => {
    const a = { status: 'firing', labels: { alertname: 'A', b: '1' } };
    const b = { ...a, labels: { b: '1', alertname: 'A' } };
    const [x, y, z] = (await parseAlertmanager({ alerts: [a, b, { ...a, fingerprint: 'abc' }] }, now)).alerts.map(
      (r) => r.fingerprint,
    );
    expect(x).toBe(y);
    expect(z).toBe('abc');
  });

  it('reads Alertmanager zero times as "not ended"', () => {
    expect(parseAmTime('0001-01-01T00:00:00Z')).toBeNull();
    expect(parseAmTime('2026-11-23T03:00:00Z')?.toISOString()).toBe('2026-11-23T03:00:00.000Z');
  });

  it('reads anything JSON without throwing, and refuses only what has no alerts list (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything(), async (x) => {
        try {
          const n = await parseAlertmanager(x, now);
          expect(n.alerts.length + n.rejected.length).toBe((x as { alerts: unknown[] }).alerts.length);
        } catch (err) {
          expect(err).toBeInstanceOf(NotANotificationError);
        }
      }),
    );
    await expect(parseAlertmanager({ status: 'firing' }, now)).rejects.toThrow(NotANotificationError);
    expect((await parseAlertmanager({ status: 'firing', alerts: [] }, now)).alerts).toEqual([]);
  });
});

describe('channel names', () => {
  it('are inc-<number>-<slug>, readable, about 40 characters at most, and suffixed on collision', () => {
    expect(channelName({ id: 12, title: 'API is DOWN!!' })).toBe('inc-12-api-is-down');
    expect(channelName({ id: 3, title: 'Ünïcödé café' })).toBe('inc-3-unicode-cafe');
    expect(channelName({ id: 4, title: '🔥🔥' })).toBe('inc-4');
    expect(channelName({ id: 5, title: 'Платежи не проходят', labels: { alertname: 'PaymentsDown' } })).toBe(
      'inc-5-payments-down',
    );
    expect(channelName({ id: 6, title: '支付失败', labels: { service: 'checkout-api' } })).toBe('inc-6-checkout-api');
    const long = channelName({ id: 1234, title: 'Checkout latency above the SLO in every region since the deploy' });
    expect(long).toBe('inc-1234-checkout-latency-above-the-slo');
    expect(long.length).toBeLessThanOrEqual(40);
    const huge = channelName({ id: 7, title: 'x'.repeat(300) });
    expect(huge.length).toBeLessThanOrEqual(40);
    expect(withSuffix(huge, 12).length).toBeLessThanOrEqual(80);
    expect(withSuffix('inc-1-a', 2)).toBe('inc-1-a-2');
    fc.assert(
      fc.property(fc.string(), (title) => {
        const name = withSuffix(channelName({ id: 99, title }), 99);
        expect(name).toMatch(/^[a-z0-9-]{1,80}$/);
        expect(slugify(title)).not.toMatch(/^-|-$/);
      }),
    );
  });
});
