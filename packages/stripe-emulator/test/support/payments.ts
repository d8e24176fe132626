import type Stripe from 'stripe';
import { openPage, submitForm } from './browser';
import { APP } from './harness';
import type { Harness } from './harness';

export interface PackSessionOptions {
  customer?: string;
  customerEmail?: string;
  customerCreation?: 'always' | 'if_required';
  accountId?: string;
  quantity?: number;
  unitAmount?: number;
}

/** A payment-mode session for a run pack, created the way Tollgate's server does (inline price_data). */
export async function createPackSession(
  h: Harness,
  options: PackSessionOptions = {},
): Promise<Stripe.Checkout.Session> {
  const accountId = options.accountId ?? 'acct_1';
  return h.stripe.checkout.sessions.create({
    mode: 'payment',
    ...(options.customer ? { customer: options.customer } : {}),
    ...(options.customerEmail ? { customer_email: options.customerEmail } : {}),
    ...(options.customerCreation ? { customer_creation: options.customerCreation } : {}),
    client_reference_id: accountId,
    line_items: [
      {
        price_data: {
          currency: 'usd',
          unit_amount: options.unitAmount ?? 1000,
          product_data: { name: '100 runs' },
        },
        quantity: options.quantity ?? 1,
      },
    ],
    metadata: { accountId, packId: 'PACK_100' },
    payment_intent_data: { metadata: { accountId, packId: 'PACK_100' } },
    success_url: `${APP}/billing/packs/success?session_id={CHECKOUT_SESSION_ID}`,
    cancel_url: `${APP}/billing`,
  });
}

/** Opens the hosted page and presses Pay with a card; returns the HTTP result. */
export async function payOnPage(session: Stripe.Checkout.Session, card = '4242 4242 4242 4242') {
  return submitForm(await openPage(session.url ?? ''), 'Pay', { 'Card number': card });
}

/** The session's PaymentIntent and its latest charge, as the API returns them. */
export async function paymentOf(h: Harness, sessionId: string) {
  const session = await h.stripe.checkout.sessions.retrieve(sessionId);
  const intentId = typeof session.payment_intent === 'string' ? session.payment_intent : null;
  if (!intentId) throw new Error(`session ${sessionId} has no payment intent`);
  const intent = await h.stripe.paymentIntents.retrieve(intentId);
  const chargeId = typeof intent.latest_charge === 'string' ? intent.latest_charge : null;
  if (!chargeId) throw new Error(`payment intent ${intentId} has no charge`);
  const charge = await h.stripe.charges.retrieve(chargeId);
  return { session, intent, charge };
}

/** A paid $10 pack (card 4242): what refund tests start from. */
export async function paidPack(h: Harness, options: PackSessionOptions = {}) {
  const customer = options.customer ?? (await h.stripe.customers.create({ email: 'buyer@example.com' })).id;
  const session = await createPackSession(h, { ...options, customer });
  const result = await payOnPage(session);
  if (result.status !== 303) throw new Error(`payment failed: HTTP ${result.status}`);
  return paymentOf(h, session.id);
}

/** Event types the receiver got, in arrival order, leaving out customer.* noise. */
export function paymentEventTypes(h: Harness): string[] {
  return h.receiver.events.map((event) => event.type).filter((type) => !type.startsWith('customer.'));
}

/** A customer whose customer.created is already delivered and cleared, so tests see payment events only. */
export async function quietCustomer(h: Harness, email = 'buyer@example.com'): Promise<Stripe.Customer> {
  const customer = await h.stripe.customers.create({ email, metadata: { accountId: 'acct_1' } });
  await h.emulator.webhooks.drain();
  h.receiver.clear();
  return customer;
}

/** Delivers everything queued, checks every signature verified, and returns the payment event types. */
export async function drainedPaymentEvents(h: Harness): Promise<string[]> {
  await h.emulator.webhooks.drain();
  if (h.receiver.rejectedSignatures > 0)
    throw new Error(`${h.receiver.rejectedSignatures} signatures rejected`);
  return paymentEventTypes(h);
}
