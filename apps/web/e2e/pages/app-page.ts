import type { Page } from 'playwright-core';
import { waitForText } from '../support/browser';
import { VerifyEmailPage } from './email-pages';

/** Sign-up / sign-in and the header every signed-in page has. */
export class AppPage {
  constructor(
    readonly page: Page,
    readonly baseUrl: string,
  ) {}

  async register(email: string, password = 'correct horse battery'): Promise<void> {
    await this.page.goto(`${this.baseUrl}/register`);
    await this.page.getByLabel('Email').fill(email);
    await this.page.getByLabel('Password').fill(password);
    await this.page.getByRole('button', { name: 'Create account' }).click();
    await this.page.waitForURL(/\/sessions$/);
  }

  /**
   * Signs up and verifies the address through the link in the email (the dev inbox): trials and
   * checkouts are refused until then.
   */
  async registerVerified(email: string, password = 'correct horse battery'): Promise<void> {
    await this.register(email, password);
    await new VerifyEmailPage(this.page, this.baseUrl).verify(email);
    await this.page.goto(`${this.baseUrl}/sessions`);
  }

  /** Signs in; resolves true when the app let the user in, false when the sign-in page refused. */
  async signIn(email: string, password: string): Promise<boolean> {
    await this.page.goto(`${this.baseUrl}/login`);
    await this.page.getByLabel('Email').fill(email);
    await this.page.getByLabel('Password').fill(password);
    await this.page.getByRole('button', { name: 'Sign in' }).click();
    // Whichever comes first: the signed-in header's usage meter, or the form's error.
    const error = this.page.getByTestId('auth-error');
    await this.page.locator('[data-testid="auth-error"], [data-testid="usage-indicator"]').first().waitFor();
    return !(await error.isVisible());
  }

  async signOut(): Promise<void> {
    await this.page.getByRole('button', { name: 'Sign out' }).click();
    await this.page.waitForURL(/\/login/);
  }

  /** The header's "X / Y runs". */
  headerUsage(): Promise<string> {
    return this.usageLabel().innerText();
  }

  async waitForHeaderUsage(expected: string): Promise<void> {
    await waitForText(this.usageLabel(), expected);
  }

  private usageLabel() {
    return this.page.getByTestId('usage-indicator').getByTestId('usage-label');
  }
}
