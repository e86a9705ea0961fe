import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeSendAnswer } from '../../src/cli/alert.js';
import { localBanner } from '../../src/cli/banner.js';
import { explainStartupError } from '../../src/cli/startup-errors.js';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

describe('the terminal', () => {
  it('prints a short local-mode banner: URL, users, what to type, how to send an alert', () => {
    const lines = localBanner({
      url: 'http://localhost:3001',
      users: [
        { name: 'alice', title: 'SRE (on call)' },
        { name: 'bob', title: 'Senior Engineer' },
      ],
      dataDir: './.incident-bot',
    });
    const text = lines.join('\n');
    expect(text).toContain('open http://localhost:3001/');
    expect(text).toContain('Act as: alice (on call), bob');
    expect(text).toContain('/incident declare P1 API is down');
    expect(text).toContain('alert send examples/alert-crashloop.json --url http://localhost:3001');
    expect(lines.length).toBeLessThanOrEqual(8);
  });

  it('words what alert send did', () => {
    const base = 'http://localhost:3000';
    expect(
      describeSendAnswer(
        { incidents: [{ id: 2, created: true }], channels: { 2: '#inc-2-api-is-down' }, newAlerts: 1 },
        base,
      ),
    ).toBe('Opened INC-2 → #inc-2-api-is-down (http://localhost:3000/)');
    expect(describeSendAnswer({ incidents: [{ id: 2, created: true }], newAlerts: 1 }, base)).toBe(
      'Opened INC-2 → its channel is in http://localhost:3000/',
    );
    expect(describeSendAnswer({ incidents: [{ id: 2, created: false }], newAlerts: 1 }, base)).toBe(
      'Updated INC-2: 1 new alert',
    );
    expect(describeSendAnswer({ incidents: [{ id: 2, created: false }], resolvedAlerts: 3 }, base)).toBe(
      'Updated INC-2: 3 alerts resolved',
    );
    expect(describeSendAnswer({ incidents: [], digest: 1 }, base)).toMatch(/^Added 1 alert to the digest/);
  });

  it('explains a port in use and an unreachable database in one line naming the setting, without the password', () => {
    const inUse = Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' });
    expect(explainStartupError(inUse, { port: 3000 })?.message).toMatch(
      /^port 3000 is already in use \(PORT or --port\)/,
    );
    const refused = new Error('cannot connect', {
      cause: new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]),
    });
    const msg = explainStartupError(refused, { port: 3000, databaseUrl: 'postgres://u:hunter2@db:5432/bot' })?.message;
    expect(msg).toContain('DATABASE_URL (db:5432/bot): connection refused');
    expect(msg).not.toContain('hunter2');
    expect(explainStartupError(new Error('bug'), { port: 3000 })).toBeNull();
  });

  it('refuses a SEVERITY_MAP value that is not P1..P4, naming it', () => {
    expect(() => loadConfig({ SEVERITY_MAP: 'critical=P9' })).toThrow(ConfigError);
    expect(() => loadConfig({ SEVERITY_MAP: 'critical=P9' })).toThrow(/SEVERITY_MAP: critical=P9/);
    expect(loadConfig({ SEVERITY_MAP: 'critical=p1' }).SEVERITY_MAP.critical).toBe('p1');
    expect(loadConfig({ LOG_FORMAT: 'json' }).LOG_FORMAT).toBe('json');
    expect(() => loadConfig({ LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT/);
  });

  it('says so on stderr when there are no open incidents, naming the store it read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ib-empty-'));
    try {
      const env = { ...process.env, INCIDENT_BOT_DATA: dir, DATABASE_URL: '', LOG_LEVEL: 'silent' };
      const out = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'incidents', 'list'], {
        env,
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(out.status).toBe(0);
      expect(out.stdout).toBe('');
      expect(out.stderr.trim()).toBe(`No open incidents (embedded database in ${dir}).`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
