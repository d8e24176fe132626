import type { Page } from 'playwright-core';
import { waitForText } from '../support/browser';

/** /console/customers/:accountId: the customer's figures, timeline and staff actions. */
export class ConsoleCustomerPage {
  constructor(readonly page: Page) {}

  timelineEntries() {
    return this.page.getByTestId('timeline-entry');
  }

  actionForm(testId: string) {
    return this.page.getByTestId(testId);
  }

  /** Grants runs that never expire; waits for the form's "Done". */
  async grantRuns(units: number, reason: string): Promise<void> {
    const form = this.actionForm('grant-runs-form');
    await form.getByLabel('Runs', { exact: true }).fill(String(units));
    await form.getByLabel('Reason').fill(reason);
    await form.getByRole('button', { name: 'Grant runs' }).click();
    await waitForText(form.getByRole('status'), 'Done');
  }

  /** An ENTERPRISE deal billed by invoice; answers the first invoice's link the form shows. */
  async createInvoicedDeal(deal: { runLimit: string; dollars: string; days: string; reason: string }) {
    const form = this.actionForm('enterprise-deal-form');
    await form.getByLabel('Run limit per period').fill(deal.runLimit);
    await form.getByLabel('Price in dollars').fill(deal.dollars);
    await form.getByRole('radio', { name: 'Invoice' }).check();
    await form.getByLabel('Days to pay each invoice').fill(deal.days);
    await form.getByLabel('Reason').fill(deal.reason);
    await form.getByRole('button', { name: 'Create deal' }).click();
    // Done, or the server's refusal (shown as is, so a failing test says why).
    const answer = form.locator('[role="status"], [role="alert"]').first();
    await answer.waitFor({ timeout: 30_000 });
    return {
      status: await answer.innerText(),
      invoiceLink: await form.getByRole('link', { name: 'Open the first invoice' }).getAttribute('href'),
    };
  }
}
