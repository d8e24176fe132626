import type { Page } from 'playwright-core';
import { waitForText } from '../support/browser';

/** Settings › Subscription and the upgrade modal. */
export class SubscriptionPage {
  constructor(
    readonly page: Page,
    readonly baseUrl: string,
  ) {}

  async goto(): Promise<void> {
    await this.page.goto(`${this.baseUrl}/settings/subscription`);
    await this.planName().waitFor();
  }

  planName() {
    return this.page.getByTestId('plan-name');
  }

  badge() {
    return this.page.getByTestId('status-badge');
  }

  usage() {
    return this.page.getByTestId('usage-card').getByTestId('usage-label');
  }

  banner() {
    return this.page.getByTestId('return-banner');
  }

  modal() {
    return this.page.getByRole('dialog', { name: 'Choose a plan' });
  }

  async waitForPlan(name: string, usage: string): Promise<void> {
    await waitForText(this.planName(), new RegExp(`^${name}$`), 40_000);
    await waitForText(this.usage(), usage);
  }

  async openUpgradeModal(): Promise<void> {
    await this.page.getByRole('button', { name: 'Upgrade', exact: true }).click();
    await this.modal().waitFor();
  }

  /** Chooses a plan in the open modal; the app then leaves for the hosted checkout page. */
  async choosePlan(name: 'Basic' | 'Pro' | 'Team'): Promise<void> {
    await this.modal()
      .getByRole('button', { name: `Choose ${name}` })
      .click();
    await this.page.waitForURL(/\/checkout\/cs_/);
  }

  async startTrial(): Promise<void> {
    await this.page.getByRole('button', { name: 'Start 14-day trial' }).click();
  }

  async manageSubscription(): Promise<void> {
    await this.page.getByRole('button', { name: 'Manage subscription' }).click();
    await this.page.waitForURL(/\/portal\//);
  }
}
