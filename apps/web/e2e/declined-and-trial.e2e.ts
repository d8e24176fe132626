import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { AppPage } from './pages/app-page';
import { SubscriptionPage } from './pages/subscription-page';
import { CheckoutPage } from './pages/stripe-pages';
import { launchBrowser, newUserPage, screenshot, uniqueEmail, waitForText } from './support/browser';

describe('checkout declined, and the trial', () => {
  const baseUrl = inject('baseUrl');
  let browser: Browser;
  let context: BrowserContext | null = null;

  beforeAll(async () => {
    browser = await launchBrowser();
  });

  afterEach(async () => {
    await context?.close();
    context = null;
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function signedUp(label: string, width?: number) {
    const opened = await newUserPage(browser, width);
    context = opened.context;
    await new AppPage(opened.page, baseUrl).registerVerified(uniqueEmail(label));
    const subscription = new SubscriptionPage(opened.page, baseUrl);
    await subscription.goto();
    return { page: opened.page, app: new AppPage(opened.page, baseUrl), subscription };
  }

  it('a declined card shows the error and leaves the user on Free', async () => {
    const { page, subscription } = await signedUp('declined');
    await subscription.openUpgradeModal();
    await subscription.choosePlan('Basic');

    const checkout = new CheckoutPage(page);
    await checkout.pay('4000 0000 0000 0002');
    expect(await waitForText(checkout.error(), /declined/i)).toContain('Your card was declined.');
    expect(page.url()).toContain('/checkout/');

    await checkout.cancel();
    await page.waitForURL(`${baseUrl}/settings/subscription`);
    await waitForText(
      subscription.banner(),
      "Checkout canceled: nothing was charged. You're still on the Free plan.",
    );
    expect(await subscription.planName().innerText()).toBe('Free');
    expect(await subscription.usage().innerText()).toBe('0 / 10 runs');
    // The checkout made a Stripe customer, but there is no subscription and no invoice: the portal would
    // be empty, so it is not offered.
    await page.getByText('No invoices yet.').waitFor();
    expect(await page.getByRole('button', { name: 'Manage subscription' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Start 14-day trial' }).waitFor();
    await screenshot(page, 'settings-free-after-abandoned-checkout');
  });

  it('starting the trial shows the trial badge and a 50-run meter (readable at 360 px)', async () => {
    const { page, app, subscription } = await signedUp('trial', 360);
    // "Free" once: the name, with no "Free" badge or price line repeating it.
    expect(await subscription.planName().innerText()).toBe('Free');
    expect(await subscription.badge().count()).toBe(0);

    await subscription.startTrial();

    await waitForText(subscription.badge(), 'Trial · 14 days left');
    await subscription.waitForPlan('Trial', '0 / 50 runs');
    await app.waitForHeaderUsage('0 / 50 runs');
    await waitForText(page.getByTestId('plan-details'), /Your trial ends on \w+ \d{1,2}, \d{4}/);
    expect(await page.getByRole('button', { name: 'Start 14-day trial' }).count()).toBe(0);
    // Nothing wider than the phone's screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await screenshot(page, 'settings-trial-360px');
  });
});
