import type Stripe from 'stripe';
import type { EmulatorContext } from '../context';
import { previousAttributes } from '../diff';
import type { Moment } from '../events';
import { wireCopy } from '../store';
import { openInvoicesOf } from './lookups';
import { cancelScheduleOf } from './subscription-schedules';

/**
 * Applies `change` to a subscription and emits one customer.subscription.updated carrying Stripe's
 * previous_attributes, or nothing when the change was a no-op.
 */
export function updateSubscription(
  ctx: EmulatorContext,
  subscription: Stripe.Subscription,
  moment: Moment,
  change: (subscription: Stripe.Subscription) => void,
): void {
  const before = wireCopy(subscription);
  change(subscription);
  const previous = previousAttributes(before, subscription);
  if (previous === null) return;
  ctx.events.emit('customer.subscription.updated', subscription, moment, previous);
}

export type CancellationReason = 'cancellation_requested' | 'payment_failed';

/** Ends a subscription now: status canceled, retries of its open invoices stop. */
export function cancelSubscription(
  ctx: EmulatorContext,
  subscription: Stripe.Subscription,
  moment: Moment,
  reason: CancellationReason,
): void {
  subscription.status = 'canceled';
  subscription.canceled_at = subscription.canceled_at ?? moment.at;
  subscription.ended_at = moment.at;
  subscription.cancellation_details = {
    comment: subscription.cancellation_details?.comment ?? null,
    feedback: subscription.cancellation_details?.feedback ?? null,
    feedback_option: subscription.cancellation_details?.feedback_option ?? null,
    reason,
  };
  for (const invoice of openInvoicesOf(ctx, subscription.id)) invoice.next_payment_attempt = null;
  cancelScheduleOf(ctx, subscription, moment);
  ctx.events.emit('customer.subscription.deleted', subscription, moment);
}

export function setCancelAtPeriodEnd(
  ctx: EmulatorContext,
  subscription: Stripe.Subscription,
  isCanceling: boolean,
  moment: Moment,
): void {
  const periodEnd = subscription.items.data[0]?.current_period_end ?? null;
  updateSubscription(ctx, subscription, moment, (sub) => {
    sub.cancel_at_period_end = isCanceling;
    sub.cancel_at = isCanceling ? periodEnd : null;
    sub.canceled_at = isCanceling ? moment.at : null;
    sub.cancellation_details = {
      comment: sub.cancellation_details?.comment ?? null,
      feedback: sub.cancellation_details?.feedback ?? null,
      feedback_option: sub.cancellation_details?.feedback_option ?? null,
      reason: isCanceling ? 'cancellation_requested' : null,
    };
  });
}

/** What happens when the last scheduled retry failed (options.endStateAfterRetries). */
export function applyEndState(ctx: EmulatorContext, subscription: Stripe.Subscription, moment: Moment): void {
  if (ctx.config.endStateAfterRetries === 'canceled') {
    cancelSubscription(ctx, subscription, moment, 'payment_failed');
    return;
  }
  for (const invoice of openInvoicesOf(ctx, subscription.id)) invoice.next_payment_attempt = null;
  updateSubscription(ctx, subscription, moment, (sub) => {
    sub.status = 'unpaid';
  });
}
