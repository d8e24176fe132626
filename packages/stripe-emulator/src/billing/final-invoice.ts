import type Stripe from 'stripe';
import type { EmulatorContext } from '../context';
import type { Moment } from '../events';
import { firstItem } from '../objects/subscription';
import { createSubscriptionInvoice, type UsageCharge } from './invoicing';
import { customerIdOf } from './lookups';
import { attemptInvoicePayment } from './payments';
import { pendingItemsOf } from './prorations';
import { meteredUsage } from './usage-billing';

/**
 * `invoice_now` on a cancellation (DELETE /v1/subscriptions/:id): a final invoice, finalized and
 * charged now, for the metered usage of the period so far and the subscription's pending proration
 * items. Stripe: it "will generate a final invoice that invoices for any un-invoiced metered usage and
 * new/pending proration invoice items"; without it a subscription canceled mid-period bills neither.
 * Nothing to bill: no invoice. Called before the subscription is canceled (its items still current).
 * (Stripe's billing_reason for this invoice isn't documented; subscription_cycle is assumed.)
 */
export function invoiceBeforeCancel(
  ctx: EmulatorContext,
  subscription: Stripe.Subscription,
  moment: Moment,
): Stripe.Invoice | null {
  const item = firstItem(subscription);
  // Usage timestamped up to and including now: a meter event sent this second is in it.
  const period = { start: item.current_period_start, end: moment.at + 1 };
  const usage: UsageCharge[] = [];
  for (const metered of subscription.items.data.slice(1)) {
    const charge = meteredUsage(ctx, metered.price, customerIdOf(subscription), period);
    if (charge && charge.quantity > 0) usage.push({ item: metered, ...charge, period: { ...period } });
  }
  const invoiceItems = pendingItemsOf(ctx, subscription.id);
  if (usage.length === 0 && invoiceItems.length === 0) return null;
  const invoice = createSubscriptionInvoice(
    ctx,
    subscription,
    {
      billingReason: 'subscription_cycle',
      periodStart: period.start,
      periodEnd: moment.at,
      cycle: null,
      invoiceItems,
      usage,
    },
    moment,
  );
  if (subscription.collection_method === 'charge_automatically') {
    attemptInvoicePayment(ctx, invoice, moment, 'automatic');
  }
  return invoice;
}
