import type { Page } from 'playwright-core';
import { waitForText } from '../support/browser';

/** The header's bell and Settings › Notifications. */
export class NotificationsPage {
  constructor(
    readonly page: Page,
    readonly baseUrl: string,
  ) {}

  bell() {
    return this.page.getByTestId('notification-bell-button');
  }

  panel() {
    return this.page.getByTestId('notification-panel');
  }

  async openPanel(): Promise<void> {
    await this.bell().click();
    await this.panel().waitFor();
  }

  /** Through the header's navigation, next to Subscription. */
  async gotoSettings(): Promise<void> {
    await this.page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Notifications' })
      .click();
    await this.page.waitForURL(/\/settings\/notifications$/);
    await this.page.getByTestId('usageAlerts-email').waitFor();
  }

  /** Fills the usage alerts form and saves; returns what the form says then. */
  async saveUsageAlerts(percents: string, runsRemaining: string): Promise<string> {
    await this.page.getByLabel("Alert at these percentages of the period's runs").fill(percents);
    await this.page.getByLabel('Also alert when this many runs are left (optional)').fill(runsRemaining);
    await this.page.getByRole('button', { name: 'Save usage alerts' }).click();
    return waitForText(
      this.page.locator('[data-testid="usage-alerts-saved"], [data-testid="usage-alerts"] [role="alert"]'),
      /./,
    );
  }
}
