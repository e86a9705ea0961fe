import { type Logger, LogLevel } from '@slack/web-api';

/** A @slack/logger that prints nothing: tests provoke errors on purpose and assert them instead. */
export const quietSlackLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  getLevel: () => LogLevel.ERROR,
  setName: () => {},
};
