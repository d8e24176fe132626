import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { payCheckout } from '../support/hosted-pages';
import { CARDS, Customer } from './scenarios';

let billing: BillingTestServer;
beforeAll(async () => {
  billing = await startBillingTestServer();
});
afterAll(() => billing?.stop());

describe('reconciliation', () => {
  it('corrects accounts whose webhooks were lost, through the webhook code path, and reports it', async () => {
    const customer = await Customer.signUp(billing);
    const bystander = await Customer.signUp(billing);
    await bystander.checkout('BASIC', CARDS.success);

    billing.emulator.webhooks.pause(); // the deliveries for this checkout never arrive
    const session = await customer.call('mutation', 'billing.createCheckoutSession', { plan: 'PRO' });
    expect((await payCheckout(session.data.url, CARDS.success)).status).toBe(303);
    expect((await customer.overview()).plan).toBe('FREE'); // drift: Stripe says PRO

    const stripe = billing.server.services.stripe;
    if (!stripe) throw new Error('billing not configured');
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
});
