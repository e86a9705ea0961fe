import { UTCDate } from '@date-fns/utc';
import { type Duration, format, formatDuration, type Locale } from 'date-fns';
import { enUS } from 'date-fns/locale';

/**
 * Every duration shown to people, worded by date-fns (formatDuration) so units and plurals are right:
 * "1 minute", "30 seconds", "1 hour 30 minutes"; the short forms Slack headers and tables use
 * ("42 min", "1 h 30 min", "2 d 3 h", "1h 5m") come from the same call with a terse locale. Pure.
 */

type Token = 'xSeconds' | 'xMinutes' | 'xHours' | 'xDays';
const terse = (units: Record<Token, string>, sep: string): Locale => ({
  ...enUS,
  formatDistance: (token: string, count: number) => `${count}${sep}${units[token as Token] ?? token}`,
});
const SHORT = terse({ xSeconds: 's', xMinutes: 'min', xHours: 'h', xDays: 'd' }, ' ');
const COMPACT = terse({ xSeconds: 's', xMinutes: 'm', xHours: 'h', xDays: 'd' }, '');

/** Whole days, hours and minutes of a span in minutes (negative counts as 0). */
function split(totalMinutes: number): Required<Pick<Duration, 'days' | 'hours' | 'minutes'>> {
  const m = Math.max(0, Math.round(totalMinutes));
  return { days: Math.floor(m / 1440), hours: Math.floor((m % 1440) / 60), minutes: m % 60 };
}

/** "1 minute", "15 minutes", "1 hour 30 minutes", "2 days 3 hours"; under a minute in seconds ("30 seconds"). */
export function minutesPhrase(minutes: number): string {
  if (minutes > 0 && minutes < 1) return formatDuration({ seconds: Math.round(minutes * 60) });
  const d = split(minutes);
  return formatDuration(d.days ? { days: d.days, hours: d.hours } : d, { zero: false }) || '0 minutes';
}

/** "42 min", "1 h 30 min", "2 d 3 h", "0 min"; under a minute "30 s". For headers, tables and countdowns. */
export function shortMinutes(minutes: number): string {
  if (minutes > 0 && minutes < 1) return formatDuration({ seconds: Math.round(minutes * 60) }, { locale: SHORT });
  const d = split(minutes);
  return formatDuration(d.days ? { days: d.days, hours: d.hours } : d, { locale: SHORT }) || '0 min';
}

/** "1h 5m", "12m", "3d 4h 2m", "<1m": an incident's age or duration in milliseconds, floored to the minute. */
export function compactDuration(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return '<1m';
  return formatDuration(split(minutes), { locale: COMPACT });
}

/**
 * date-fns `format` patterns for clock times shown to people, always in UTC (the bot has no user time zone;
 * Slack's `<!date>` localises where it can): time "14:20", zonedTime "14:20 UTC", date "2026-11-23",
 * dateTime "2026-11-23 14:20 UTC".
 */
export const UTC_FORMATS = {
  time: 'HH:mm',
  zonedTime: "HH:mm 'UTC'",
  date: 'yyyy-MM-dd',
  dateTime: "yyyy-MM-dd HH:mm 'UTC'",
} as const;
export type UtcForm = keyof typeof UTC_FORMATS;

/** A clock time shown to people, in UTC, by date-fns (see {@link UTC_FORMATS}): `utcClock(d, 'zonedTime')` -> "14:20 UTC". */
export function utcClock(d: Date, form: UtcForm): string {
  return format(new UTCDate(d), UTC_FORMATS[form]);
}
