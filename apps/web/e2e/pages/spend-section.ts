import type { Page } from 'playwright-core';

/** Settings › Subscription's "Spend past your plan" card: overage, the monthly cap, auto top-up. */
export class SpendSection {
  constructor(readonly page: Page) {}

  card() {
    return this.page.getByTestId('spend-card');
  }

  overageSwitch() {
    return this.card().getByRole('switch', { name: 'Overage billing' });
  }

  price() {
    return this.card().getByTestId('overage-price');
  }

  spent() {
    return this.card().getByTestId('overage-spent');
  }

  capSection() {
    return this.card().getByTestId('spend-cap');
  }

  capDollars() {
    return this.card().getByLabel('Cap in dollars');
  }

  capSaved() {
    return this.card().getByTestId('spend-cap-saved');
  }

  /** Turns overage on (saved at once) and waits for the server's answer: this period's spend shows. */
  async turnOverageOn(): Promise<void> {
    await this.overageSwitch().check();
    await this.spent().waitFor();
    await this.card().locator('[data-testid="overage-switch"]:not([aria-busy]):checked').waitFor();
  }

  /** A cap in dollars, saved; waits for "Saved.". */
  async saveDollarCap(dollars: string): Promise<void> {
    await this.card().getByRole('radio', { name: 'In dollars' }).check();
    await this.capDollars().fill(dollars);
    await this.card().getByRole('button', { name: 'Save cap' }).click();
    await this.capSaved().waitFor();
  }

  autoTopUp() {
    return this.card().getByTestId('auto-top-up');
  }

  autoTopUpSwitch() {
    return this.autoTopUp().getByRole('switch', { name: 'Auto top-up' });
  }

  threshold() {
    return this.autoTopUp().getByLabel('Buy when fewer runs than this are left');
  }

  pack() {
    return this.autoTopUp().getByLabel('Pack to buy');
  }

  monthlyLimit() {
    return this.autoTopUp().getByLabel('Purchases a month, at most');
  }

  async saveAutoTopUp(settings: { threshold: string; pack: string; monthlyLimit: string }): Promise<void> {
    await this.autoTopUpSwitch().check();
    await this.threshold().fill(settings.threshold);
    await this.pack().selectOption({ label: settings.pack });
    await this.monthlyLimit().fill(settings.monthlyLimit);
    await this.autoTopUp().getByRole('button', { name: 'Save auto top-up' }).click();
    await this.autoTopUp().getByTestId('auto-top-up-saved').waitFor();
  }
}
