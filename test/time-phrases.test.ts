import { afterEach, describe, expect, it } from 'vitest';
import { compactDuration, minutesPhrase, shortMinutes, utcClock } from '../src/time-phrases.js';

describe('time phrases', () => {
  const tz = process.env.TZ;
  afterEach(() => {
    process.env.TZ = tz;
  });

  it('writes clock times in UTC whatever the process time zone is', () => {
    process.env.TZ = 'America/New_York';
    const d = new Date('2026-11-23T03:04:59Z');
    expect(utcClock(d, 'time')).toBe('03:04');
    expect(utcClock(d, 'zonedTime')).toBe('03:04 UTC');
    expect(utcClock(d, 'date')).toBe('2026-11-23');
    expect(utcClock(d, 'dateTime')).toBe('2026-11-23 03:04 UTC');
  });

  it('words durations with the right plural', () => {
    expect(minutesPhrase(1)).toBe('1 minute');
    expect(minutesPhrase(0.5)).toBe('30 seconds');
    expect(minutesPhrase(90)).toBe('1 hour 30 minutes');
    expect(shortMinutes(42)).toBe('42 min');
    expect(compactDuration(65 * 60_000)).toBe('1h 5m');
  });
});
