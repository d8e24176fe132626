import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AppPage } from './pages/app-page';
import { SessionPage } from './pages/session-page';
import { SubscriptionPage } from './pages/subscription-page';
import { CheckoutPage, PortalPage } from './pages/stripe-pages';
import {
  launchBrowser,
  newUserPage,
  screenshot,
  screenshotOf,
  uniqueEmail,
  waitForText,
} from './support/browser';

const PHONE = { width: 375, height: 812 };
const DESKTOP = { width: 1280, height: 900 };

/**
 * One FREE user near and at the limit, then on Basic with an invoice: what the header, the 402 notice
 * and the settings page say, at a phone's width and a desktop's (screenshots of each).
 */
describe('usage notices, and the settings page on a phone', () => {
  const baseUrl = inject('baseUrl');
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let app: AppPage;
  let sessions: SessionPage;
  let subscription: SubscriptionPage;

  const header = () => page.locator('header.app-header');
  const usageNote = () => page.getByTestId('usage-indicator').getByTestId('usage-note');
  const documentWidth = () => page.evaluate(() => document.documentElement.scrollWidth);

  /** The same view at both widths; back at the desktop width afterwards. */
  async function atBothWidths(shoot: (suffix: string) => Promise<unknown>): Promise<void> {
    await shoot('1280px');
    await page.setViewportSize(PHONE);
    await shoot('375px');
    expect(await documentWidth()).toBeLessThanOrEqual(PHONE.width);
    await page.setViewportSize(DESKTOP);
  }

  beforeAll(async () => {
    browser = await launchBrowser();
    ({ context, page } = await newUserPage(browser));
    app = new AppPage(page, baseUrl);
    sessions = new SessionPage(page, baseUrl);
    subscription = new SubscriptionPage(page, baseUrl);
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
  });

  it('at 8 of 10 runs the header says "2 runs left" in words', async () => {
    await app.registerVerified(uniqueEmail('notices'));
    await sessions.createSession('Notices');
    for (let run = 1; run <= 8; run += 1) await sessions.sendMessage(`Task ${run}`);
    await app.waitForHeaderUsage('8 / 10 runs');
    expect(await waitForText(usageNote(), 'runs left')).toBe('2 runs left');
    await atBothWidths((width) => screenshotOf(header(), `header-8-of-10-${width}`));
  });

  it('at 10 of 10 the header says no runs are left, until when, and offers the upgrade', async () => {
    for (let run = 9; run <= 10; run += 1) await sessions.sendMessage(`Task ${run}`);
    await app.waitForHeaderUsage('10 / 10 runs');
    expect(await waitForText(usageNote(), 'No runs left')).toMatch(
      /^No runs left · resets [A-Z][a-z]{2} \d{1,2}$/,
    );
    await page.getByRole('button', { name: 'Upgrade for more runs' }).waitFor();
    await atBothWidths((width) => screenshotOf(header(), `header-10-of-10-${width}`));
  });

  it('a denied run leads with one sentence and offers the trial, an upgrade, a pack and the reset date', async () => {
    await sessions.sendRefusedMessage('One task too many');
    const notice = sessions.denial();
    await notice.getByRole('button', { name: 'Start free 14-day trial' }).waitFor();
    const text = await waitForText(notice, /wait until/);
    expect(await notice.locator('.run-denied__title').innerText()).toBe(
      "You've used all 10 runs of your Free plan.",
    );
    expect(text.match(/used all/g)).toHaveLength(1);
    expect(await notice.getByRole('button').allInnerTexts()).toEqual([
      'Start free 14-day trial',
      'Upgrade plan',
      'Buy 100 runs — $10',
      'Dismiss',
    ]);
    expect(await notice.getByTestId('run-denied-wait').innerText()).toMatch(
      /^Or wait until \w+ \d{1,2}, \d{4}, when your runs reset\.$/,
    );
    await atBothWidths(async (width) => {
      await notice.scrollIntoViewIfNeeded();
      await screenshot(page, `run-denied-notice-${width}`, false);
    });
  });

  it('upgrades from the notice; the hosted checkout page asks for no missing favicon', async () => {
    await sessions.denial().getByRole('button', { name: 'Upgrade plan' }).click();
    const missing: string[] = [];
    page.on('response', (response) => {
      if (response.status() === 404) missing.push(response.url());
    });
    await subscription.choosePlan('Basic');
    await page.getByLabel('Card number').waitFor();
    await page.waitForLoadState('load');
    await new CheckoutPage(page).pay('4242 4242 4242 4242');
    await page.waitForURL(`${baseUrl}/settings/subscription`);
    await subscription.waitForPlan('Basic', '0 / 100 runs');
    expect(missing).toEqual([]);
  });

  it('the settings page with an invoice is never wider than a 375 px phone', async () => {
    await waitForText(page.locator('.invoice-table tbody tr').first(), '$19.00');
    await page.setViewportSize(PHONE);
    await page.reload();
    await page.locator('.invoice-table tbody tr').first().waitFor();
    expect(await documentWidth()).toBeLessThanOrEqual(PHONE.width);
    await screenshot(page, 'settings-375px');
    await page.setViewportSize(DESKTOP);
    await screenshot(page, 'settings-1280px');
  });

  it('back from the portal, the "checking" spinner goes as soon as the change shows', async () => {
    await subscription.manageSubscription();
    const portal = new PortalPage(page);
    const periodEnd = await portal.cancelAtPeriodEnd();
    await portal.returnToApp();
    await page.waitForURL(`${baseUrl}/settings/subscription`);
    await waitForText(page.getByTestId('ends-on'), `Your Basic plan ends on ${periodEnd}.`);
    // The poll used to run on for ~7 s after this; now the banner is gone with the first answer.
    await subscription.banner().waitFor({ state: 'detached', timeout: 1_500 });
  });
});
