import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ApiKeysPage } from './pages/api-keys-page';
import { AppPage } from './pages/app-page';
import { launchBrowser, newUserPage, screenshot, uniqueEmail, waitForText } from './support/browser';

interface StoredSession {
  accessToken: string;
  user: { id: string };
}

/** The signed-in user's tokens, as the app keeps them in localStorage. */
async function storedSession(page: Page): Promise<StoredSession> {
  const raw = await page.evaluate(() => window.localStorage.getItem('tollgate.session'));
  if (!raw) throw new Error('not signed in');
  return JSON.parse(raw) as StoredSession;
}

/** One operator's story: a key is created, seen once, copied, used by a "service", then revoked. */
describe('a platform operator manages service API keys', () => {
  const baseUrl = inject('baseUrl');
  const bootstrapToken = inject('operatorBootstrapToken');
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let customerId = '';
  let operator: { page: Page; keys: ApiKeysPage };
  let key = '';

  const rest = (path: string, credential: string, body?: unknown) =>
    fetch(`${baseUrl}/api/v1${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  async function signedUp(label: string) {
    const opened = await newUserPage(browser);
    contexts.push(opened.context);
    await new AppPage(opened.page, baseUrl).register(uniqueEmail(label));
    return opened;
  }

  beforeAll(async () => {
    browser = await launchBrowser();
  });

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
  });

  it('a user who is not an operator sees no link and an "operators only" page', async () => {
    const { page } = await signedUp('customer');
    customerId = (await storedSession(page)).user.id;
    const keys = new ApiKeysPage(page, baseUrl);
    await keys.goto();
    expect(await waitForText(keys.operatorsOnly(), 'Operators only')).toContain('ask one to create a key');
    expect(await page.getByRole('button', { name: 'Create key' }).count()).toBe(0);
    // The role is known by now (the page needed it): still no link in the header.
    expect(await keys.navLink().count()).toBe(0);
  });

  it('the first operator claims the bootstrap token and gets the API keys page in the header', async () => {
    expect(bootstrapToken, 'the server announced no operator bootstrap token').toBeTruthy();
    const { page, context } = await signedUp('operator');
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
    const { accessToken } = await storedSession(page);
    const claimed = await fetch(`${baseUrl}/api/trpc/operators.claimBootstrap`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ token: bootstrapToken }),
    });
    expect(claimed.status).toBe(200);

    await page.reload();
    operator = { page, keys: new ApiKeysPage(page, baseUrl) };
    await operator.keys.navLink().click();
    await page.waitForURL(`${baseUrl}/operator/api-keys`);
    await page.getByRole('button', { name: 'Create key' }).waitFor();
    // The list loads after the form renders: wait for its answer (count() would not).
    await page.getByText('No API keys yet.').waitFor();
  });

  it('creates a key, shows it once and copies it', async () => {
    const { page, keys } = operator;
    key = await keys.create('e2e agent backend', ['runs:authorize', 'subscriptions:read']);
    expect(key).toMatch(/^tg_sk_\S{20,}$/);
    expect(await keys.createdKey().innerText()).toContain('shown only this once');

    expect(await keys.copyCreatedKey()).toBe('Copied to the clipboard.');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
    await screenshot(page, 'operator-api-key-created-1280px');

    await keys.dismissCreatedKey();
    await page.reload();
    await keys.row('e2e agent backend').waitFor();
    // Never shown again: neither after "I've stored it" nor after a reload.
    expect(await page.content()).not.toContain(key);
    expect(await keys.row('e2e agent backend').innerText()).toContain('Never used');
  });

  it('the key works against the REST API within its scopes, and the list shows its last use', async () => {
    const overview = await rest(`/billing/subscription?userId=${customerId}`, key);
    expect(overview.status).toBe(200);
    expect(((await overview.json()) as { plan: string }).plan).toBe('FREE');

    const authorized = await rest('/usage/authorize', key, { userId: customerId, runId: 'e2e-key-run-1' });
    expect(authorized.status).toBe(200);
    expect(((await authorized.json()) as { used: number }).used).toBe(1);

    // Outside its scopes: runs:release was not granted.
    const released = await rest('/usage/release', key, { userId: customerId, runId: 'e2e-key-run-1' });
    expect(released.status).toBe(403);

    const { page, keys } = operator;
    await page.reload();
    await waitForText(keys.row('e2e agent backend').getByTestId('api-key-last-used'), /^Last used /);
  });

  it('revokes the key after a confirmation; the API then answers 401', async () => {
    const { page, keys } = operator;
    await keys.revoke('e2e agent backend');
    expect(await keys.row('e2e agent backend').innerText()).toMatch(/Revoked \w+ \d{1,2}, \d{4}/);

    expect((await rest(`/billing/subscription?userId=${customerId}`, key)).status).toBe(401);

    await page.setViewportSize({ width: 375, height: 900 });
    await page.evaluate(() => window.scrollTo(0, 0));
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await screenshot(page, 'operator-api-keys-375px');
  });
});
