import type Stripe from 'stripe';
import type { EmulatorContext } from '../context';
import type { Moment } from '../events';
import { planFromPrice } from '../objects/price';
import { firstItem } from '../objects/subscription';
import { attemptInvoicePayment } from './payments';
import { createProrationItems } from './prorations';
import type { ItemTerms } from './prorations';
import { invoiceProrationsNow } from './quantity-changes';
import type { ProrationBehavior } from './quantity-changes';
import { assertLive } from './subscription-changes';
import { updateSubscription } from './subscription-updates';

/** The subscription item now billed at `terms` (no event: the caller reports the change). */
export function applyItemTerms(subscription: Stripe.Subscription, terms: ItemTerms): void {
  const item = firstItem(subscription);
  item.price = terms.price;
  item.plan = planFromPrice(terms.price);
  item.quantity = terms.quantity;
  subscription.currency = terms.price.currency;
}

/**
 * Switches the subscription's item to another price now, prorated like Stripe (the hosted portal
 * under its configuration's proration_behavior): create_prorations leaves a credit for the unused time
 * at the old price and a charge for the remaining time at the new one pending for the next invoice;
 * always_invoice puts them on an invoice now and charges it (invoice.created, invoice.finalized, then
 * invoice.paid + invoice.payment_succeeded or invoice.payment_failed); none only switches. Nothing is
 * prorated while trialing. The billing cycle stays (an interval change is not modelled).
 */
export function changePriceProrated(
  ctx: EmulatorContext,
  subscription: Stripe.Subscription,
  price: Stripe.Price,
  prorationBehavior: ProrationBehavior,
  moment: Moment,
): void {
  assertLive(subscription);
  const item = firstItem(subscription);
  const from = { price: item.price, quantity: item.quantity ?? 1 };
  const to = { price, quantity: from.quantity };
  const isProrated = prorationBehavior !== 'none' && subscription.status !== 'trialing';
  let invoice: Stripe.Invoice | undefined;
  updateSubscription(ctx, subscription, moment, (sub) => {
    applyItemTerms(sub, to);
    if (!isProrated) return;
    createProrationItems(ctx, sub, from, to, moment.at, moment);
    if (prorationBehavior === 'always_invoice') invoice = invoiceProrationsNow(ctx, sub, moment);
  });
  if (invoice) attemptInvoicePayment(ctx, invoice, moment, 'automatic');
}
