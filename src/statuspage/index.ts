import { ConfigError } from '../errors.js';
import type { Logger } from '../log.js';
import { AtlassianStatuspage } from './atlassian.js';
import { LogStatusPage } from './log-provider.js';
import type { Component, StatusPageProvider } from './provider.js';

export * from './atlassian.js';
export * from './log-provider.js';
export * from './provider.js';
export * from './public.js';
export * from './publish.js';
export * from './reminders.js';
export * from './template.js';
export * from './template-file.js';

export interface StatusPageProviderOptions {
  kind: 'atlassian' | 'log';
  apiKey?: string;
  pageId?: string;
  apiUrl?: string;
  timeoutMs?: number;
  logger: Logger;
  /** Components the log provider offers in the modal (local mode). */
  components?: Component[];
}

/** `atlassian` when STATUSPAGE_API_KEY is set, else `log`. */
export function createStatusPageProvider(opts: StatusPageProviderOptions): StatusPageProvider {
  if (opts.kind === 'log') return new LogStatusPage(opts.logger, opts.components);
  if (!opts.apiKey) throw new ConfigError('Invalid configuration:\n  STATUSPAGE_API_KEY: required for Statuspage');
  if (!opts.pageId) throw new ConfigError('Invalid configuration:\n  STATUSPAGE_PAGE_ID: required for Statuspage');
  return new AtlassianStatuspage({
    apiKey: opts.apiKey,
    pageId: opts.pageId,
    apiUrl: opts.apiUrl,
    timeoutMs: opts.timeoutMs,
    logger: opts.logger,
  });
}
