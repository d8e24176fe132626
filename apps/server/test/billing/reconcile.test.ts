import { personalAccountId, subscriptions } from '@tollgate/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { payCheckout } from '../support/hosted-pages';
import { CARDS, Customer, storedSubscriptionRow } from './scenarios';

let billing: BillingTestServer;
beforeAll(async () => {
  billing = await startBillingTestServer();
});
afterAll(() => billing?.stop());

/** The account's subscription row as stored. */
const storedRow = (customer: Customer) => storedSubscriptionRow(billing, customer);

/** The reconciler of the billing server under test. */
function reconciler() {
  const stripe = billing.server.services.stripe;
  if (!stripe) throw new Error('billing not configured');
  return stripe;
}

describe('reconciliation', () => {
  it('corrects accounts whose webhooks were lost, through the webhook code path, and reports it', async () => {
    const customer = await Customer.signUp(billing);
    const bystander = await Customer.signUp(billing);
    await bystander.checkout('BASIC', CARDS.success);

    billing.emulator.webhooks.pause(); // the deliveries for this checkout never arrive
    const session = await customer.call('mutation', 'billing.createCheckoutSession', { plan: 'PRO' });
    expect((await payCheckout(session.data.url, CARDS.success)).status).toBe(303);
    expect((await customer.overview()).plan).toBe('FREE'); // drift: Stripe says PRO

    const stripe = reconciler();
    const report = await stripe.reconcile();
    expect(report).toMatchObject({ accountsChecked: 2, accountsCorrected: 1, failures: [] });
    expect(report.oldestUnsyncedChangeAt).toBeInstanceOf(Date);
    expect(await customer.overview()).toMatchObject({ plan: 'PRO', usage: { limit: 1000 } });

    // The late deliveries change nothing, and a second pass finds nothing to correct.
    const before = await customer.storedState();
    await customer.settle();
    expect(await customer.storedState()).toEqual(before);
    expect(await stripe.reconcile()).toMatchObject({ accountsCorrected: 0 });
  });

  it("corrects the live subscription when Stripe fails on one of the customer's older ones", async () => {
    const customer = await Customer.signUp(billing);
    await customer.checkout('BASIC', CARDS.success);
    const older = String((await storedRow(customer)).stripeSubscriptionId);
    await customer.portal({ action: 'cancel_now' });
    await customer.checkout('PRO', CARDS.success);
    const live = String((await storedRow(customer)).stripeSubscriptionId);
    expect(live).not.toBe(older);

    // Stripe cancels the plan and the webhooks are lost; reading the older subscription keeps failing.
    billing.emulator.webhooks.pause();
    await billing.stripe.subscriptions.cancel(live);
    billing.emulator.failures.failNext({ method: 'GET', path: `/v1/subscriptions/${older}`, times: 10 });
    const report = await reconciler().reconcile();
    billing.emulator.failures.clear();

    expect(report.failures).toEqual([
      { accountId: personalAccountId(customer.userId), error: expect.stringContaining(older) },
    ]);
    expect(report.accountsCorrected).toBe(1);
    expect(await customer.overview()).toMatchObject({ plan: 'FREE', usage: { limit: 10 } });
    billing.emulator.webhooks.resume();
    await customer.settle();
  });

  it('finds the stored subscription behind more than a page of newer ended ones', async () => {
    const customer = await Customer.signUp(billing);
    await customer.checkout('PRO', CARDS.success);
    const stripe = reconciler();
    const { stripeCustomerId, stripeSubscriptionId } = await storedRow(customer);
    const live = await billing.stripe.subscriptions.retrieve(String(stripeSubscriptionId));
    const price = live.items.data[0]?.price.id ?? '';

    // Stripe cancels the plan, the webhooks are lost, and 25 later subscriptions were abandoned
    // unpaid: Stripe lists newest first, so a single page of 20 never reached the canceled one.
    billing.emulator.webhooks.pause();
    await billing.stripe.subscriptions.cancel(live.id);
    for (let i = 0; i < 25; i += 1) {
      const abandoned = await billing.stripe.subscriptions.create({
        customer: String(stripeCustomerId),
        items: [{ price }],
        payment_behavior: 'default_incomplete',
      });
      await billing.stripe.subscriptions.cancel(abandoned.id);
    }
    expect((await customer.overview()).plan).toBe('PRO'); // drift: Stripe says canceled

    expect(await stripe.reconcile()).toMatchObject({ accountsCorrected: 1, failures: [] });
    expect(await customer.overview()).toMatchObject({ plan: 'FREE', usage: { limit: 10 } });
    billing.emulator.webhooks.resume();
    await customer.settle();
    expect((await customer.overview()).plan).toBe('FREE');
  });

  it("an ended subscription on a price Tollgate doesn't sell doesn't flag the account, nor count as drift", async () => {
    const customer = await Customer.signUp(billing);
    await customer.checkout('PRO', CARDS.success);
    const stripe = reconciler();
    const stored = () => storedRow(customer);
    const live = await billing.stripe.subscriptions.retrieve(String((await stored()).stripeSubscriptionId));
    // A subscription on a price made by hand in the dashboard, abandoned unpaid and canceled.
    const legacy = await billing.stripe.prices.create({
      currency: 'usd',
      unit_amount: 2900,
      recurring: { interval: 'month' },
      product: String(live.items.data[0]?.price.product),
    });
    const abandoned = await billing.stripe.subscriptions.create({
      customer: String(live.customer),
      items: [{ price: legacy.id }],
      payment_behavior: 'default_incomplete',
    });
    await billing.stripe.subscriptions.cancel(abandoned.id);
    await customer.settle();
    expect(await stored()).toMatchObject({
      plan: 'PRO',
      stripeSubscriptionId: live.id,
      unknownStripePriceId: null,
    });

    await stripe.reconcile();
    const again = await stripe.reconcile();
    expect(again.accountsCorrected).toBe(0);
    expect(await stored()).toMatchObject({
      plan: 'PRO',
      stripeSubscriptionId: live.id,
      unknownStripePriceId: null,
    });
  });

  it('unlinks a customer Stripe deleted whose customer.deleted webhook was lost, so it can buy again', async () => {
    const customer = await Customer.signUp(billing);
    await customer.checkout('PRO', CARDS.success);
    const deleted = String((await storedRow(customer)).stripeCustomerId);
    const stripe = reconciler();

    billing.emulator.webhooks.pause(); // customer.deleted and the subscription's deletion never arrive
    await billing.stripe.customers.del(deleted);
    expect(await stripe.reconcile()).toMatchObject({ accountsCorrected: 1, failures: [] });
    expect(await storedRow(customer)).toMatchObject({
      plan: 'FREE',
      status: 'canceled',
      stripeCustomerId: null,
      deletedStripeCustomerId: deleted,
    });

    // The next checkout makes (and links) a new customer instead of failing on the deleted one.
    const session = await customer.call('mutation', 'billing.createCheckoutSession', { plan: 'BASIC' });
    expect(session.status, JSON.stringify(session.error)).toBe(200);
    const checkout = await billing.stripe.checkout.sessions.retrieve(String(session.data.id));
    const fresh = String(checkout.customer);
    expect(fresh).not.toBe(deleted);
    expect((await storedRow(customer)).stripeCustomerId).toBe(fresh);

    // The late deliveries leave the new customer linked; nothing is left to correct.
    billing.emulator.webhooks.resume();
    await customer.settle();
    expect(await storedRow(customer)).toMatchObject({
      stripeCustomerId: fresh,
      deletedStripeCustomerId: deleted,
    });
    expect(await stripe.reconcile()).toMatchObject({ accountsCorrected: 0, failures: [] });
    expect((await payCheckout(session.data.url, CARDS.success)).status).toBe(303);
    await customer.settle();
    expect(await customer.overview()).toMatchObject({ plan: 'BASIC' });
    expect((await storedRow(customer)).stripeCustomerId).toBe(fresh);
  });

  it('a customer Stripe says it has never heard of (a key of the wrong mode) is reported, never unlinked', async () => {
    const customer = await Customer.signUp(billing);
    await customer.checkout('BASIC', CARDS.success);
    const accountId = personalAccountId(customer.userId);
    // What every customer looks like to a test-mode key on live data: "No such customer".
    await billing.server.testDb.db
      .update(subscriptions)
      .set({ stripeCustomerId: 'cus_livemodeonly' })
      .where(eq(subscriptions.accountId, accountId));
    const report = await reconciler().reconcile();
    expect(report.failures).toEqual([expect.objectContaining({ accountId })]);
    expect(await storedRow(customer)).toMatchObject({
      stripeCustomerId: 'cus_livemodeonly',
      deletedStripeCustomerId: null,
      plan: 'BASIC',
    });
  });
});
