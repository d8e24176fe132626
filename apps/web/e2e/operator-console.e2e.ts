import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDb, type TestDbHandle } from '@tollgate/db/testing';
import { parseEnv, startServer } from '@tollgate/server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppPage } from './pages/app-page';
import { ConsoleAuditPage } from './pages/console-audit-page';
import { ConsoleCustomerPage } from './pages/console-customer-page';
import { ConsoleCustomersPage } from './pages/console-customers-page';
import { ConsoleDashboardPage } from './pages/console-dashboard-page';
import { launchBrowser, newUserPage, screenshot, uniqueEmail, waitForText } from './support/browser';

const DIST = resolve(dirname(fileURLToPath(import.meta.url)), '../dist');
const PHONE = { width: 375, height: 812 };

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

/**
 * A server of this file's own (the app global-setup built, a fresh database, the in-process Stripe
 * emulator): its operator claims the bootstrap token, which on the shared server belongs to
 * operator-api-keys.e2e.ts's "first operator" story whatever order the files run in.
 */
async function startOwnServer() {
  const db: TestDbHandle = await createTestDb();
  const port = await freePort();
  let bootstrapToken: string | null = null;
  const capture = (_message: string, fields?: Record<string, unknown>) => {
    if (typeof fields?.bootstrapToken === 'string') bootstrapToken = fields.bootstrapToken;
  };
  const baseUrl = `http://127.0.0.1:${port}`;
  const server = await startServer(
    parseEnv({
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      APP_URL: baseUrl,
      JWT_SECRET: randomBytes(32).toString('hex'),
      LOG_REQUESTS: 'false',
      AUTH_RATE_LIMIT_PER_MINUTE: '1000',
      STRIPE_EMULATOR_PORT: '0',
      WEB_DIST_DIR: DIST,
    }),
    { db, logger: { info: capture, warn: capture, error() {} } },
  );
  return {
    baseUrl,
    bootstrapToken: (): string | null => bootstrapToken,
    async close() {
      await server.close();
      await db.close();
    },
  };
}

async function accessTokenOf(page: Page): Promise<string> {
  const raw = await page.evaluate(() => window.localStorage.getItem('tollgate.session'));
  if (!raw) throw new Error('not signed in');
  return (JSON.parse(raw) as { accessToken: string }).accessToken;
}

/**
 * An operator's story: a customer found by email, its timeline, runs granted with a reason (the audit
 * row in the timeline and on the audit page, exported as CSV), an ENTERPRISE deal billed by invoice,
 * and the dashboard's charts. A customer who opens the console is told it is for operators only.
 */
describe('the operator console', () => {
  let own: Awaited<ReturnType<typeof startOwnServer>>;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let page: Page;
  let customers: ConsoleCustomersPage;
  let customer: ConsoleCustomerPage;
  const customerEmail = uniqueEmail('console-customer');
  let accountId = '';

  async function signedUp(label: string, email = uniqueEmail(label)) {
    const opened = await newUserPage(browser);
    contexts.push(opened.context);
    await new AppPage(opened.page, own.baseUrl).register(email);
    return opened.page;
  }

  beforeAll(async () => {
    own = await startOwnServer();
    browser = await launchBrowser();
  });

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await own?.close();
  });

  it('a customer who opens /console is told it is for operators only', async () => {
    const customerPage = await signedUp('console-customer', customerEmail);
    const list = new ConsoleCustomersPage(customerPage, own.baseUrl);
    await customerPage.goto(`${own.baseUrl}/console/customers`);
    expect(await waitForText(list.operatorsOnly(), 'Operators only')).toContain('platform staff');
  });

  it('an operator finds the customer by email and opens its timeline', async () => {
    page = await signedUp('console-operator');
    const token = own.bootstrapToken();
    expect(token, 'the server announced no operator bootstrap token').toBeTruthy();
    const claimed = await fetch(`${own.baseUrl}/api/trpc/operators.claimBootstrap`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await accessTokenOf(page)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });
    expect(claimed.status).toBe(200);

    customers = new ConsoleCustomersPage(page, own.baseUrl);
    customer = new ConsoleCustomerPage(page);
    await customers.goto();
    await customers.search(customerEmail);
    expect(await customers.rows().count()).toBe(1);
    // The URL keeps the search: a reload shows the same result.
    expect(new URL(page.url()).searchParams.get('q')).toBe(customerEmail);
    await page.reload();
    await waitForText(customers.rows().first(), customerEmail);

    await customers.open(customerEmail);
    accountId = new URL(page.url()).pathname.split('/').at(-1) ?? '';
    expect(await page.getByTestId('customer-status').innerText()).toBe('Active');
  });

  it('grants runs with a reason: the audit row shows in the timeline and on the audit page', async () => {
    await customer.grantRuns(25, 'e2e goodwill after the outage');
    await waitForText(customer.timelineEntries().first(), 'grant_credits: e2e goodwill after the outage');
    expect(await customer.timelineEntries().first().locator('.badge').innerText()).toBe('Staff');
    expect(await page.getByTestId('grant-row').first().innerText()).toContain('25 of 25');

    const audit = new ConsoleAuditPage(page, own.baseUrl);
    await audit.goto(accountId);
    await waitForText(audit.rows().first(), 'e2e goodwill after the outage');
    expect(await audit.rows().first().innerText()).toContain('grant_credits');
    const csv = await audit.exportCsv();
    expect(csv).toContain('grant_credits');
    expect(csv).toContain('e2e goodwill after the outage');
  });

  it('sets an ENTERPRISE deal billed by invoice', async () => {
    await page.goto(`${own.baseUrl}/console/customers/${accountId}`);
    await page.getByTestId('customer-heading').waitFor();
    const deal = await customer.createInvoicedDeal({
      runLimit: '50,000',
      dollars: '2,500.00',
      days: '30',
      reason: 'e2e signed order form',
    });
    expect(deal.status).toContain('Done');
    expect(deal.invoiceLink).toMatch(/^http/);
    await waitForText(customer.timelineEntries().first(), 'enterprise_deal: e2e signed order form');
    await waitForText(page.getByTestId('customer-summary'), 'Enterprise');
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'console-customer-1280px');

    await page.setViewportSize(PHONE);
    await page.getByTestId('customer-heading').waitFor();
    // The usage chart's canvas follows its box a frame later (ResizeObserver): nothing wider stays.
    await page.waitForFunction((width) => document.documentElement.scrollWidth <= width, PHONE.width);
    await screenshot(page, 'console-customer-375px');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('the dashboard draws every chart, each with its table', async () => {
    const dashboard = new ConsoleDashboardPage(page, own.baseUrl);
    await dashboard.goto();
    expect(await dashboard.chartPanels().count()).toBe(8);
    await dashboard.waitForCharts();
    expect(await page.getByRole('button', { name: /^Download CSV/ }).count()).toBe(8);
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'console-dashboard-1280px');
  });
});
