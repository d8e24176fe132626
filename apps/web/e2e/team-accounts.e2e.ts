import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AccountSwitcher } from './pages/account-switcher';
import { AppPage } from './pages/app-page';
import { MembersPage } from './pages/members-page';
import { SessionPage } from './pages/session-page';
import { CheckoutPage } from './pages/stripe-pages';
import { SubscriptionPage } from './pages/subscription-page';
import { launchBrowser, newUserPage, screenshot, uniqueEmail, waitForText } from './support/browser';

const TEAM = 'Acme Research';
const TEAM_RUNS = '2,000';
const PHONE = { width: 375, height: 812 };
const DESKTOP = { width: 1280, height: 900 };

/**
 * Two users in two browser contexts (no shared storage): A makes a team and invites B, B signs up from
 * the link and joins, A buys TEAM through Checkout, B's run is charged to the team's pool, and both see
 * the shared usage; B, a plain member, gets no billing buttons.
 */
describe('a team: create, invite, accept, pay for TEAM, share the runs', () => {
  const baseUrl = inject('baseUrl');
  let browser: Browser;
  let contextA: BrowserContext;
  let contextB: BrowserContext;
  let pageA: Page;
  let pageB: Page;
  const emailA = uniqueEmail('team-owner');
  const emailB = uniqueEmail('team-member');
  let invitationUrl = '';

  beforeAll(async () => {
    browser = await launchBrowser();
    ({ context: contextA, page: pageA } = await newUserPage(browser));
    ({ context: contextB, page: pageB } = await newUserPage(browser));
    // "Copy link" uses the Clipboard API, which needs the permission on an http origin.
    await contextA.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
  });

  afterAll(async () => {
    await contextA?.close();
    await contextB?.close();
    await browser?.close();
  });

  it('A signs up, creates a team from the switcher and invites B with a copied link', async () => {
    const app = new AppPage(pageA, baseUrl);
    const switcher = new AccountSwitcher(pageA);
    await app.registerVerified(emailA);
    expect(await switcher.activeAccount()).toBe('Personal');

    await switcher.createTeam(TEAM);
    const members = new MembersPage(pageA);
    await members.waitForLoaded();
    expect(await members.row(emailA).getAttribute('data-role')).toBe('owner');

    invitationUrl = await members.invite(emailB);
    expect(invitationUrl).toMatch(
      /\/invitations\/accept\?account=[0-9a-f-]{36}&invitation=[0-9a-f-]{36}#token=/,
    );
    expect(await members.copyLink()).toBe('Copied to the clipboard.');
    expect(await pageA.evaluate(() => navigator.clipboard.readText())).toBe(invitationUrl);
    await waitForText(pageA.getByTestId('pending-invitations'), emailB);

    await screenshot(pageA, 'team-members-1280px');
    await pageA.setViewportSize(PHONE);
    await screenshot(pageA, 'team-members-375px');
    await pageA.setViewportSize(DESKTOP);
  });

  it('B opens the link signed out, creates an account from it, accepts and lands in the team', async () => {
    await pageB.goto(invitationUrl);
    const accept = pageB.getByTestId('accept-invitation');
    await waitForText(accept, 'Sign in or create an account to accept');
    // The token waits in the tab, not in the address bar or a ?redirect=.
    expect(pageB.url()).not.toContain('token=');
    await accept.getByRole('link', { name: 'Create an account' }).click();
    expect(pageB.url()).not.toContain('token=');

    await pageB.getByLabel('Email').fill(emailB);
    await pageB.getByLabel('Password').fill('correct horse battery');
    await pageB.getByRole('button', { name: 'Create account' }).click();
    await pageB.waitForURL(/\/invitations\/accept\?/);
    await pageB.getByRole('button', { name: 'Accept invitation' }).click();
    await pageB.waitForURL(/\/sessions$/);
    await waitForText(pageB.getByTestId('active-account'), TEAM);

    // A sees B join (no pending invitation left).
    const members = new MembersPage(pageA);
    await pageA.reload();
    await members.waitForLoaded();
    expect(await members.row(emailB).getAttribute('data-role')).toBe('member');
    await waitForText(pageA.getByTestId('pending-invitations'), 'No pending invitations.');
  });

  it('A upgrades the team to TEAM through Checkout: the only plan offered, $15 / seat / month', async () => {
    const subscription = new SubscriptionPage(pageA, baseUrl);
    await subscription.goto();
    await subscription.openUpgradeModal();
    const offered = await subscription
      .modal()
      .locator('[data-plan]')
      .evaluateAll((plans) => plans.map((plan) => plan.getAttribute('data-plan')));
    expect(offered).toEqual(['TEAM']);
    expect(await subscription.modal().innerText()).toContain('$15 / seat / month');
    await screenshot(pageA, 'team-upgrade-modal', false);

    await subscription.choosePlan('Team');
    await new CheckoutPage(pageA).pay('4242 4242 4242 4242');
    await pageA.waitForURL(`${baseUrl}/settings/subscription`);
    await subscription.waitForPlan('Team', `0 / ${TEAM_RUNS} runs`);
    await waitForText(subscription.banner(), "You're on the Team plan now.");
    expect(await pageA.getByTestId('active-account').innerText()).toBe(TEAM);
  });

  it("B runs an agent: the team's pool is charged, and both see the shared usage", async () => {
    const appB = new AppPage(pageB, baseUrl);
    const sessions = new SessionPage(pageB, baseUrl);
    await sessions.createSession('Team research');
    await appB.waitForHeaderUsage(`0 / ${TEAM_RUNS} runs`);
    await sessions.sendMessage('Summarise the market');
    await appB.waitForHeaderUsage(`1 / ${TEAM_RUNS} runs`);

    const subscriptionB = new SubscriptionPage(pageB, baseUrl);
    await subscriptionB.goto();
    await subscriptionB.waitForPlan('Team', `1 / ${TEAM_RUNS} runs`);
    // A plain member: no checkout, portal or trial, and a word on who can.
    await waitForText(pageB.getByTestId('billing-managers-only'), 'owners and admins');
    const buttons = await pageB.locator('main button').allInnerTexts();
    expect(buttons.filter((label) => /Upgrade|Manage|trial|Update payment/i.test(label))).toEqual([]);
    expect(await pageB.getByTestId('usage-indicator').getByRole('button').count()).toBe(0);

    const subscriptionA = new SubscriptionPage(pageA, baseUrl);
    await subscriptionA.goto();
    await subscriptionA.waitForPlan('Team', `1 / ${TEAM_RUNS} runs`);
    await new AppPage(pageA, baseUrl).waitForHeaderUsage(`1 / ${TEAM_RUNS} runs`);
    expect(await pageA.getByRole('button', { name: 'Manage subscription' }).count()).toBe(1);
  });

  it("the Members page counts B's run; the switcher lists both accounts (screenshots)", async () => {
    const switcher = new AccountSwitcher(pageA);
    await pageA.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Members' }).click();
    const members = new MembersPage(pageA);
    await members.waitForLoaded();
    await members.waitForRunsOf(emailB, '1');
    await members.waitForRunsOf(emailA, '0');

    await switcher.open();
    const items = await switcher.menu().getByRole('menuitemradio').allInnerTexts();
    expect(items.map((item) => item.replace(/\s+/g, ' ').trim())).toEqual([
      'Personal Your own',
      `✓ ${TEAM} Owner`,
    ]);
    await screenshot(pageA, 'account-switcher-open-1280px', false);
    await pageA.keyboard.press('Escape');

    await pageA.setViewportSize(PHONE);
    await switcher.open();
    await screenshot(pageA, 'account-switcher-open-375px', false);
    const overflow = await pageA.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await pageA.keyboard.press('Escape');
    await pageA.setViewportSize(DESKTOP);

    // Back to the personal account: its own FREE plan and meter, no team header.
    await switcher.switchTo('Personal');
    await new AppPage(pageA, baseUrl).waitForHeaderUsage('0 / 10 runs');
    await pageA.waitForURL(/\/sessions$/);
  });
});
