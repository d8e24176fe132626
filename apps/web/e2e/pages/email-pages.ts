import type { Page } from 'playwright-core';
import { linkIn, waitForEmail } from '../support/dev-inbox';
import { waitForText } from '../support/browser';

/** The verify-email banner on signed-in pages, and the page the email's link opens. */
export class VerifyEmailPage {
  constructor(
    readonly page: Page,
    readonly baseUrl: string,
  ) {}

  banner() {
    return this.page.getByTestId('verify-email-banner');
  }

  /** Reads the verification email sent to `email` and returns its link. */
  async linkFromEmail(email: string): Promise<string> {
    const message = await waitForEmail(this.baseUrl, { to: email, subject: 'Verify' });
    return linkIn(message, '/verify-email');
  }

  /** Opens the link and waits for the page to say the address is verified. */
  async open(link: string): Promise<void> {
    await this.page.goto(link);
    await waitForText(this.page.getByTestId('verify-email-success'), 'is verified');
  }

  /** The whole flow, for tests that need a verified user before a trial or a checkout. */
  async verify(email: string): Promise<void> {
    await this.open(await this.linkFromEmail(email));
  }
}

/** "Forgot password?" on the sign-in page, and the reset page the email's link opens. */
export class PasswordResetPages {
  constructor(
    readonly page: Page,
    readonly baseUrl: string,
  ) {}

  async requestLink(email: string): Promise<string> {
    await this.page.goto(`${this.baseUrl}/login`);
    await this.page.getByRole('link', { name: 'Forgot password?' }).click();
    await this.page.waitForURL(/\/forgot-password$/);
    await this.page.getByLabel('Email').fill(email);
    await this.page.getByRole('button', { name: 'Send reset link' }).click();
    return waitForText(
      this.page.getByTestId('forgot-password-sent').getByRole('status'),
      'If an account exists',
    );
  }

  async linkFromEmail(email: string, after: Date): Promise<string> {
    const message = await waitForEmail(this.baseUrl, { to: email, subject: 'Reset', after });
    return linkIn(message, '/reset-password');
  }
}
