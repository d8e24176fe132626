import { claimDueMeterBatches, getSubscription, personalAccountId } from '@tollgate/db';
import { sql } from 'drizzle-orm';
import { emulatorControl } from '@tollgate/stripe-emulator';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { trpc } from '../support/http';
import { registerOperator } from '../support/operators';
import { CARDS, Customer } from './scenarios';

// An operator's cancel-now (admin.cancelSubscription, atPeriodEnd false) ends the period mid-way. Its
// overage was journaled and sent (or about to be sent) to Stripe's meter, but Stripe invoices a
// subscription canceled mid-period only with invoice_now: without it, the usage was billed nowhere.

const METER_EVENTS = '/v1/billing/meter_events';

let billing: BillingTestServer;
let operatorToken: string;
beforeAll(async () => {
  billing = await startBillingTestServer();
});
afterAll(() => billing?.stop());
beforeEach(async () => {
  operatorToken = (await registerOperator(billing.server)).accessToken;
});

/** A BASIC customer past the allowance with overage on, and `runIds` started as overage. */
async function customerInOverage(runIds: readonly string[]) {
  const customer = await Customer.signUp(billing);
  await customer.checkout('BASIC', CARDS.success);
  // A day in: meter events are stamped in the period's whole minutes, so none falls after the cancel.
  await customer.advanceDays(1);
  expect((await customer.runs(100, 'plan')).every((status) => status === 200)).toBe(true);
  const on = await customer.call('mutation', 'billing.updateSpendSettings', { overageEnabled: true });
  expect(on.status).toBe(200);
  await startRuns(customer, runIds);
  return customer;
}

async function startRuns(customer: Customer, runIds: readonly string[]) {
  for (const runId of runIds) {
    expect((await customer.call('mutation', 'usage.authorize', { runId })).status).toBe(200);
    expect((await customer.call('mutation', 'usage.start', { runId })).status).toBe(200);
  }
}

function services() {
  const stripe = billing.server.services.stripe;
  const overage = billing.settings.overage;
  if (!stripe || !overage) throw new Error('billing with overage is not configured');
  return { stripe, overage };
}

function cancelNow(customer: Customer) {
  return trpc(
    billing.server.url,
    'mutation',
    'admin.cancelSubscription',
    { accountId: personalAccountId(customer.userId), atPeriodEnd: false, reason: 'fraud review' },
    operatorToken,
  );
}

async function customerIdOf(customer: Customer): Promise<string> {
  const row = await getSubscription(billing.server.testDb.db, personalAccountId(customer.userId));
  if (!row?.stripeCustomerId) throw new Error(`no Stripe customer for ${customer.userId}`);
  return row.stripeCustomerId;
}

/** Overage units on every invoice of the customer. */
async function billedOverage(customerId: string) {
  const { overage } = services();
  const invoices = await billing.stripe.invoices.list({ customer: customerId, limit: 100 });
  return invoices.data
    .flatMap((invoice) => invoice.lines.data)
    .filter((line) => line.pricing?.price_details?.price === overage.priceId)
    .reduce((sum, line) => sum + (line.quantity ?? 0), 0);
}

describe('an operator cancel-now bills the period’s overage', () => {
  it('units sent to the meter before the cancel and units not yet sent are both on the final invoice, once', async () => {
    const { stripe, overage } = services();
    const customer = await customerInOverage(['over-1', 'over-2', 'over-3']);
    await stripe.meterReporter.runOnce();
    await startRuns(customer, ['over-4', 'over-5']); // journaled, not yet sent
    const customerId = await customerIdOf(customer);
    expect(await emulatorControl(billing.emulator.url).meterTotal(overage.meterId, customerId)).toBe(3);

    const canceled = await cancelNow(customer);
    expect(canceled.status, JSON.stringify(canceled.error)).toBe(200);
    await billing.emulator.webhooks.drain();
    expect(await billedOverage(customerId)).toBe(5);

    // Nothing billed again later: no renewal, and the reporter finds nothing left to send.
    await stripe.meterReporter.runOnce();
    await customer.advanceDays(40);
    await billing.emulator.webhooks.drain();
    expect(await billedOverage(customerId)).toBe(5);
  });

  it('Stripe refusing the meter events: the cancel is refused (502) and the subscription stays; a retry cancels and bills', async () => {
    const customer = await customerInOverage(['late-1', 'late-2']);
    const customerId = await customerIdOf(customer);
    billing.emulator.faults.set({ method: 'POST', path: METER_EVENTS, status: 500 });
    try {
      const refused = await cancelNow(customer);
      expect(refused.status).toBe(502);
    } finally {
      billing.emulator.faults.clear();
    }
    const subscriptions = await billing.stripe.subscriptions.list({ customer: customerId });
    expect(subscriptions.data.map((sub) => sub.status)).toEqual(['active']);

    expect((await cancelNow(customer)).status).toBe(200);
    await billing.emulator.webhooks.drain();
    expect(await billedOverage(customerId)).toBe(2);
  });

  it('a batch another sender holds (its lease live): the cancel is refused (502) until it is delivered', async () => {
    const { stripe } = services();
    const customer = await customerInOverage(['held-1', 'held-2']);
    const customerId = await customerIdOf(customer);
    const accountId = personalAccountId(customer.userId);
    // The periodic pass (or another replica) has batched and claimed the units, and is mid-send.
    await stripe.meterReporter.flush(accountId);
    const { db } = billing.server.testDb;
    const held = await claimDueMeterBatches(db, {
      now: billing.emulator.clock.now(),
      limit: 10,
      leaseMs: 600_000,
      accountId,
    });
    expect(held).toHaveLength(1);

    expect((await cancelNow(customer)).status).toBe(502);
    const subscriptions = await billing.stripe.subscriptions.list({ customer: customerId });
    expect(subscriptions.data.map((sub) => sub.status)).toEqual(['active']);

    // The sender's lease runs out (it died): the next cancel delivers the batch itself, then bills it.
    await db.execute(sql`update meter_batches set lease_until = null where account_id = ${accountId}`);
    expect((await cancelNow(customer)).status).toBe(200);
    await billing.emulator.webhooks.drain();
    expect(await billedOverage(customerId)).toBe(2);
  });
});
