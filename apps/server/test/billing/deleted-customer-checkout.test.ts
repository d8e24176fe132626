import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { payCheckout } from '../support/hosted-pages';
import { CARDS, Customer, storedSubscriptionRow } from './scenarios';

// Stripe deleted the account's customer, and Tollgate hasn't heard (customer.deleted lost, or not
// processed yet, and no reconciliation since): the stored customer id names a deleted customer.

let billing: BillingTestServer;
beforeAll(async () => {
  billing = await startBillingTestServer();
});
afterAll(() => billing?.stop());

/** The account's subscription row as stored. */
const storedRow = (customer: Customer) => storedSubscriptionRow(billing, customer);

describe('checkout after Stripe deleted the stored customer, its webhook not processed', () => {
  it('unlinks the deleted customer and checks out with a new one instead of failing', async () => {
    const customer = await Customer.signUp(billing);
    await customer.checkout('PRO', CARDS.success);
    await customer.portal({ action: 'cancel_now' });
    expect((await customer.overview()).plan).toBe('FREE');
    const deleted = String((await storedRow(customer)).stripeCustomerId);

    billing.emulator.webhooks.pause();
    await billing.stripe.customers.del(deleted);
    const session = await customer.call('mutation', 'billing.createCheckoutSession', { plan: 'BASIC' });
    expect(session.status, JSON.stringify(session.error)).toBe(200);
    const fresh = String((await billing.stripe.checkout.sessions.retrieve(String(session.data.id))).customer);
    expect(fresh).not.toBe(deleted);
    expect(await storedRow(customer)).toMatchObject({
      stripeCustomerId: fresh,
      deletedStripeCustomerId: deleted,
    });

    // A second call (another tab) reuses the new customer; the late customer.deleted leaves it linked.
    const again = await customer.call('mutation', 'billing.createCheckoutSession', { plan: 'BASIC' });
    expect(again.status, JSON.stringify(again.error)).toBe(200);
    expect(String((await billing.stripe.checkout.sessions.retrieve(String(again.data.id))).customer)).toBe(
      fresh,
    );
    billing.emulator.webhooks.resume();
    await customer.settle();
    expect((await storedRow(customer)).stripeCustomerId).toBe(fresh);

    expect((await payCheckout(again.data.url, CARDS.success)).status).toBe(303);
    await customer.settle();
    expect(await customer.overview()).toMatchObject({ plan: 'BASIC' });
    expect(await storedRow(customer)).toMatchObject({ plan: 'BASIC', stripeCustomerId: fresh });
  });
});
