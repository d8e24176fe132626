import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AccountSwitcher } from './pages/account-switcher';
import { AppPage } from './pages/app-page';
import { MembersPage } from './pages/members-page';
import { SessionPage } from './pages/session-page';
import { SpendSection } from './pages/spend-section';
import { CheckoutPage } from './pages/stripe-pages';
import { SubscriptionPage } from './pages/subscription-page';
import { accessTokenOf, spendRun } from './support/api-runs';
import {
  launchBrowser,
  newUserPage,
  screenshot,
  screenshotOf,
  uniqueEmail,
  waitForText,
} from './support/browser';

const BASIC_RUNS = 100;
const PHONE = { width: 375, height: 812 };
const DESKTOP = { width: 1280, height: 900 };

/** The 402 body as tRPC carries it (error.data.paymentRequired). */
interface RefusedRun {
  error?: { data?: { paymentRequired?: { code: string; spendCap?: { capRuns: number; raiseUrl: string } } } };
}

/**
 * One BASIC user's story with overage: the plan's 100 runs are spent through the API, overage is turned
 * on with a $0.25 cap (2 runs at $0.125) in the settings, 2 runs pass it and the 3rd is refused with
 * SPEND_CAP_REACHED, raised from the notice's link; the header shows the overage billed; auto top-up
 * is set and kept. Then a plain member of a team sees the same card without a control.
 */
describe('overage past the plan with a spend cap, and auto top-up settings', () => {
  const baseUrl = inject('baseUrl');
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let page: Page;
  let app: AppPage;
  let sessions: SessionPage;
  let subscription: SubscriptionPage;
  let spend: SpendSection;
  let token = '';
  let runNumber = 0;

  const header = () => page.locator('header.app-header');
  const overageNote = () => page.getByTestId('usage-indicator').getByTestId('overage-note');
  const documentWidth = () => page.evaluate(() => document.documentElement.scrollWidth);
  const nextRun = () => {
    runNumber += 1;
    return spendRun(baseUrl, token, `e2e-spend-${runNumber}`);
  };

  beforeAll(async () => {
    browser = await launchBrowser();
    const opened = await newUserPage(browser);
    contexts.push(opened.context);
    page = opened.page;
    app = new AppPage(page, baseUrl);
    sessions = new SessionPage(page, baseUrl);
    subscription = new SubscriptionPage(page, baseUrl);
    spend = new SpendSection(page);
  });

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
  });

  it('signs up and subscribes to Basic through the hosted checkout with 4242…', async () => {
    await app.registerVerified(uniqueEmail('spend'));
    await subscription.goto();
    await subscription.openUpgradeModal();
    await subscription.choosePlan('Basic');
    await new CheckoutPage(page).pay('4242 4242 4242 4242');
    await page.waitForURL(`${baseUrl}/settings/subscription`);
    await subscription.waitForPlan('Basic', `0 / ${BASIC_RUNS} runs`);
  });

  it("spends the plan's 100 runs through the API; with overage off the next one is refused", async () => {
    token = await accessTokenOf(page);
    for (let run = 1; run <= BASIC_RUNS; run += 1) expect((await nextRun()).status).toBe(200);
    const refused = await nextRun();
    expect(refused.status).toBe(402);
    expect((refused.body as RefusedRun).error?.data?.paymentRequired?.code).toBe('USAGE_LIMIT_REACHED');
    await page.reload();
    await app.waitForHeaderUsage(`${BASIC_RUNS} / ${BASIC_RUNS} runs`);
  });

  it('turns overage on and sets a $0.25 cap in the settings', async () => {
    await subscription.goto();
    await spend.card().waitFor();
    expect(await spend.price().innerText()).toBe('$0.125 per run past your plan and credits');
    expect(await spend.overageSwitch().isChecked()).toBe(false);

    await spend.turnOverageOn();
    expect(await spend.spent().innerText()).toBe('0 runs · $0.00 this period');
    await spend.saveDollarCap('0.25');
    expect(await spend.card().locator('#spend-cap-hint').innerText()).toBe(
      '$0.25 allows 2 runs at $0.125 each. Tax excluded.',
    );

    // From the top: a full-page shot of a scrolled page repeats the sticky header halfway down.
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'spend-settings-1280px');
    await page.setViewportSize(PHONE);
    await spend.card().waitFor();
    expect(await documentWidth()).toBeLessThanOrEqual(PHONE.width);
    await screenshot(page, 'spend-settings-375px');
    await page.setViewportSize(DESKTOP);
  });

  it('2 runs pass within the cap; the 3rd, sent in a session, gets the cap notice with a raise link', async () => {
    expect((await nextRun()).status).toBe(200);
    expect((await nextRun()).status).toBe(200);
    const refused = (await nextRun()).body as RefusedRun;
    const body = refused.error?.data?.paymentRequired;
    expect(body?.code).toBe('SPEND_CAP_REACHED');
    expect(body?.spendCap?.capRuns).toBe(2);
    expect(body?.spendCap?.raiseUrl).toBe(`${baseUrl}/settings/subscription?cap=1`);

    await sessions.createSession('Overage research');
    const notice = await sessions.sendRefusedMessage('Past the cap', 'spend cap');
    expect(notice).toContain("You've reached your monthly spend cap.");
    expect(notice).toContain('Spent past your plan this period: $0.25 of your cap, $0.25 (2 runs).');
    const denial = sessions.denial();
    const raise = denial.getByRole('link', { name: 'Raise the cap' });
    expect(await raise.getAttribute('href')).toBe('/settings/subscription?cap=1');
    await denial.getByRole('button', { name: 'Buy 100 runs — $10' }).waitFor();
    expect(await sessions.runs().count()).toBe(0);
    await waitForText(overageNote(), 'Overage: 2 runs ($0.25) · cap reached');
    // At the cap the header keeps to one row at 1,280 px, with no upgrade button (the cap is what to raise).
    expect(await page.getByRole('button', { name: 'Upgrade for more runs' }).count()).toBe(0);
    expect((await header().boundingBox())?.height ?? 0).toBeLessThan(100);
    await denial.scrollIntoViewIfNeeded();
    await screenshot(page, 'run-denied-spend-cap', false);
    await screenshotOf(header(), 'header-spend-cap-reached-1280px');
  });

  it('the raise link opens the settings with the cap field focused; a raised cap lets the run through', async () => {
    await sessions.denial().getByRole('link', { name: 'Raise the cap' }).click();
    await page.waitForURL(`${baseUrl}/settings/subscription`);
    await page.waitForFunction(() => document.activeElement?.id === 'spend-cap-dollars');
    // In view, below the sticky header: the scroll the link asked for stayed when the flag was dropped.
    const isInView = await spend.capDollars().evaluate((field) => {
      const box = field.getBoundingClientRect();
      const headerBottom = document.querySelector('header.app-header')?.getBoundingClientRect().bottom ?? 0;
      return box.top >= headerBottom && box.bottom <= window.innerHeight;
    });
    expect(isInView).toBe(true);
    expect(await spend.capDollars().inputValue()).toBe('0.25');
    await screenshot(page, 'spend-cap-raise-focused', false);

    await spend.capDollars().fill('0.50');
    await spend.card().getByRole('button', { name: 'Save cap' }).click();
    await spend.capSaved().waitFor();

    await sessions.openSession('Overage research');
    await sessions.sendMessage('Within the raised cap');
    expect(await sessions.denial().count()).toBe(0);
    expect(await sessions.runs().count()).toBe(1);
    // 3 runs at $0.125 = $0.375, rounded half up as Stripe rounds the metered line.
    await waitForText(overageNote(), /^Overage: 3 runs \(\$0\.38\)$/);
    await app.waitForHeaderUsage(`${BASIC_RUNS} / ${BASIC_RUNS} runs`);
    await screenshotOf(header(), 'header-overage-1280px');
  });

  it('sets auto top-up and finds it saved after a reload', async () => {
    await subscription.goto();
    await spend.autoTopUp().waitFor();
    expect(await spend.autoTopUpSwitch().isChecked()).toBe(false);
    await spend.saveAutoTopUp({ threshold: '10', pack: '100 runs — $10', monthlyLimit: '2' });

    await page.reload();
    await spend.autoTopUp().waitFor();
    expect(await spend.autoTopUpSwitch().isChecked()).toBe(true);
    expect(await spend.threshold().inputValue()).toBe('10');
    expect(await spend.pack().inputValue()).toBe('PACK_100');
    expect(await spend.monthlyLimit().inputValue()).toBe('2');
    await waitForText(spend.autoTopUp().getByTestId('auto-top-up-purchases'), /of 2 purchases this month$/);
    await waitForText(spend.spent(), '3 runs · $0.38 this period');
    await spend.autoTopUp().scrollIntoViewIfNeeded();
    await screenshot(page, 'spend-auto-top-up-1280px', false);
  });

  it("a team's plain member sees the spend settings with no control", async () => {
    const switcher = new AccountSwitcher(page);
    await switcher.createTeam('Spend team');
    const members = new MembersPage(page);
    await members.waitForLoaded();
    const memberEmail = uniqueEmail('spend-member');
    const invitationUrl = await members.invite(memberEmail);

    const opened = await newUserPage(browser);
    contexts.push(opened.context);
    const member = opened.page;
    await member.goto(invitationUrl);
    await member.getByTestId('accept-invitation').getByRole('link', { name: 'Create an account' }).click();
    await member.getByLabel('Email').fill(memberEmail);
    await member.getByLabel('Password').fill('correct horse battery');
    await member.getByRole('button', { name: 'Create account' }).click();
    await member.waitForURL(/\/invitations\/accept\?/);
    await member.getByRole('button', { name: 'Accept invitation' }).click();
    await member.waitForURL(/\/sessions$/);
    await waitForText(member.getByTestId('active-account'), 'Spend team');

    const memberSettings = new SubscriptionPage(member, baseUrl);
    await memberSettings.goto();
    const card = new SpendSection(member).card();
    await card.getByTestId('spend-managers-only').waitFor();
    expect(await card.locator('input, select, button').count()).toBe(0);
    expect(await card.getByRole('switch').count()).toBe(0);
    expect(await card.getByTestId('overage-unavailable').innerText()).toBe(
      'Overage needs a Basic, Pro or Team subscription.',
    );
    expect(await card.getByTestId('auto-top-up-summary').innerText()).toBe('Auto top-up is off.');
    await card.scrollIntoViewIfNeeded();
    await screenshot(member, 'spend-settings-member-1280px', false);
  });
});
