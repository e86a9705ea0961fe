import { describe, expect, it } from 'vitest';
import { loadConfig, redactConfig } from '../src/config.js';
import { ConfigError } from '../src/errors.js';

describe('config', () => {
  it('gives sensible defaults on a bare machine', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(3000);
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.INCIDENT_BOT_DATA).toBe('./.incident-bot');
    expect(c.SEVERITY_MAP.critical).toBe('P1');
    expect(c.INFO_TO_DIGEST).toBe(true);
  });

  it('names the variable and what was expected when a value is bad', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT="eighty": Expected number/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL="loud": Invalid enum value. Expected 'fatal'/);
    expect(() => loadConfig({ DATABASE_URL: 'localhost:5432' })).toThrow(/DATABASE_URL=\(hidden\): expected a URL/);
    expect(() => loadConfig({ DIAG_POSTGRES_URLS: 'orders' })).toThrow(
      /DIAG_POSTGRES_URLS=\(hidden\): expected name=value/,
    );
    expect(() => loadConfig({ UPDATE_REMINDER_MINUTES: 'P9=5' })).toThrow(
      /UPDATE_REMINDER_MINUTES="P9=5": expected P1..P4=minutes/,
    );
  });

  it('reports every bad variable at once', () => {
    try {
      loadConfig({ PORT: '-1', TIMER_POLL_MS: 'x' });
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toMatch(/PORT/);
      expect((e as Error).message).toMatch(/TIMER_POLL_MS/);
    }
  });

  it('requires a signing secret with a real Slack token', () => {
    expect(() => loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1' })).toThrow(/SLACK_SIGNING_SECRET: required/);
    expect(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' }).SLACK_APP_TOKEN).toBe('xapp-1');
  });

  it('parses name=value lists', () => {
    const c = loadConfig({ DIAG_REDIS_URLS: 'cache=redis://a:6379, sessions=redis://b:6379/2' });
    expect(c.DIAG_REDIS_URLS).toEqual({ cache: 'redis://a:6379', sessions: 'redis://b:6379/2' });
  });

  it('never shows secret values in errors or in the loggable copy', () => {
    const secret = 'xoxb-very-secret';
    const c = loadConfig({
      SLACK_BOT_TOKEN: secret,
      SLACK_SIGNING_SECRET: 'shh',
      DATABASE_URL: 'postgres://u:pw@h/db',
    });
    const shown = JSON.stringify(redactConfig(c));
    expect(shown).not.toContain(secret);
    expect(shown).not.toContain('pw@h');
    expect(shown).toContain('[set]');
    try {
      loadConfig({ DATABASE_URL: 'pw-in-here' });
    } catch (e) {
      expect((e as Error).message).not.toContain('pw-in-here');
    }
  });
});
