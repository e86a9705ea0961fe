import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchChromium, skipReason } from '../helpers/browser.js';
import { type Loop, startLoop } from './harness.js';

/** The page polls every 800 ms and the app works after its ack: give assertions time. */
const POLL = { timeout: 10_000, interval: 100 };
skipReason('ui.browser.test');

describe.skipIf(!hasChromium)('emulator web page in headless Chromium', () => {
  let loop: Loop;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    loop = await startLoop();
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('dialog', (d) => void d.accept()); // confirm() on buttons with a confirm dialog
  });
  afterAll(async () => {
    await browser?.close();
    await loop?.close();
  });

  it('declares an incident from the page and sees the channel appear, then uses its buttons and modal', async () => {
    await page.goto(`${loop.url}/`);
    await expect.poll(() => page.locator('#title').textContent(), POLL).toBe('#incidents');
    await page.selectOption('#user', 'U0ALICE');

    await page.fill('#compose', '/incident declare P1 API down');
    await page.press('#compose', 'Enter');

    const link = page.locator('#side-list a[data-name="inc-api-down"]');
    await link.waitFor({ timeout: 10_000 });
    await expect.poll(() => page.locator('#content').textContent(), POLL).toContain('Declaring P1: API down…'); // the ack, as an ephemeral
    await expect
      .poll(() => page.locator('#content .ephemeral').first().textContent(), POLL)
      .toContain('Only visible to you');

    await link.click();
    await expect.poll(() => page.locator('#title').textContent(), POLL).toBe('#inc-api-down');
    await expect.poll(() => page.locator('#content .b-header').textContent(), POLL).toBe('P1: API down');
    await expect.poll(() => page.locator('#content .b-fields').textContent(), POLL).toContain('Declared by');
    await expect.poll(() => page.locator('#content .mention').first().textContent(), POLL).toBe('@alice');
    await expect.poll(() => page.locator('#content .btn-danger').textContent(), POLL).toBe('Resolve');

    // A button that opens a modal; fill it in and submit.
    await page.click('button[data-action-id="open_update"]');
    const modal = page.locator('form.modal');
    await modal.waitFor({ timeout: 10_000 });
    await expect.poll(() => modal.locator('h2').textContent(), POLL).toBe('Incident update');
    await modal.locator('select[data-block-id="status"]').selectOption('identified');
    await modal.locator('button[type="submit"]').click();
    await expect.poll(() => modal.locator('.error').textContent(), POLL).toBe('Please write a summary'); // response_action: errors
    await modal
      .locator('textarea[data-block-id="summary"]')
      .fill('Rolled back <img src=x onerror="window.__xss=1"> deploy & "fixed"');
    await modal.locator('select[data-block-id="lead"]').selectOption('U0BOB');
    await modal.locator('button[type="submit"]').click();
    await expect.poll(() => page.locator('form.modal').count(), POLL).toBe(0);
    await expect.poll(() => page.locator('#content').textContent(), POLL).toContain('identified: Rolled back');
    await expect.poll(() => page.locator('#content').textContent(), POLL).toContain('deploy & "fixed" (lead @bob)');

    // A button with a confirm dialog, answered by response_url replace_original.
    await page.click('button[data-action-id="resolve"]');
    await expect.poll(() => page.locator('#content').textContent(), POLL).toContain('Resolved ✅');
    // User text went through mrkdwn and HTML escaping: no element was injected, no script ran.
    expect(await page.locator('#content img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBeUndefined();

    // Another user sees the channel but not alice's ephemerals; the App Home is one click away.
    await page.selectOption('#user', 'U0BOB');
    await page.click('#side-list a[data-name="incidents"]');
    await expect.poll(() => page.locator('#title').textContent(), POLL).toBe('#incidents');
    await expect.poll(() => page.locator('#content').textContent(), POLL).toContain('P1 declared: API down');
    expect(await page.locator('#content').textContent()).not.toContain('Declaring P1');
    await page.click('#side-list a[data-channel="@home"]');
    await expect.poll(() => page.locator('#content .home').textContent(), POLL).toContain('Hello @bob');
  });
});
