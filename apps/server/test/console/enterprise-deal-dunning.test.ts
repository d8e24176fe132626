import { linkStripeCustomer, personalAccountId } from '@tollgate/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARDS, Customer } from '../billing/scenarios';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { trpc } from '../support/http';
import { registerOperator } from '../support/operators';
import { invoicedDeal } from './deal-support';

const DAY = 86_400;

// A deal's limit replaces a run limit override when the deal takes effect, once: a deal already in
// force that goes unpaid and is paid again is not "taking effect", and an override an operator set
// meanwhile (a support gesture, or a brake on an abusive account) stays, as a sync never undoes one.
describe('an ENTERPRISE deal that goes unpaid and is paid again', () => {
  let billing: BillingTestServer;
  let operatorToken: string;

  beforeAll(async () => {
    billing = await startBillingTestServer(
      { PAYMENT_GRACE_DAYS: '1' },
      { retrySchedule: [DAY, DAY], endStateAfterRetries: 'unpaid' },
    );
    operatorToken = (await registerOperator(billing.server)).accessToken;
  });
  afterAll(async () => {
    await billing?.stop();
  });

  const operator = (path: string, input: Record<string, unknown>) =>
    trpc(billing.server.url, 'mutation', path, input, operatorToken);

  it('keeps the override an operator set while it was unpaid', async () => {
    const customer = await Customer.signUp(billing);
    const accountId = personalAccountId(customer.userId);
    const onFile = await billing.stripe.customers.create({ metadata: { accountId } });
    await linkStripeCustomer(billing.server.deps.db, accountId, onFile.id, new Date());
    billing.emulator.customers.setDefaultCard(onFile.id, CARDS.success);
    const made = await operator(
      'admin.createEnterpriseDeal',
      invoicedDeal(accountId, {
        runLimit: 5000,
        collection: 'charge_automatically',
        daysUntilDue: undefined,
      }),
    );
    expect(made.data).toMatchObject({ status: 'active' });
    await customer.settle();

    // The renewal's charge fails, and its retries: Stripe leaves the subscription unpaid.
    billing.emulator.customers.setDefaultCard(onFile.id, CARDS.declined);
    await billing.emulator.clock.advance(31 * DAY);
    await billing.emulator.clock.advance(DAY);
    await billing.emulator.clock.advance(DAY);
    await customer.settle();
    const subscription = await billing.stripe.subscriptions.retrieve(made.data.stripeSubscriptionId);
    expect(subscription.status).toBe('unpaid');
    const limited = await operator('admin.setRunLimit', { accountId, runLimit: 50, reason: 'abuse review' });
    expect(limited.status).toBe(200);

    // The customer pays the open invoice: the deal is in force again, the operator's limit with it.
    const paid = billing.emulator.invoices.pay(String(subscription.latest_invoice), { card: CARDS.success });
    expect(paid.isPaid).toBe(true);
    await customer.settle();
    expect((await billing.stripe.subscriptions.retrieve(subscription.id)).status).toBe('active');
    expect(await customer.overview()).toMatchObject({ plan: 'ENTERPRISE', usage: { limit: 50 } });
  });
});
