import Stripe from 'stripe';
import type { Harness } from './harness';
import { quietCustomer } from './payments';

/** A customer with `card` on file (the control API's setDefaultCard); its events already cleared. */
export async function customerWithCard(h: Harness, card: string) {
  const customer = await quietCustomer(h, `topup-${Math.random().toString(36).slice(2, 8)}@example.com`);
  const paymentMethod = h.emulator.customers.setDefaultCard(customer.id, card);
  await h.emulator.webhooks.drain();
  h.receiver.clear();
  return { customer, paymentMethod };
}

/** The auto top-up call: buy a $10 pack with the card on file, the customer not present. */
export function topUpParams(customerId: string, paymentMethod: string): Stripe.PaymentIntentCreateParams {
  return {
    customer: customerId,
    amount: 1000,
    currency: 'usd',
    payment_method: paymentMethod,
    off_session: true,
    confirm: true,
    description: 'Auto top-up: 100 runs',
    metadata: { accountId: 'acct_1', packId: 'PACK_100', reason: 'auto_top_up' },
  };
}

/** The rejection of a call that must fail, as the SDK surfaces it. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  const error: unknown = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!(error instanceof Stripe.errors.StripeError))
    throw new Error(`expected a StripeError, got ${String(error)}`);
  return error;
}

/** The customer's PaymentIntents and charges as the API lists them. */
export async function paymentsOf(h: Harness, customerId: string) {
  const intents = await h.stripe.paymentIntents.list({ customer: customerId, limit: 100 });
  const charges = await h.stripe.charges.list({ customer: customerId, limit: 100 });
  return { intents: intents.data, charges: charges.data };
}
