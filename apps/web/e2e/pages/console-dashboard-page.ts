import type { Page } from 'playwright-core';

/** /console: the analytics dashboard. */
export class ConsoleDashboardPage {
  constructor(
    readonly page: Page,
    readonly baseUrl: string,
  ) {}

  async goto(): Promise<void> {
    await this.page.goto(`${this.baseUrl}/console`);
    await this.page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    await this.page.getByTestId('analytics-as-of').waitFor();
  }

  chartPanels() {
    return this.page.locator('.chart-panel');
  }

  /** Each chart has drawn its canvas (ECharts draws once its box has a size). */
  async waitForCharts(): Promise<void> {
    await this.page.waitForFunction(() => {
      const panels = [...document.querySelectorAll('.chart-panel')];
      return panels.length > 0 && panels.every((panel) => panel.querySelector('canvas'));
    });
  }
}
