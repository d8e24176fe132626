import type { Page } from 'playwright-core';
import { waitForText } from '../support/browser';

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
