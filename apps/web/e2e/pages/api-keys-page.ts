import type { Page } from 'playwright-core';
import { waitForText } from '../support/browser';

/** /operator/api-keys: service API keys, for platform operators. */
export class ApiKeysPage {
  constructor(
    readonly page: Page,
    readonly baseUrl: string,
  ) {}

  async goto(): Promise<void> {
    await this.page.goto(`${this.baseUrl}/operator/api-keys`);
    await this.page.getByRole('heading', { name: 'API keys', level: 1 }).waitFor();
  }

  operatorsOnly() {
    return this.page.getByTestId('operators-only');
  }

  navLink() {
    return this.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys' });
  }

  /** Fills the form and creates the key; answers the key as the page shows it, once. */
  async create(name: string, scopes: string[]): Promise<string> {
    await this.page.getByLabel('Name', { exact: true }).fill(name);
    for (const scope of scopes) await this.page.getByRole('checkbox', { name: new RegExp(scope) }).check();
    await this.page.getByRole('button', { name: 'Create key' }).click();
    await this.createdKey().waitFor();
    return this.createdKey().getByTestId('created-key-value').inputValue();
  }

  createdKey() {
    return this.page.getByTestId('created-key');
  }

  async copyCreatedKey(): Promise<string> {
    await this.createdKey().getByRole('button', { name: 'Copy' }).click();
    return waitForText(this.createdKey().getByTestId('copy-status'), /Copied|Couldn't copy/);
  }

  async dismissCreatedKey(): Promise<void> {
    await this.createdKey().getByRole('button', { name: "I've stored it" }).click();
    await this.createdKey().waitFor({ state: 'detached' });
  }

  row(name: string) {
    return this.page.locator(`[data-testid="api-key-row"][data-key-name="${name}"]`);
  }

  async revoke(name: string): Promise<void> {
    await this.page.getByRole('button', { name: `Revoke ${name}` }).click();
    await this.row(name).getByRole('button', { name: 'Revoke key' }).click();
    await waitForText(this.row(name), /Revoked/);
  }
}
