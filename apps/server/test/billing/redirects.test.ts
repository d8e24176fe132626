import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trpc } from '../support/http';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { registerVerifiedUser } from '../support/test-server';

let billing: BillingTestServer;
beforeAll(async () => {
  billing = await startBillingTestServer();
});
afterAll(() => billing?.stop());

const ATTACKS = [
  'https://evil.example/phish',
  '//evil.example/x',
  'http://app.tollgate.test.evil.example/',
  'https://app.tollgate.test/x', // another scheme is another origin
  'javascript:alert(1)',
  'http://user:pass@app.tollgate.test/',
];

describe('no open redirects', () => {
  it.each(ATTACKS)('refuses %s as success, cancel or portal return URL', async (url) => {
    const { accessToken } = await registerVerifiedUser(billing.server);
    const call = (path: string, input: unknown) =>
      trpc(billing.server.url, 'mutation', path, input, accessToken);
    for (const result of [
      await call('billing.createCheckoutSession', { plan: 'PRO', successUrl: url }),
      await call('billing.createCheckoutSession', { plan: 'PRO', cancelUrl: url }),
      await call('billing.createPortalSession', { returnUrl: url }),
    ]) {
      expect(result.status).toBe(400);
      expect(result.error?.data.appCode).toBe('INVALID_REDIRECT_URL');
    }
  });

  it('accepts same-origin URLs and relative paths', async () => {
    const { accessToken } = await registerVerifiedUser(billing.server);
    const result = await trpc(
      billing.server.url,
      'mutation',
      'billing.createCheckoutSession',
      { plan: 'BASIC', successUrl: 'http://app.tollgate.test/done?x=1', cancelUrl: '/settings/subscription' },
      accessToken,
    );
    expect(result.status).toBe(200);
    expect(result.data.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/checkout\//);
  });

  it('refuses an unknown plan with 400 and explains the portal when there is no customer yet', async () => {
    const { accessToken } = await registerVerifiedUser(billing.server);
    const badPlan = await trpc(
      billing.server.url,
      'mutation',
      'billing.createCheckoutSession',
      { plan: 'GOLD' },
      accessToken,
    );
    expect(badPlan.status).toBe(400);
    expect(badPlan.error?.data.fieldErrors?.plan).toBeDefined();
    const portal = await trpc(billing.server.url, 'mutation', 'billing.createPortalSession', {}, accessToken);
    expect(portal.status).toBe(400);
    expect(portal.error?.data.appCode).toBe('NO_STRIPE_CUSTOMER');
  });
});
