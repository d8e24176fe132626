import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { AppPage } from './pages/app-page';
import { PasswordResetPages, VerifyEmailPage } from './pages/email-pages';
import { NotificationsPage } from './pages/notifications-page';
import { SubscriptionPage } from './pages/subscription-page';
import { launchBrowser, newUserPage, screenshot, uniqueEmail, waitForText } from './support/browser';

const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'a brand new passphrase';

/**
 * The emails a user acts on, read from the server's dev inbox as from a mailbox: verifying the address
 * (which unlocks the trial and checkout) and resetting a forgotten password.
 */
describe('email flows: verify the address, reset the password', () => {
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

  async function openPage(): Promise<Page> {
    const opened = await newUserPage(browser);
    context = opened.context;
    return opened.page;
  }

  it('signs up, sees the banner, verifies through the emailed link and can then start a trial', async () => {
    const page = await openPage();
    const app = new AppPage(page, baseUrl);
    const verify = new VerifyEmailPage(page, baseUrl);
    const subscription = new SubscriptionPage(page, baseUrl);
    const email = uniqueEmail('verify');

    await app.register(email);
    await waitForText(verify.banner(), `We sent a link to ${email}.`);
    // Right after sign-up the server has just sent one: a resend is rate-limited, and says for how long.
    await verify.banner().getByRole('button', { name: 'Resend email' }).click();
    expect(await waitForText(page.getByTestId('verify-banner-outcome'), /\d+ s/)).toMatch(
      /ask for another in \d+ s/,
    );
    expect(await verify.banner().getByRole('button', { name: 'Resend email' }).isDisabled()).toBe(true);

    // Until verified, the trial and the upgrade wait, and say why.
    await subscription.goto();
    expect(await page.getByRole('button', { name: 'Start 14-day trial' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Upgrade', exact: true }).isDisabled()).toBe(true);
    await waitForText(page.getByTestId('verify-first'), 'Verify your email address first');
    await screenshot(page, 'verify-email-banner-1280px');

    const link = await verify.linkFromEmail(email);
    expect(link).toBe(`${baseUrl}/verify-email#token=${link.split('#token=')[1]}`);
    await verify.open(link);
    // The token left the address bar once read.
    await page.waitForURL(`${baseUrl}/verify-email`);
    await verify.banner().waitFor({ state: 'detached' });
    await screenshot(page, 'verify-email-success');

    await subscription.goto();
    expect(await verify.banner().count()).toBe(0);
    expect(await page.getByTestId('verify-first').count()).toBe(0);
    const trial = page.getByRole('button', { name: 'Start 14-day trial' });
    expect(await trial.isEnabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Upgrade', exact: true }).isEnabled()).toBe(true);
    await subscription.startTrial();
    await subscription.waitForPlan('Trial', '0 / 50 runs');

    // The same link a second time: used, and the page says the address is verified anyway.
    await page.goto(link);
    await waitForText(page.getByTestId('verify-email'), 'already verified');
  });

  it('forgot password: the emailed link sets a new one; the old password stops working', async () => {
    const page = await openPage();
    const app = new AppPage(page, baseUrl);
    const reset = new PasswordResetPages(page, baseUrl);
    const email = uniqueEmail('reset');
    await app.register(email, PASSWORD);
    await app.signOut();

    const askedAt = new Date(Date.now() - 1_000);
    const said = await reset.requestLink(email);
    expect(said).toBe("If an account exists for that address, we've sent a link to reset the password.");
    await screenshot(page, 'forgot-password-sent');
    // An unknown address gets exactly the same answer (nobody can probe who has an account).
    expect(await reset.requestLink(uniqueEmail('nobody'))).toBe(said);

    const link = await reset.linkFromEmail(email, askedAt);
    await page.goto(link);
    // The token leaves the address bar as soon as the page has read it.
    await page.waitForURL(`${baseUrl}/reset-password`);
    // A mismatch is caught before anything is sent.
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('Confirm new password').fill(`${NEW_PASSWORD}!`);
    await page.getByRole('button', { name: 'Change password' }).click();
    await waitForText(page.getByTestId('reset-error'), "The passwords don't match.");

    await page.getByLabel('Confirm new password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await waitForText(
      page.getByTestId('reset-password-done'),
      'Password changed — sign in with your new password',
    );
    await screenshot(page, 'reset-password-done');

    expect(await app.signIn(email, PASSWORD)).toBe(false);
    expect(await page.getByTestId('auth-error').innerText()).not.toBe('');
    expect(await app.signIn(email, NEW_PASSWORD)).toBe(true);

    // The link is used up.
    await app.signOut();
    await page.goto(link);
    await page.getByLabel('New password', { exact: true }).fill('yet another password');
    await page.getByLabel('Confirm new password').fill('yet another password');
    await page.getByRole('button', { name: 'Change password' }).click();
    await waitForText(page.getByTestId('reset-password-invalid'), 'already used');
  });

  it('the bell and Settings › Notifications: one header row at 1280 px, switches and usage alerts saved', async () => {
    const page = await openPage();
    const app = new AppPage(page, baseUrl);
    const notifications = new NotificationsPage(page, baseUrl);
    await app.registerVerified(uniqueEmail('notify'));

    // Brand, navigation, usage, bell and account on one row (the bell and the link must not wrap it).
    const rows = await page.evaluate(() => {
      const inner = document.querySelector('.app-header__inner');
      const tops = [...(inner?.children ?? [])].map((child) => child.getBoundingClientRect());
      return tops.map((rect) => Math.round(rect.top + rect.height / 2));
    });
    expect(Math.max(...rows) - Math.min(...rows)).toBeLessThanOrEqual(8);
    expect(await notifications.bell().getAttribute('aria-label')).toMatch(/^Notifications, \d+ unread$/);
    await notifications.openPanel();
    await screenshot(page, 'notification-panel-1280px', false);
    await page.keyboard.press('Escape');
    await notifications.panel().waitFor({ state: 'hidden' });

    await notifications.gotoSettings();
    await waitForText(page.getByTestId('notification-preferences'), 'always sent');
    const reminders = page.getByTestId('reminders-email');
    const wasOn = await reminders.isChecked();
    const saved = page.waitForResponse((response) => response.url().includes('notifications.setPreferences'));
    await reminders.setChecked(!wasOn);
    expect((await saved).ok()).toBe(true);
    await page.reload();
    await page.getByTestId('reminders-email').waitFor();
    expect(await page.getByTestId('reminders-email').isChecked()).toBe(!wasOn);

    // The form says what's wrong before asking the server; valid thresholds are saved and kept.
    expect(await notifications.saveUsageAlerts('80, 80', '')).toContain('listed twice');
    expect(await notifications.saveUsageAlerts('90, 50', '5')).toBe('Saved.');
    await page.reload();
    await waitForText(page.getByTestId('usage-alerts'), 'Save usage alerts');
    expect(await page.getByLabel("Alert at these percentages of the period's runs").inputValue()).toBe(
      '50, 90',
    );
    expect(await page.getByLabel('Also alert when this many runs are left (optional)').inputValue()).toBe(
      '5',
    );
    await screenshot(page, 'notification-settings-1280px');
  });
});
