import { runPackExpiry } from '@tollgate/domain';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AppPage } from './pages/app-page';
import { BalanceSection } from './pages/balance-section';
import { SessionPage } from './pages/session-page';
import { CheckoutPage } from './pages/stripe-pages';
import { SubscriptionPage } from './pages/subscription-page';
import { launchBrowser, newUserPage, screenshot, uniqueEmail, waitForText } from './support/browser';

const FREE_RUNS = 10;
const PHONE = { width: 375, height: 812 };
const DESKTOP = { width: 1280, height: 900 };
const BUY_100 = 'Buy 100 runs — $10';

/** The date the app shows for a pack's expiry: a UTC calendar date. */
const utcDate = (value: Date) =>
  new Intl.DateTimeFormat('en-US', {
    month: 'long',
    day: 'numeric',
    year: 'numeric',
    timeZone: 'UTC',
  }).format(value);

/**
 * One FREE user's story, step by step: the runs run out, the 402 offers a pack next to upgrading, the
 * pack is bought through the emulator's hosted Checkout (payment mode), credited by its webhook, shown
 * in the balance with its expiry, and the next run is drawn from it.
 */
describe('a FREE user out of runs buys a run pack from the 402 notice', () => {
  const baseUrl = inject('baseUrl');
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let app: AppPage;
  let sessions: SessionPage;
  let subscription: SubscriptionPage;
  let balance: BalanceSection;

  const usageNote = () => page.getByTestId('usage-indicator').getByTestId('usage-note');
  const documentWidth = () => page.evaluate(() => document.documentElement.scrollWidth);

  beforeAll(async () => {
    browser = await launchBrowser();
    ({ context, page } = await newUserPage(browser));
    app = new AppPage(page, baseUrl);
    sessions = new SessionPage(page, baseUrl);
    subscription = new SubscriptionPage(page, baseUrl);
    balance = new BalanceSection(page);
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
  });

  it('runs 10 of 10; the 11th is refused, with a pack offered next to the upgrade', async () => {
    await app.registerVerified(uniqueEmail('packs'));
    await sessions.createSession('Pack research');
    for (let run = 1; run <= FREE_RUNS; run += 1) await sessions.sendMessage(`Task ${run}`);
    await app.waitForHeaderUsage(`${FREE_RUNS} / ${FREE_RUNS} runs`);

    const prompt = await sessions.sendRefusedMessage('One task too many');
    expect(prompt).toContain(`You've used all ${FREE_RUNS} runs of your Free plan.`);
    const notice = sessions.denial();
    await notice.getByRole('button', { name: BUY_100 }).waitFor();
    expect(await notice.getByRole('button').allInnerTexts()).toEqual([
      'Start free 14-day trial',
      'Upgrade plan',
      BUY_100,
      'Dismiss',
    ]);
    expect(await notice.getByRole('link', { name: 'See all packs' }).getAttribute('href')).toBe(
      '/settings/subscription?buy=1',
    );
    expect(await sessions.runs().count()).toBe(FREE_RUNS);
    await notice.scrollIntoViewIfNeeded();
    await screenshot(page, 'run-denied-pack-offer', false);
  });

  it('buys it through the hosted checkout with 4242…; the balance shows 100 runs and their expiry', async () => {
    const before = new Date();
    await sessions.buyPackFromDenial(BUY_100);
    const checkout = new CheckoutPage(page);
    expect(await checkout.price().innerText()).toBe('$10.00');
    await checkout.pay('4242 4242 4242 4242');
    const after = new Date();

    await page.waitForURL(`${baseUrl}/settings/subscription`);
    await waitForText(subscription.banner(), 'is in your balance');
    const pack = balance.grants().first();
    await waitForText(pack.getByTestId('grant-remaining'), '100 of 100 runs left');
    // 12 calendar months after the purchase, UTC (either side of a midnight the payment straddled).
    const expiries = [before, after].map((at) => `Expires ${utcDate(runPackExpiry(at))} (UTC)`);
    expect(expiries).toContain(await pack.getByTestId('grant-expiry').innerText());
    expect(await balance.grants().count()).toBe(1);
    expect(await balance.total().innerText()).toBe('100 runs available');
    expect(await balance.drawOrder().innerText()).toContain("plan's allowance for this period first");
    await waitForText(usageNote(), `0 of ${FREE_RUNS} runs left + 100 from packs`);

    await screenshot(page, 'balance-breakdown-1280px');
    await page.setViewportSize(PHONE);
    await balance.card().waitFor();
    expect(await documentWidth()).toBeLessThanOrEqual(PHONE.width);
    await screenshot(page, 'balance-breakdown-375px');
    await page.setViewportSize(DESKTOP);
  });

  it('the next run goes through, drawn from the pack', async () => {
    await sessions.openSession('Pack research');
    await sessions.sendMessage('Now with a pack');
    expect(await sessions.denial().count()).toBe(0);
    expect(await sessions.runs().count()).toBe(FREE_RUNS + 1);
    // The plan's counter stays full: the run came out of the pack.
    await app.waitForHeaderUsage(`${FREE_RUNS} / ${FREE_RUNS} runs`);
    await waitForText(usageNote(), `0 of ${FREE_RUNS} runs left + 99 from packs`);

    await subscription.goto();
    await waitForText(balance.grants().first().getByTestId('grant-remaining'), '99 of 100 runs left');
    expect(await balance.total().innerText()).toBe('99 runs available');
  });
});
