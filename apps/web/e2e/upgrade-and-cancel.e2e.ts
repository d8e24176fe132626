import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AppPage } from './pages/app-page';
import { SessionPage } from './pages/session-page';
import { SubscriptionPage } from './pages/subscription-page';
import { CheckoutPage, PortalPage } from './pages/stripe-pages';
import { launchBrowser, newUserPage, screenshot, uniqueEmail, waitForText } from './support/browser';

const FREE_RUNS = 10;

/** One user's story, step by step: each test starts where the previous one left the page. */
describe('a FREE user hits the limit, upgrades to PRO, then cancels', () => {
  const baseUrl = inject('baseUrl');
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let app: AppPage;
  let sessions: SessionPage;
  let subscription: SubscriptionPage;

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

  it('signs up on the Free plan and runs until the limit, then gets the 402 prompt', async () => {
    await app.registerVerified(uniqueEmail('upgrade'));
    await app.waitForHeaderUsage(`0 / ${FREE_RUNS} runs`);
    await sessions.createSession('Market research');

    for (let run = 1; run <= FREE_RUNS; run += 1) {
      await sessions.sendMessage(`Task number ${run}`);
    }
    await app.waitForHeaderUsage(`${FREE_RUNS} / ${FREE_RUNS} runs`);
    expect(await sessions.runs().count()).toBe(FREE_RUNS);

    const prompt = await sessions.sendRefusedMessage('One task too many');
    expect(prompt).toContain(`You've used all ${FREE_RUNS} runs of your Free plan`);
    expect(prompt).toMatch(/wait until \w+ \d{1,2}, \d{4}/);
    expect(await sessions.runs().count()).toBe(FREE_RUNS);
    // The header's meter is full and offers the upgrade too.
    await page.getByRole('button', { name: 'Upgrade for more runs' }).waitFor();
    await screenshot(page, 'limit-prompt', false);
  });

  it('upgrades from the prompt through Checkout with 4242… and shows PRO with 1,000 runs', async () => {
    await sessions.denial().getByRole('button', { name: 'Upgrade plan' }).click();
    const modal = subscription.modal();
    await modal.waitFor();
    expect(await modal.getAttribute('aria-modal')).toBe('true');
    const current = modal.locator('[aria-current="true"]');
    expect(await current.getAttribute('data-plan')).toBe('FREE');
    expect(await modal.innerText()).toContain('1,000 runs / month');
    await screenshot(page, 'upgrade-modal', false);

    // Escape closes it and gives focus back to the button that opened it.
    await page.keyboard.press('Escape');
    await modal.waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Upgrade plan');

    await page.getByRole('button', { name: 'Upgrade plan' }).click();
    await subscription.choosePlan('Pro');
    await new CheckoutPage(page).pay('4242 4242 4242 4242');

    await page.waitForURL(`${baseUrl}/settings/subscription`);
    await subscription.waitForPlan('Pro', '0 / 1,000 runs');
    await waitForText(subscription.banner(), "You're on the Pro plan now.");
    expect(await subscription.badge().innerText()).toBe('Active');
    await waitForText(page.getByTestId('plan-details'), /Next billing date: \w+ \d{1,2}, \d{4}/);
    await waitForText(page.locator('.invoice-table tbody tr').first(), '$49.00');
    await app.waitForHeaderUsage('0 / 1,000 runs');
    await screenshot(page, 'settings-page');
  });

  it('runs again on PRO', async () => {
    await sessions.openSession('Market research');
    await sessions.sendMessage('Now with Pro');
    await app.waitForHeaderUsage('1 / 1,000 runs');
    expect(await sessions.denial().count()).toBe(0);
  });

  it('cancels at period end in the billing portal and shows "ends on <date>"', async () => {
    await subscription.goto();
    await subscription.manageSubscription();
    const portal = new PortalPage(page);
    const periodEnd = await portal.cancelAtPeriodEnd();
    await portal.returnToApp();

    await page.waitForURL(`${baseUrl}/settings/subscription`);
    await waitForText(page.getByTestId('ends-on'), `Your Pro plan ends on ${periodEnd}.`);
    expect(await subscription.badge().innerText()).toBe('Canceling');
    expect(await subscription.planName().innerText()).toBe('Pro');
  });
});
