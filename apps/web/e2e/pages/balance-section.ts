import type { Page } from 'playwright-core';

/** Settings › Subscription's "Balance" (allowance, packs and grants) and "Buy runs" cards. */
export class BalanceSection {
  constructor(readonly page: Page) {}

  card() {
    return this.page.getByTestId('usage-card');
  }

  total() {
    return this.page.getByTestId('balance-total');
  }

  /** Packs and grants in the order the page lists them (spendable first, in draw order). */
  grants() {
    return this.card().getByTestId('grant');
  }

  drawOrder() {
    return this.page.getByTestId('draw-order');
  }

  buyRuns() {
    return this.page.getByTestId('buy-runs');
  }

  /** Buys a pack from the "Buy runs" card; the app then leaves for the hosted checkout page. */
  async buyPack(label: string): Promise<void> {
    await this.buyRuns().getByRole('button', { name: label }).click();
    await this.page.waitForURL(/\/checkout\/cs_/);
  }
}
