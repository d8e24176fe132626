import type { Page } from 'playwright-core';

/**
 * The emulator's hosted Checkout page (what session.url opens): a subscription's ("Subscribe to …") and
 * a one-time payment's, like a run pack's ("Pay for …"), share the card field and the Pay button.
 */
export class CheckoutPage {
  constructor(readonly page: Page) {}

  heading() {
    return this.page.getByRole('heading', { level: 1 });
  }

  /** The amount due, as the page shows it ("$10.00"). */
  price() {
    return this.page.getByTestId('price');
  }

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
