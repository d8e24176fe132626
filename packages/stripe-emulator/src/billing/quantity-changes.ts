import type Stripe from 'stripe';
import type { EmulatorContext } from '../context';
import { invalidRequest } from '../errors';
import type { Moment } from '../events';
import { firstItem } from '../objects/subscription';
import { createSubscriptionInvoice } from './invoicing';
import { attemptInvoicePayment } from './payments';
import { createProrationItems, pendingItemsOf } from './prorations';
import { assertLive } from './subscription-changes';
import { updateSubscription } from './subscription-updates';

export const PRORATION_BEHAVIORS = ['create_prorations', 'always_invoice', 'none'] as const;
export type ProrationBehavior = (typeof PRORATION_BEHAVIORS)[number];

export interface QuantityChangeOptions {
  prorationBehavior: ProrationBehavior;
  /** Stripe's proration_date: prorate as though the change happened then (default: now). */
  prorationDate?: number;
}

/** The moment prorations are computed for; Stripe rejects one outside the current period. */
function prorationMoment(
  item: Stripe.SubscriptionItem,
  options: QuantityChangeOptions,
  moment: Moment,
): number {
  const at = options.prorationDate ?? moment.at;
  if (at < item.current_period_start || at > item.current_period_end) {
    throw invalidRequest(
      `proration_date must be within the current period (${item.current_period_start}–${item.current_period_end}).`,
      'proration_date',
    );
  }
  return at;
}

/**
 * Changes the seat count of the subscription's single item, like Stripe: create_prorations leaves a
 * credit (unused time, old quantity) and a charge (remaining time, new quantity) pending for the next
 * invoice; always_invoice collects the subscription's pending items on an invoice now and charges it;
 * none only changes the quantity. A trial is free, so nothing is prorated while trialing.
 */
export function changeQuantity(
  ctx: EmulatorContext,
  subscription: Stripe.Subscription,
  quantity: number,
  options: QuantityChangeOptions,
  moment: Moment,
): void {
  assertLive(subscription);
  if (quantity < 0) throw invalidRequest('Quantity must be at least 0.', 'items[0][quantity]');
  const item = firstItem(subscription);
  const oldQuantity = item.quantity ?? 1;
  if (oldQuantity === quantity) return;
  const at = prorationMoment(item, options, moment);
  const isProrated = options.prorationBehavior !== 'none' && subscription.status !== 'trialing';
  let invoice: Stripe.Invoice | undefined;
  updateSubscription(ctx, subscription, moment, (sub) => {
    firstItem(sub).quantity = quantity;
    if (!isProrated) return;
    const { price } = firstItem(sub);
    createProrationItems(ctx, sub, { price, quantity: oldQuantity }, { price, quantity }, at, moment);
    if (options.prorationBehavior === 'always_invoice') invoice = invoiceProrationsNow(ctx, sub, moment);
  });
  if (invoice) attemptInvoicePayment(ctx, invoice, moment, 'automatic');
}

/**
 * always_invoice: the subscription's pending items on an invoice now (billing_reason
 * subscription_update), finalized; the caller charges it once the subscription change is reported.
 */
export function invoiceProrationsNow(
  ctx: EmulatorContext,
  subscription: Stripe.Subscription,
  moment: Moment,
): Stripe.Invoice {
  return createSubscriptionInvoice(
    ctx,
    subscription,
    {
      billingReason: 'subscription_update',
      periodStart: moment.at,
      periodEnd: moment.at,
      cycle: null,
      invoiceItems: pendingItemsOf(ctx, subscription.id),
    },
    moment,
  );
}
