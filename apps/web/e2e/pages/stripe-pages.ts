import type { Page } from 'playwright-core';

/** The emulator's hosted Checkout page (what session.url opens). */
export class CheckoutPage {
  constructor(readonly page: Page) {}

  async pay(cardNumber: string): Promise<void> {
    await this.page.getByLabel('Card number').fill(cardNumber);
    await this.page.getByRole('button', { name: 'Pay' }).click();
  }

  error() {
    return this.page.getByRole('alert');
  }

  async cancel(): Promise<void> {
    await this.page.getByRole('button', { name: 'Cancel' }).click();
  }
}

/** The emulator's hosted Customer Portal. */
export class PortalPage {
  constructor(readonly page: Page) {}

  async cancelAtPeriodEnd(): Promise<string> {
    await this.page.getByRole('button', { name: 'Cancel at period end' }).click();
    await this.page.getByRole('status').waitFor();
    return (await this.page.getByTestId('period-end').innerText()).trim();
  }

  async returnToApp(): Promise<void> {
    await this.page.getByRole('link', { name: 'Return' }).click();
  }
}
