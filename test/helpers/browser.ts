import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium (`apt-get install -y chromium`); browser tests skip with a printed reason without it. */
export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

export function skipReason(test: string): void {
  if (!hasChromium)
    console.warn(`${test}: skipped — ${CHROMIUM} not found (install it with: apt-get install -y chromium)`);
  else console.log(`${test}: running in headless ${CHROMIUM}`);
}

/** Headless Chromium with the flags this sandbox needs (no network to Google, no GPU, no sandbox as root). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
