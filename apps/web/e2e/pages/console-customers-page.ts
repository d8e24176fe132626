import type { Page } from 'playwright-core';
import { waitForText } from '../support/browser';

/** /console/customers: search, filters, the results table. */
export class ConsoleCustomersPage {
  constructor(
    readonly page: Page,
    readonly baseUrl: string,
  ) {}

  async goto(query = ''): Promise<void> {
    await this.page.goto(`${this.baseUrl}/console/customers${query}`);
    await this.page.getByRole('heading', { name: 'Customers', level: 1 }).waitFor();
  }

  operatorsOnly() {
    return this.page.getByTestId('operators-only');
  }

  async search(text: string): Promise<void> {
    await this.page.getByLabel('Search customers').fill(text);
    await this.page.getByRole('button', { name: 'Search', exact: true }).click();
    await waitForText(this.rows().first(), text);
  }

  rows() {
    return this.page.getByTestId('customer-row');
  }

  /** Opens the customer's page from its row. */
  async open(email: string): Promise<void> {
    await this.rows().getByRole('link', { name: email }).click();
    await this.page.waitForURL(/\/console\/customers\/[0-9a-f-]{36}$/);
    await this.page.getByTestId('customer-heading').waitFor();
  }
}
