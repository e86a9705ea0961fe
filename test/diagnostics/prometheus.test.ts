import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { extractPromQL, extractPromRequest } from '../../src/diagnostics/prometheus.js';
import { createDiagnostics } from '../../src/diagnostics/run.js';
import { silentLogger } from '../../src/log.js';
import { classifyCommand } from '../../src/runbooks/classify.js';
import { cmd, fixture, NOW, strictNock, testDiagnostics } from './helpers.js';

const PROM = 'http://prometheus.test:9090';
const diag = (trend = false, timeoutMs = 2000) => testDiagnostics({ prometheusUrl: PROM, timeoutMs, promTrend: trend });

strictNock();

describe('PromQL extraction', () => {
  it('takes a raw query from a curl URL, keeping + and quotes as written', () => {
    const argv = [
      'curl',
      '-s',
      'http://prometheus:9090/api/v1/query?query=sum(rate(http_requests_total{code=~"5.."}[5m])) + 1',
    ];
    expect(extractPromQL(argv, null, '')).toBe('sum(rate(http_requests_total{code=~"5.."}[5m])) + 1');
  });

  it('decodes a URL-encoded query', () => {
    expect(extractPromQL(['curl', 'http://p/api/v1/query?query=up%7Bjob%3D%22api%22%7D&time=1'], null, '')).toBe(
      'up{job="api"}',
    );
  });

  it('reads --data-urlencode query=...', () => {
    expect(extractPromQL(['curl', 'http://p/api/v1/query', '--data-urlencode', 'query=up == 0'], null, '')).toBe(
      'up == 0',
    );
  });

  it('takes bare PromQL as is, without comment lines', () => {
    expect(extractPromQL([], null, '# error ratio\nsum(rate(errors[5m]))')).toBe('sum(rate(errors[5m]))');
  });
});

describe('query_range calls: one reading for the classifier and the executor', () => {
  it('keeps a raw + in the PromQL of a URL and decodes an encoded one, the same on both sides', () => {
    const raw = 'curl -s "http://prometheus:9090/api/v1/query?query=sum(rate(x[5m])) + 1"';
    expect(classifyCommand(raw).query).toBe('sum(rate(x[5m])) + 1');
    const encoded = "curl 'http://p:9090/api/v1/query?query=up%7Bjob%3D%22api%22%7D+%3D%3D+0'";
    expect(classifyCommand(encoded).query).toBe('up{job="api"} == 0');
  });

  it('reads start/end/step from the URL or from -d / --data-urlencode pairs', () => {
    const inUrl = "curl -s 'http://prometheus:9090/api/v1/query_range?query=up&start=now-1h&end=now&step=1m'";
    expect(classifyCommand(inUrl).range).toEqual({ start: 'now-1h', end: 'now', step: '1m' });
    const inData =
      "curl -G http://prometheus:9090/api/v1/query_range --data-urlencode 'query=rate(x[5m])' -d start=now-2h -d step=30s";
    const c = classifyCommand(inData);
    expect([c.query, c.range]).toEqual(['rate(x[5m])', { start: 'now-2h', end: null, step: '30s' }]);
    expect(c.reason).toBe('Read-only: runs a PromQL range query (start now-2h, step 30s). The bot can run it for you.');
    const argv = ['curl', '-G', 'http://prometheus:9090/api/v1/query_range', '--data-urlencode', 'query=rate(x[5m])'];
    expect(extractPromRequest([...argv, '-d', 'start=now-2h', '-d', 'step=30s'], null, '')).toEqual({
      query: 'rate(x[5m])',
      range: { start: 'now-2h', end: null, step: '30s' },
    });
  });
});

describe('prometheus executor', () => {
  it("runs a runbook's query_range with its start/end/step, now-1h resolved against the clock, compactly", async () => {
    const end = NOW.getTime() / 1000;
    nock(PROM)
      .get('/api/v1/query_range')
      .query(
        (q) =>
          q.query === 'sum by (code) (rate(http_requests_total{job="checkout"}[5m]))' &&
          q.start === String(end - 3600) &&
          q.end === String(end) &&
          q.step === '600',
      )
      .reply(200, fixture('prometheus/query_range.json'));
    const text =
      'curl -s \'http://prometheus:9090/api/v1/query_range?query=sum by (code) (rate(http_requests_total{job="<job>"}[5m]))&start=now-1h&end=now&step=10m\'';
    const c = classifyCommand(text, { lang: 'bash' });
    expect([c.executor, c.runnable, c.range]).toEqual([
      'prometheus',
      true,
      { start: 'now-1h', end: 'now', step: '10m' },
    ]);
    const r = await diag().run({
      command: cmd(text, 'prometheus', 'read', { query: c.query, range: c.range, placeholders: c.placeholders }),
      values: { job: 'checkout' },
      incidentId: 1,
    });
    expect(r.error).toBeNull();
    expect(r.output).toBe(
      [
        '2024-05-03 11:00:00 – 12:00:00 UTC (1 hour), every 10 minutes, 7 points',
        'SERIES         LAST       MIN     MAX       TREND',
        '{code="200"}   431.0333   398.2   433.1     ▄▁▂▆█▇█',
        '{code="503"}   24.0667    0       24.0667   ▁▁ ▂▄▇█',
      ].join('\n'),
    );
    expect(r.rows).toBe(2);
  });

  it('honours Command.range when the command is bare PromQL', async () => {
    const end = NOW.getTime() / 1000;
    nock(PROM)
      .get('/api/v1/query_range')
      .query((q) => q.query === 'up' && q.start === String(end - 1800) && q.end === String(end) && q.step === '30')
      .reply(200, { status: 'success', data: { resultType: 'matrix', result: [] } });
    const range = { start: 'now-30m', end: null, step: '30s' };
    const r = await diag().run({ command: cmd('up', 'prometheus', 'read', { range }), values: {}, incidentId: 1 });
    expect(r.output).toBe(
      '2024-05-03 11:30:00 – 12:00:00 UTC (30 minutes), every 30 seconds, 61 points\nNo data: the query returned no series in this range.',
    );
  });

  it('refuses a range start it cannot read, naming it', async () => {
    const range = { start: 'yesterday', end: null, step: null };
    const r = await diag().run({ command: cmd('up', 'prometheus', 'read', { range }), values: {}, incidentId: 1 });
    expect(r.error).toMatch(/query_range start="yesterday" is not a time the bot can read/);
  });

  it('runs the instant query from a runbook curl line against the configured Prometheus, not the runbook host', async () => {
    nock(PROM)
      .get('/api/v1/query')
      .query(
        (q) =>
          q.query === '100 - (avg by(instance) (rate(node_cpu_seconds_total{mode="idle"}[5m])) * 100)' &&
          q.time === String(NOW.getTime() / 1000),
      )
      .reply(200, fixture('prometheus/vector.json'));
    const r = await diag().run({
      command: cmd(
        'curl -s "http://prometheus:9090/api/v1/query?query=100 - (avg by(instance) (rate(node_cpu_seconds_total{mode=\\"idle\\"}[5m])) * 100)"',
        'prometheus',
      ),
      values: {},
      incidentId: 1,
    });
    expect(r.error).toBeNull();
    expect(r.output).toBe(
      'INSTANCE         JOB    VALUE\n10.0.1.12:9100   node   87.5333\n10.0.2.7:9100    node   41.2',
    );
    expect(r.rows).toBe(2);
  });

  it('adds a 1h trend sparkline column from a range query', async () => {
    nock(PROM).get('/api/v1/query').query(true).reply(200, fixture('prometheus/vector.json'));
    nock(PROM)
      .get('/api/v1/query_range')
      .query((q) => q.step === '120' && Number(q.end) - Number(q.start) === 3600)
      .reply(200, fixture('prometheus/matrix.json'));
    const r = await diag(true).run({ command: cmd('node_load1 > 0', 'prometheus'), values: {}, incidentId: 1 });
    expect(r.output.split('\n')[0]).toMatch(/VALUE\s+TREND \(1H\)$/);
    expect(r.output).toContain('▁▃▅█');
  });

  it('fills label placeholders into the PromQL after validating them', async () => {
    nock(PROM)
      .get('/api/v1/query')
      .query((q) => q.query === 'up{instance="10.0.1.12:9100"}')
      .reply(200, fixture('prometheus/scalar.json'));
    const d = diag();
    const c = cmd('up{instance="<instance>"}', 'prometheus');
    const r = await d.run({ command: c, values: d.valuesFromLabels({ instance: '10.0.1.12:9100' }), incidentId: 1 });
    expect(r.output).toBe('scalar: 3');
  });

  it('refuses a label value that would break out of the PromQL string', async () => {
    const r = await diag().run({
      command: cmd('up{instance="<instance>"}', 'prometheus'),
      values: { instance: '"} or vector(1) or {a="' },
      incidentId: 1,
    });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/<instance>/);
  });

  it('shows the Prometheus error for a bad query', async () => {
    nock(PROM).get('/api/v1/query').query(true).reply(400, fixture('prometheus/error-bad-data.json'));
    const r = await diag().run({ command: cmd('sum(rate(x[5m])))', 'prometheus'), values: {}, incidentId: 1 });
    expect(r.error).toMatch(/Prometheus refused the query \(bad_data: invalid parameter "query": 1:15: parse error/);
  });

  it('says so when the result is empty', async () => {
    nock(PROM)
      .get('/api/v1/query')
      .query(true)
      .reply(200, { status: 'success', data: { resultType: 'vector', result: [] } });
    const r = await diag().run({ command: cmd('up == 0', 'prometheus'), values: {}, incidentId: 1 });
    expect(r.output).toBe('No data: the query returned an empty result.');
  });

  it('times out a slow Prometheus with a clear message', async () => {
    nock(PROM).get('/api/v1/query').query(true).delay(2000).reply(200, fixture('prometheus/scalar.json'));
    const r = await diag(false, 150).run({ command: cmd('up', 'prometheus'), values: {}, incidentId: 1 });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/Timed out after 0\.1|0\.2 s|Prometheus did not answer/);
    nock.abortPendingRequests();
  });

  it('reports an unreachable Prometheus', async () => {
    nock.enableNetConnect('127.0.0.1');
    const d = createDiagnostics({
      prometheusUrl: 'http://127.0.0.1:1',
      postgresTargets: {},
      redisTargets: {},
      timeoutMs: 2000,
      maxConcurrent: 1,
      maxPerIncident: 1,
      logger: silentLogger,
    });
    const r = await d.run({ command: cmd('up', 'prometheus'), values: {}, incidentId: 1 });
    nock.disableNetConnect();
    expect(r.error).toBe('Prometheus unreachable (ECONNREFUSED).');
  });

  it('says Prometheus is not configured when PROMETHEUS_URL is unset', async () => {
    const d = createDiagnostics({
      postgresTargets: {},
      redisTargets: {},
      timeoutMs: 100,
      maxConcurrent: 1,
      maxPerIncident: 1,
      logger: silentLogger,
    });
    const r = await d.run({ command: cmd('up', 'prometheus'), values: {}, incidentId: 1 });
    expect(r.error).toMatch(/PROMETHEUS_URL/);
  });
});
