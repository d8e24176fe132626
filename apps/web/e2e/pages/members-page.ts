import type { Page } from 'playwright-core';
import { waitForText } from '../support/browser';

/** /accounts/:id/members: a team's members, invitations and the invitation link. */
export class MembersPage {
  constructor(readonly page: Page) {}

  async waitForLoaded(): Promise<void> {
    await this.page.getByRole('heading', { name: 'Members', level: 1 }).waitFor();
    await this.page.getByTestId('member-list').waitFor();
  }

  row(email: string) {
    return this.page.locator(`[data-testid="member-row"][data-email="${email}"]`);
  }

  /** Invites `email`; answers the link the page shows (to send by hand until invitations are emailed). */
  async invite(email: string, role: 'Member' | 'Admin' = 'Member'): Promise<string> {
    await this.page.getByLabel('Email').fill(email);
    await this.page.getByLabel('Role', { exact: true }).selectOption({ label: role });
    await this.page.getByRole('button', { name: 'Invite', exact: true }).click();
    await this.page.getByTestId('invitation-link').waitFor();
    return this.page.getByTestId('invitation-url').inputValue();
  }

  /** Clicks "Copy link"; answers what the page says happened. */
  async copyLink(): Promise<string> {
    await this.page.getByRole('button', { name: 'Copy link' }).click();
    return waitForText(this.page.getByTestId('copy-status'), /Copied|Couldn't copy/);
  }

  async waitForRunsOf(email: string, runs: string): Promise<void> {
    await waitForText(this.row(email).getByTestId('member-used'), new RegExp(`^${runs}$`));
  }
}
