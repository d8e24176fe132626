import type Stripe from 'stripe';
import type { Harness } from './harness';
import { customerWithCard } from './off-session';
import { quietCustomer } from './payments';

export interface EnterprisePriceOptions {
  unitAmount?: number;
  interval?: 'month' | 'year';
}

/** A custom ENTERPRISE price on its own product, as the operator console creates it. */
export async function enterprisePrice(
  h: Harness,
  options: EnterprisePriceOptions = {},
): Promise<Stripe.Price> {
  const product = await h.stripe.products.create({ name: 'Enterprise (Acme)' });
  return h.stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: options.unitAmount ?? 250_000,
    recurring: { interval: options.interval ?? 'month' },
    nickname: 'Acme enterprise',
    metadata: { plan: 'ENTERPRISE', accountId: 'acct_acme' },
  });
}

/** A customer with `card` on file, or with none; events so far delivered and cleared. */
export async function enterpriseCustomer(h: Harness, card?: string): Promise<Stripe.Customer> {
  if (card) return (await customerWithCard(h, card)).customer;
  return quietCustomer(h, `billing-${Math.random().toString(36).slice(2, 8)}@example.com`);
}

/** Delivers everything queued and answers the delivered event types, in order. */
export async function drainedEventTypes(h: Harness): Promise<string[]> {
  await h.emulator.webhooks.drain();
  return h.receiver.events.map((event) => event.type);
}

export function invoiceIdOf(subscription: Stripe.Subscription): string {
  const invoice = subscription.latest_invoice;
  const id = typeof invoice === 'string' ? invoice : invoice?.id;
  if (!id) throw new Error(`subscription ${subscription.id} has no latest_invoice`);
  return id;
}

/** Delivers everything queued so far and forgets it: what a test asserts on comes after. */
export async function settled(h: Harness): Promise<void> {
  await h.emulator.webhooks.drain();
  h.receiver.clear();
}

/** Delivered event types whose object is one of `ids` (other tests' objects share the emulator). */
export async function drainedEventTypesOf(h: Harness, ids: string[]): Promise<string[]> {
  await h.emulator.webhooks.drain();
  return h.receiver.events
    .filter((event) => ids.includes((event.data.object as { id: string }).id))
    .map((event) => event.type);
}
