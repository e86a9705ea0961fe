import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { amPayload, startTestBot, type TestBot } from '../helpers/bot.js';
import { hasChromium, launchChromium, skipReason } from '../helpers/browser.js';

const POLL = { timeout: 15_000, interval: 100 };
skipReason('e2e ui.browser.test');

/** The real bot with its built-in local workspace, driven by a person in a browser. */
describe.skipIf(!hasChromium)('the bot in the local workspace page (headless Chromium)', () => {
  let t: TestBot;
  let browser: Browser;
  beforeAll(async () => {
    t = await startTestBot('pglite', { RUNBOOKS_DIR: 'test/fixtures/runbooks-e2e' });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('declares an incident from the page, sees its channel and header, and acknowledges with the button', async () => {
    const page = await browser.newPage();
    await page.goto(`${t.bot.url}/`);
    await page.selectOption('#user', 'U0ALICE');
    await page.fill('#compose', '/incident declare P1 API down');
    await page.press('#compose', 'Enter');
    const link = page.locator('#side-list a[data-name="inc-1-api-down"]');
    await link.waitFor({ timeout: 15_000 });
    await link.click();
    await expect.poll(() => page.locator('#content .b-header').first().textContent(), POLL).toBe('INC-1: API down');
    await page.click('button[data-action-id="incident_ack"]');
    await expect.poll(() => page.locator('#content').textContent(), POLL).toContain('Acknowledged by');
    await expect.poll(async () => (await t.bot.service.get(1)).ackedBy, POLL).toBe('U0ALICE');
  });

  it('shows an alert-opened incident with its runbook steps and Run buttons', async () => {
    await t.alert(
      amPayload([{ alertname: 'CheckoutLatencyHigh', labels: { namespace: 'shop', severity: 'warning' } }]),
    );
    await t.settle();
    const inc = await t.bot.service.get(2);
    const page = await browser.newPage();
    await page.goto(`${t.bot.url}/`);
    await page.locator(`#side-list a[data-name="${inc.channelName}"]`).click();
    await expect.poll(() => page.locator('#content').textContent(), POLL).toContain('Check the error rate');
    await expect.poll(() => page.locator('button[data-action-id="diag_run"]').count(), POLL).toBe(2);
    await page.screenshot({ path: `${process.env.TMPDIR ?? '/tmp'}/incident-bot-ui.png` });
  });
});
