import type Stripe from 'stripe';
import type { EmulatorContext } from '../context';
import type { Moment } from '../events';
import { openInvoicesOf } from './lookups';
import { updateSubscription } from './subscription-updates';

/**
 * "If the first invoice is not paid within 23 hours, the subscription transitions to
 * incomplete_expired. This is a terminal status, the open invoice will be voided and no further
 * invoices will be generated." (docs.stripe.com/api/subscriptions/object#subscription_object-status)
 */
export const INCOMPLETE_EXPIRY_SECONDS = 23 * 3_600;

export function incompleteExpiresAt(subscription: Stripe.Subscription): number | null {
  return subscription.status === 'incomplete' ? subscription.created + INCOMPLETE_EXPIRY_SECONDS : null;
}

/** incomplete → incomplete_expired (customer.subscription.updated), its open invoice voided (invoice.voided). */
export function expireIncomplete(
  ctx: EmulatorContext,
  subscription: Stripe.Subscription,
  moment: Moment,
): void {
  updateSubscription(ctx, subscription, moment, (sub) => {
    sub.status = 'incomplete_expired';
    sub.ended_at = moment.at;
  });
  for (const invoice of openInvoicesOf(ctx, subscription.id)) {
    invoice.status = 'void';
    invoice.next_payment_attempt = null;
    invoice.status_transitions.voided_at = moment.at;
    ctx.events.emit('invoice.voided', invoice, moment);
  }
}
