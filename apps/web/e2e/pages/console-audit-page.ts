import type { Page } from 'playwright-core';

/** /console/audit: staff changes, newest first. */
export class ConsoleAuditPage {
  constructor(
    readonly page: Page,
    readonly baseUrl: string,
  ) {}

  async goto(accountId: string): Promise<void> {
    await this.page.goto(`${this.baseUrl}/console/audit?account=${accountId}`);
    await this.page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
  }

  rows() {
    return this.page.getByTestId('audit-row');
  }

  /** Starts the CSV download and answers the saved file's text. */
  async exportCsv(): Promise<string> {
    const [download] = await Promise.all([
      this.page.waitForEvent('download'),
      this.page.getByRole('button', { name: /Export CSV/ }).click(),
    ]);
    const stream = await download.createReadStream();
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
}
