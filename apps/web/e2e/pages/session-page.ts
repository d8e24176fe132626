import type { Page } from 'playwright-core';
import { waitForText } from '../support/browser';

/** /sessions and /sessions/:id: create a session, send messages (each one run). */
export class SessionPage {
  constructor(
    readonly page: Page,
    readonly baseUrl: string,
  ) {}

  async createSession(title: string): Promise<void> {
    await this.page.goto(`${this.baseUrl}/sessions`);
    await this.page.getByLabel('New session title').fill(title);
    await this.page.getByRole('button', { name: 'New session' }).click();
    await this.page.waitForURL(/\/sessions\/[0-9a-f-]{36}$/);
    await this.page.getByRole('heading', { name: title }).waitFor();
  }

  async openSession(title: string): Promise<void> {
    await this.page.goto(`${this.baseUrl}/sessions`);
    await this.page.getByRole('link', { name: new RegExp(title) }).click();
    await this.page.getByRole('heading', { name: title }).waitFor();
  }

  runs() {
    return this.page.getByTestId('run');
  }

  denial() {
    return this.page.getByTestId('run-denied');
  }

  /** The 402 notice's pack offer ("Buy 100 runs — $10"); buying leaves for the hosted checkout page. */
  async buyPackFromDenial(label: string): Promise<void> {
    await this.denial().getByRole('button', { name: label }).click();
    await this.page.waitForURL(/\/checkout\/cs_/);
  }

  /** Sends a message and waits for its reply. */
  async sendMessage(message: string): Promise<void> {
    const before = await this.runs().count();
    await this.submit(message);
    await this.runs().nth(before).getByTestId('run-reply').waitFor();
  }

  /** Sends a message the server will refuse with 402, and waits for the inline prompt to say `expected`. */
  async sendRefusedMessage(message: string, expected: string | RegExp = /used all/): Promise<string> {
    await this.submit(message);
    await this.denial().waitFor();
    return waitForText(this.denial(), expected);
  }

  private async submit(message: string): Promise<void> {
    await this.page.getByLabel('Message').fill(message);
    await this.page.getByRole('button', { name: 'Send', exact: true }).click();
  }
}
