import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAlertmanager } from '../../src/alerts/alertmanager.js';
import { parseGeneric } from '../../src/alerts/generic.js';
import { parseGrafana } from '../../src/alerts/grafana.js';
import { alertnameOf, NotANotificationError, silenceUrl } from '../../src/alerts/intake.js';
import { parseJsonBody } from '../../src/alerts/json.js';
import { decideAlert, planGroup } from '../../src/alerts/lifecycle.js';
import { alertCountLine } from '../../src/slack/render/alerts.js';

const now = new Date('2026-11-29T12:00:00Z');
const fixture = (name: string) =>
  JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/alerts', name), 'utf8')) as unknown;
const CASES_DIR = resolve(import.meta.dirname, '../../../shared/cases');
const caseJson = (name: string) =>
  existsSync(join(CASES_DIR, name)) ? (JSON.parse(readFileSync(join(CASES_DIR, name), 'utf8')) as unknown) : null;
if (!existsSync(CASES_DIR))
  console.log(`cases not found at ${CASES_DIR}: the shared-case checks use our own inputs only`);

const am = (alerts: unknown[], extra: Record<string, unknown> = {}) => ({
  version: '4',
  groupKey: '{}:{alertname="X"}',
  status: 'firing',
  receiver: 'incident-bot',
  groupLabels: {},
  commonLabels: {},
  commonAnnotations: {},
  externalURL: 'http://alertmanager.example:9093',
  alerts,
  ...extra,
});
const firing = (labels: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  status: 'firing',
  labels,
  annotations: {},
  startsAt: '2026-11-29T10:00:00Z',
  endsAt: '0001-01-01T00:00:00Z',
  generatorURL: 'http://prometheus.example:9090/graph?g0.expr=up',
  fingerprint: `fp-${JSON.stringify(labels).length}-${Object.keys(labels).join('')}`,
  ...extra,
});

describe('reading Alertmanager notifications', () => {
  it('keeps values of any length whole (bh-01: an annotation over 4,096 characters, long groupKey and URLs)', async () => {
    const long = 'level=error msg="failed to flush chunk"\n'.repeat(3000);
    const url = `http://prometheus.example:9090/graph?g0.expr=${'x'.repeat(9000)}`;
    const n = await parseAlertmanager(
      am(
        [
          firing(
            { alertname: 'LokiFlush', pod: 'p'.repeat(6000) },
            { annotations: { description: long }, generatorURL: url },
          ),
        ],
        {
          groupKey: `{}:{alertname="LokiFlush",x="${'k'.repeat(6000)}"}`,
        },
      ),
      now,
    );
    expect(n.rejected).toEqual([]);
    expect(n.alerts[0]!.annotations.description).toBe(long);
    expect(n.alerts[0]!.labels.pod).toHaveLength(6000);
    expect(n.alerts[0]!.generatorUrl).toBe(url);
    expect(n.groupKey!.length).toBeGreaterThan(6000);
    const shared = caseJson('bh-01-annotation-over-4096.json');
    if (shared) {
      const c = await parseAlertmanager(shared, now);
      expect(c.rejected).toEqual([]);
      expect(c.alerts).toHaveLength(1);
      expect(c.alerts[0]!.annotations.description!.length).toBeGreaterThan(4096);
    }
  });

  it('names an alert without alertname from its other labels, marks it, and keeps the alert beside it (bh-04)', async () => {
    const n = await parseAlertmanager(
      am([
        firing({ alertname: 'ProbeFailed', severity: 'critical', job: 'blackbox' }),
        firing({ severity: 'critical', job: 'blackbox', instance: 'https://api.example' }),
      ]),
      now,
    );
    expect(n.alerts.map((a) => [a.alertname, a.nameDerived])).toEqual([
      ['ProbeFailed', false],
      ['Unnamed alert (job=blackbox, instance=https://api.example)', true],
    ]);
    expect(alertnameOf({ alert: 'DiskFull' }, {}).alertname).toBe('DiskFull');
    expect(alertnameOf({}, { summary: 'disk full' }).alertname).toBe('Unnamed alert: disk full');
    expect(alertnameOf({}, {}).alertname).toBe('Unnamed alert');
    const shared = caseJson('bh-04-one-alert-without-alertname.json');
    if (shared) {
      const c = await parseAlertmanager(shared, now);
      expect(c.alerts).toHaveLength(2);
      expect(c.alerts.filter((a) => a.nameDerived)).toHaveLength(1);
    }
  });

  it('sets aside only the alerts it cannot read, with the reason, and ignores unknown fields', async () => {
    const n = await parseAlertmanager(
      am([firing({ alertname: 'Good' }), 'not an alert', null, { status: 'firing' }, firing({ alertname: 'Also' })], {
        somethingNew: { from: 'a future Alertmanager' },
      }),
      now,
    );
    expect(n.alerts.map((a) => a.alertname)).toEqual(['Good', 'Also']);
    expect(n.rejected.map((r) => [r.index, r.reason])).toEqual([
      [1, 'alert is not a JSON object'],
      [2, 'alert is not a JSON object'],
      [3, 'alert has no labels, annotations or fingerprint'],
    ]);
  });

  it('reads numbers and nested values in labels as text, and unknown statuses from the notification', async () => {
    const n = await parseAlertmanager(
      am([{ status: 'weird', labels: { alertname: 'N', code: 503, nested: { a: 1 }, gone: null } }]),
      now,
    );
    expect(n.alerts[0]!.labels).toEqual({ alertname: 'N', code: '503', nested: '{"a":1}' });
    expect(n.alerts[0]!.status).toBe('firing');
  });

  it('reads truncatedAlerts (bh-07)', async () => {
    const n = await parseAlertmanager(am([firing({ alertname: 'TargetDown' })], { truncatedAlerts: 997 }), now);
    expect(n.truncatedAlerts).toBe(997);
    expect(alertCountLine(3, 3, 997)).toContain('showing 3 of 1,000 firing');
    const shared = caseJson('bh-07-truncated-alerts-ignored.json');
    if (shared) expect((await parseAlertmanager(shared, now)).truncatedAlerts).toBe(997);
  });

  it('gives every alert a silence link from externalURL, pre-filled with its labels', async () => {
    const n = await parseAlertmanager(am([firing({ alertname: 'A', pod: 'p"1' })]), now);
    const url = n.alerts[0]!.links.silence!;
    expect(url.startsWith('http://alertmanager.example:9093/#/silences/new?filter=')).toBe(true);
    expect(decodeURIComponent(url.split('filter=')[1]!)).toBe('{alertname="A",pod="p\\"1"}');
    expect(silenceUrl('javascript:alert(1)', { a: 'b' })).toBeUndefined();
  });

  it('refuses only bodies that are not a notification at all', async () => {
    for (const body of [null, [], 'text', 42, { status: 'firing' }, { alerts: 'many' }])
      await expect(parseAlertmanager(body, now)).rejects.toThrow(NotANotificationError);
  });

  it('parses large bodies off the main thread to the same value', async () => {
    const big = am(Array.from({ length: 3000 }, (_, i) => firing({ alertname: 'Storm', pod: `p-${i}` })));
    const text = JSON.stringify(big);
    expect(text.length).toBeGreaterThan(512 * 1024);
    expect(await parseJsonBody(text)).toEqual(big);
    await expect(parseJsonBody(`${text.slice(0, -1)}`)).rejects.toThrow(/JSON/);
  });
});

describe('Grafana and generic senders', () => {
  it('reads a Grafana Unified Alerting notification: title, message, value, dashboard/panel/silence links', async () => {
    const n = await parseGrafana(fixture('grafana-firing.json'), now);
    expect(n.sender).toBe('grafana');
    expect(n.title).toContain('CheckoutErrorBudgetBurn');
    expect(n.message).toContain('Firing');
    const a = n.alerts[0]!;
    expect(a.status).toBe('firing');
    expect(a.links).toMatchObject({
      runbook: 'https://runbooks.example.org/checkout/error-budget',
      dashboard: 'https://grafana.example.org/d/checkout-slo?orgId=1',
      panel: 'https://grafana.example.org/d/checkout-slo?orgId=1&viewPanel=4',
    });
    expect(a.links.silence).toContain('https://grafana.example.org/alerting/silence/new');
    expect(a.annotations.value).toContain("var='A'");
    expect(a.startsAt?.toISOString()).toBe('2026-11-29T08:41:20.512Z');
    const resolved = await parseGrafana(fixture('grafana-resolved.json'), now);
    expect(resolved.status).toBe('resolved');
    expect(resolved.alerts[0]!.status).toBe('resolved');
  });

  it('reads the generic webhook: a list, or one alert at the top level, shortcuts mapped', async () => {
    const n = await parseGeneric(fixture('generic-list.json'), now);
    expect(n.groupKey).toBe('shop-probes');
    const a = n.alerts[0]!;
    expect(a).toMatchObject({ alertname: 'ProbeFailed', fingerprint: 'probe-shop-fra', status: 'firing' });
    expect(a.labels).toMatchObject({ alertname: 'ProbeFailed', severity: 'critical', service: 'shop' });
    expect(a.annotations.summary).toBe('Shop homepage answers 503');
    expect(a.links).toMatchObject({
      runbook: 'https://runbooks.example.org/shop/probe-failed',
      generator: 'https://uptime.example.org/checks/shop',
      dashboard: 'https://grafana.example.org/d/shop',
    });
    const single = await parseGeneric({ name: 'BackupFailed', severity: 'warning', status: 'resolved' }, now);
    expect(single.alerts[0]).toMatchObject({ alertname: 'BackupFailed', status: 'resolved' });
    await expect(parseGeneric({ hello: 1 }, now)).rejects.toThrow(NotANotificationError);
  });
});

describe('alert life cycle (pure)', () => {
  const alert = (status: 'firing' | 'resolved', startsAt: string | null, endsAt: string | null = null) => ({
    status,
    alertname: 'A',
    nameDerived: false,
    labels: { alertname: 'A' },
    annotations: {},
    startsAt: startsAt ? new Date(startsAt) : null,
    endsAt: endsAt ? new Date(endsAt) : null,
    fingerprint: 'f1',
    generatorUrl: null,
    links: {},
  });
  const stored = (status: 'firing' | 'resolved', startsAt: string | null) => ({
    status,
    startsAt: startsAt ? new Date(startsAt) : null,
    endsAt: null,
  });

  it('tells new, repeated, resolved, re-fired and stale copies apart', () => {
    const t0 = '2026-11-29T10:00:00Z';
    const t1 = '2026-11-29T11:00:00Z';
    expect(decideAlert(alert('firing', t0), null, now)).toBe('new');
    expect(decideAlert(alert('resolved', t0), null, now)).toBe('new_resolved');
    expect(decideAlert(alert('firing', t0), stored('firing', t0), now)).toBe('unchanged');
    expect(decideAlert(alert('resolved', t0), stored('firing', t0), now)).toBe('resolved');
    expect(decideAlert(alert('firing', t1), stored('resolved', t0), now)).toBe('fired');
    // Stale: a firing copy re-sent after the resolved one, an older instance, or firing with endsAt past.
    expect(decideAlert(alert('firing', t0), stored('resolved', t0), now)).toBe('stale');
    expect(decideAlert(alert('firing', t0), stored('firing', t1), now)).toBe('stale');
    expect(decideAlert(alert('firing', t0, '2026-11-29T11:30:00Z'), stored('firing', t0), now)).toBe('stale');
    // Without startsAt a firing after a resolve cannot be told from a copy: taken as a re-fire.
    expect(decideAlert(alert('firing', null), stored('resolved', null), now)).toBe('fired');
  });

  it('opens nothing for repeats after a resolve and a new incident for a new startsAt (bh-05)', () => {
    const history = new Map([['f1', stored('firing', '2026-11-29T10:00:00Z')]]);
    expect(planGroup([alert('firing', '2026-11-29T10:00:00Z')], history, now).kind).toBe('repeat');
    expect(planGroup([alert('firing', '2026-11-29T11:00:00Z')], history, now).kind).toBe('open');
    expect(planGroup([alert('firing', '2026-11-29T09:00:00Z')], history, now).kind).toBe('nothing');
    expect(planGroup([alert('firing', '2026-11-29T10:00:00Z')], new Map(), now).kind).toBe('open');
  });
});
