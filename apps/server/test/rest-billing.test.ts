import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restOperations } from '../src/routes/rest-api';
import { startBillingTestServer, type BillingTestServer } from './support/billing-server';
import { payCheckout } from './support/hosted-pages';
import { request, uniqueEmail, type HttpResult } from './support/http';
import { verifyEmail } from './support/test-server';

let billing: BillingTestServer;
beforeAll(async () => {
  billing = await startBillingTestServer();
});
afterAll(() => billing?.stop());

const APP = 'http://app.tollgate.test';

/** The success status and body the OpenAPI document promises for this operation (strict schemas). */
function expectDocumented<T>(operationId: string, result: HttpResult<T>): T {
  const operation = restOperations.find((candidate) => candidate.operationId === operationId);
  if (!operation) throw new Error(`no operation ${operationId}`);
  expect(result.status, JSON.stringify(result.body)).toBe(operation.successStatus);
  operation.response.schema.parse(result.body);
  return result.body;
}

/** `curl -X <method> $URL/api/v1<path> -H "Authorization: Bearer <token>" [-d <body>]` */
// Response bodies are checked against the strict response schemas, so tests read them loosely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function curl<T = any>(method: string, path: string, token?: string, body?: unknown) {
  return request<T>(billing.server.url, method, `/api/v1${path}`, { token, body });
}

async function signUp(): Promise<string> {
  const registered = await curl('POST', '/auth/register', undefined, {
    email: uniqueEmail('rest'),
    password: 'correct horse battery',
  });
  const { accessToken, user } = expectDocumented('register', registered);
  await verifyEmail(billing.server, user.id);
  return accessToken;
}

describe("the seed's billing curl examples, with Tollgate's bearer tokens", () => {
  it('subscription → checkout (seed body, snake_case URLs) → pay → PRO → portal → invoices', async () => {
    const token = await signUp();

    // 4. Check Subscription Status
    const free = expectDocumented('getSubscription', await curl('GET', '/billing/subscription', token));
    expect(free).toMatchObject({ plan: 'FREE', status: 'active', usage: { used: 0, limit: 10 } });

    // 1. Create Checkout Session, body exactly as in the seed (origin adapted to APP_URL).
    const checkout = expectDocumented(
      'createCheckoutSession',
      await curl('POST', '/billing/create-checkout-session', token, {
        plan: 'PRO',
        success_url: `${APP}/settings/subscription?success=true`,
        cancel_url: `${APP}/settings/subscription?canceled=true`,
      }),
    );
    // The seed's frontend reads checkout_url; ours reads url: both are there.
    expect(checkout.checkout_url).toBe(checkout.url);
    const session = await billing.stripe.checkout.sessions.retrieve(checkout.id);
    expect(session.success_url).toBe(`${APP}/settings/subscription?success=true`);
    expect(session.cancel_url).toBe(`${APP}/settings/subscription?canceled=true`);

    const paid = await payCheckout(checkout.checkout_url, '4242424242424242');
    expect(paid.status).toBe(303);
    expect(paid.location).toBe(`${APP}/settings/subscription?success=true`);
    await billing.emulator.webhooks.drain();

    const pro = expectDocumented('getSubscription', await curl('GET', '/billing/subscription', token));
    expect(pro).toMatchObject({
      plan: 'PRO',
      status: 'active',
      usage: { limit: 1000 },
      hasStripeCustomer: true,
    });

    // A second checkout while PRO is live would double-bill.
    const again = await curl('POST', '/billing/create-checkout-session', token, { plan: 'BASIC' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('ALREADY_SUBSCRIBED');

    // Open customer portal: the seed's fetch sends no body at all.
    const portal = expectDocumented(
      'createPortalSession',
      await curl('POST', '/billing/create-portal-session', token),
    );
    expect(portal.portal_url).toBe(portal.url);
    expect((await fetch(portal.url)).status).toBe(200);

    const invoices = expectDocumented('listInvoices', await curl('GET', '/billing/invoices', token));
    expect(invoices).toEqual([
      expect.objectContaining({ amountPaid: 4900, currency: 'usd', status: 'paid' }),
    ]);
  });

  it('activates the trial once: 50 runs, then 409 TRIAL_NOT_ALLOWED', async () => {
    const token = await signUp();
    const trial = expectDocumented('activateTrial', await curl('POST', '/billing/activate-trial', token));
    expect(trial).toMatchObject({ plan: 'TRIAL', status: 'trialing', usage: { limit: 50 } });
    expect(trial.trial.daysLeft).toBe(14);

    const second = await curl('POST', '/billing/activate-trial', token, {});
    expect(second.status).toBe(409);
    expect(second.body).toEqual({
      error: { code: 'TRIAL_NOT_ALLOWED', message: 'This account has already used its free trial' },
    });
  });

  it('lists the plans without a token', async () => {
    const plans = expectDocumented('listPlans', await curl('GET', '/billing/plans'));
    expect(plans.map((plan: { id: string }) => plan.id)).toEqual([
      'FREE',
      'TRIAL',
      'BASIC',
      'PRO',
      'TEAM',
      'ENTERPRISE',
    ]);
    const team = plans.find((plan: { id: string }) => plan.id === 'TEAM');
    expect(team).toMatchObject({ priceCents: 1500, runLimit: 2000, isSeatPriced: true, isSelfServe: true });
  });
});

describe('billing input errors are 4xx with a reason', () => {
  it('names the bad field, refuses foreign redirects, ambiguous aliases, and a portal without an account', async () => {
    const token = await signUp();

    const badPlan = await curl('POST', '/billing/create-checkout-session', token, { plan: 'GOLD' });
    expect(badPlan.status).toBe(400);
    expect(badPlan.body.error).toMatchObject({
      code: 'BAD_REQUEST',
      // Every plan Checkout sells, to some kind of account (TEAM: team accounts, refused below).
      fieldErrors: { plan: ['plan must be one of BASIC, PRO, TEAM'] },
    });

    // TEAM is in the catalog but sold to team accounts only; this checkout buys for the personal account.
    const team = await curl('POST', '/billing/create-checkout-session', token, { plan: 'TEAM' });
    expect(team.status).toBe(400);
    expect(team.body.error).toMatchObject({
      code: 'BAD_REQUEST',
      fieldErrors: { plan: ['plan TEAM is for team accounts; a personal account can buy BASIC, PRO'] },
    });

    const missing = await curl('POST', '/billing/create-checkout-session', token);
    expect(missing.status).toBe(400);
    expect(Object.keys(missing.body.error.fieldErrors)).toEqual(['plan']);

    const phishing = await curl('POST', '/billing/create-checkout-session', token, {
      plan: 'PRO',
      success_url: 'https://evil.example/phish',
    });
    expect(phishing.status).toBe(400);
    expect(phishing.body.error.code).toBe('INVALID_REDIRECT_URL');

    const both = await curl('POST', '/billing/create-checkout-session', token, {
      plan: 'PRO',
      successUrl: `${APP}/a`,
      success_url: `${APP}/b`,
    });
    expect(both.status).toBe(400);
    expect(both.body.error.message).toBe('Send either successUrl or success_url, not both');

    const noCustomer = await curl('POST', '/billing/create-portal-session', token, {});
    expect(noCustomer.status).toBe(400);
    expect(noCustomer.body.error.code).toBe('NO_STRIPE_CUSTOMER');

    const anonymous = await curl('GET', '/billing/subscription');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('UNAUTHORIZED');
  });
});
