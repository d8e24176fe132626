import { creditGrants, personalAccountId } from '@tollgate/db';
import { eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { payCheckout } from '../support/hosted-pages';
import { sendWebhook } from '../support/webhooks';
import { customerIdOf, purchasesOf } from './account-rows';
import { CARDS, Customer } from './scenarios';

// A pack's payment whose news reaches Tollgate late or not at all: a refund delivered before the
// purchase, a charge whose answer was lost and retried after the card changed. Stripe took (or gave
// back) the money either way; the credit must say exactly that.

let billing: BillingTestServer;
beforeAll(async () => {
  billing = await startBillingTestServer();
});
afterAll(async () => {
  await billing?.stop();
});

const db = () => billing.server.testDb.db;

async function grantsOf(customer: Customer) {
  return db()
    .select()
    .from(creditGrants)
    .where(eq(creditGrants.accountId, personalAccountId(customer.userId)));
}

async function eventsSince(seen: ReadonlySet<string>): Promise<Stripe.Event[]> {
  const all = await billing.stripe.events.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 });
  return all.filter((event) => !seen.has(event.id));
}

async function eventIds(): Promise<Set<string>> {
  return new Set((await eventsSince(new Set())).map((event) => event.id));
}

/**
 * An auto top-up whose charge Stripe made but whose every answer was lost: the purchase stays
 * pending (PRO, threshold 600, PACK_1000; 500 runs cross it).
 */
async function autoTopUpWithLostAnswer(): Promise<{ customer: Customer; customerId: string }> {
  const customer = await Customer.signUp(billing);
  await customer.checkout('PRO', CARDS.success);
  const customerId = await customerIdOf(db(), customer);
  const settings = await customer.call('mutation', 'billing.updateSpendSettings', {
    autoTopUp: { threshold: 600, packId: 'PACK_1000', monthlyLimit: 3 },
  });
  expect(settings.status).toBe(200);
  billing.emulator.customers.setDefaultCard(customerId, CARDS.success);
  billing.emulator.faults.set({ method: 'POST', path: '/v1/payment_intents', dropResponse: true });
  try {
    const answers = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        customer.call('mutation', 'usage.authorize', { runId: `r-${i}` }),
      ),
    );
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    // The purchase starts after the runs answered; wait until Stripe has its payment (the SDK's own
    // retries of the lost answer included), then until the attempt gave up.
    for (let i = 0; i < 400 && (await autoTopUpPayments(customerId)).length === 0; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 3000));
  } finally {
    billing.emulator.faults.clear();
  }
  expect((await purchasesOf(db(), customer)).map((row) => row.status)).toEqual(['pending']);
  return { customer, customerId };
}

async function autoTopUpPayments(customerId: string) {
  const intents = await billing.stripe.paymentIntents.list({ customer: customerId, limit: 100 });
  return intents.data.filter((intent) => intent.metadata['purchase'] === 'auto_top_up');
}

/** The sweep a minute later (a stale pending purchase is charged again), three times over. */
async function sweepLater() {
  billing.server.clock.advance(120_000);
  for (let i = 0; i < 3; i += 1) await billing.server.services.autoTopUp?.sweep();
}

describe('payments whose news arrives out of order', () => {
  it('a Checkout pack refunded before its purchase was delivered is credited with the refund clawed back', async () => {
    const customer = await Customer.signUp(billing);
    await customer.settle();
    const seen = await eventIds();
    // Stripe's deliveries stall (the server answered 5xx, a network problem): nothing arrives.
    billing.emulator.webhooks.pause();
    onTestFinished(() => billing.emulator.webhooks.resume());
    const session = await customer.call('mutation', 'billing.createPackCheckout', { packId: 'PACK_100' });
    expect(session.status).toBe(200);
    expect((await payCheckout(session.data.url as string, CARDS.success)).status).toBe(303);
    const paid = await billing.stripe.checkout.sessions.retrieve(session.data.id as string);
    // Support refunds the whole purchase meanwhile.
    await billing.stripe.refunds.create({ payment_intent: paid.payment_intent as string });
    const isRefund = (event: Stripe.Event) =>
      event.type.startsWith('charge.refund') || event.type.startsWith('refund.');
    const events = await eventsSince(seen);
    expect(events.some(isRefund)).toBe(true);
    // The refund's events land first, then the rest (checkout.session.completed among them).
    const answers: string[] = [];
    for (const event of [...events.filter(isRefund), ...events.filter((e) => !isRefund(e))]) {
      const answer = await sendWebhook(billing, event);
      expect(answer.status).toBe(200);
      answers.push(`${event.type}:${String(answer.body['status'])}`);
    }
    expect(answers).toContain('checkout.session.completed:processed');
    const [grant, ...others] = await grantsOf(customer);
    expect(others).toEqual([]);
    expect(grant).toMatchObject({ units: 100, remaining: 0, clawbackUnits: 100, amountRefundedCents: 1000 });
  }, 120_000);

  it('an auto top-up refunded while its purchase was pending is credited with the refund clawed back', async () => {
    const { customer, customerId } = await autoTopUpWithLostAnswer();
    const [payment] = await autoTopUpPayments(customerId);
    if (!payment) throw new Error('Stripe made no payment');
    // The refund's webhook finds no pack yet (recorded as ignored).
    await billing.stripe.refunds.create({ payment_intent: payment.id });
    await sweepLater();
    expect((await purchasesOf(db(), customer)).map((row) => row.status)).toEqual(['succeeded']);
    const [grant, ...others] = await grantsOf(customer);
    expect(others).toEqual([]);
    expect(grant).toMatchObject({ units: 1000, remaining: 0, clawbackUnits: 1000 });
  }, 120_000);

  it('an auto top-up whose answer was lost, then the card changed: the sweep settles the payment Stripe made, charged once', async () => {
    const { customer, customerId } = await autoTopUpWithLostAnswer();
    // The customer puts a new card on file: the same idempotency key with another card is refused.
    billing.emulator.customers.setDefaultCard(customerId, '5555555555554444');
    await sweepLater();
    const payments = await autoTopUpPayments(customerId);
    expect(payments.map((intent) => intent.status)).toEqual(['succeeded']);
    expect((await purchasesOf(db(), customer)).map((row) => row.status)).toEqual(['succeeded']);
    const grants = await grantsOf(customer);
    expect(grants.map((grant) => [grant.units, grant.remaining, grant.paymentIntentId])).toEqual([
      [1000, 1000, payments[0]?.id],
    ]);
  }, 120_000);
});
