import type { Page } from 'playwright-core';

/** The header's account menu: the active account, switching, "Create team…". */
export class AccountSwitcher {
  constructor(readonly page: Page) {}

  button() {
    return this.page.locator('#account-switcher-button');
  }

  menu() {
    return this.page.getByRole('menu', { name: 'Switch account' });
  }

  async activeAccount(): Promise<string> {
    return (await this.page.getByTestId('active-account').innerText()).trim();
  }

  async open(): Promise<void> {
    await this.button().click();
    await this.menu().waitFor();
  }

  /** Creates a team from the menu; the app then opens the new team's Members page. */
  async createTeam(name: string): Promise<void> {
    await this.open();
    await this.menu().getByRole('menuitem', { name: 'Create team…' }).click();
    const dialog = this.page.getByRole('dialog', { name: 'Create a team' });
    await dialog.getByLabel('Team name').fill(name);
    await dialog.getByRole('button', { name: 'Create team' }).click();
    await this.page.waitForURL(/\/accounts\/[0-9a-f-]{36}\/members$/);
    await this.page.getByTestId('active-account').getByText(name).waitFor();
  }

  async switchTo(name: string): Promise<void> {
    await this.open();
    await this.menu()
      .getByRole('menuitemradio', { name: new RegExp(`^${name} \\(`) })
      .click();
    await this.page.getByTestId('active-account').getByText(name, { exact: true }).waitFor();
  }
}
