import type Stripe from 'stripe';

/**
 * Drops a plan change the customer scheduled in the Customer Portal (a switch to a lower price waits
 * for the period end, held by a subscription schedule), keeping the subscription as it is now.
 * Stripe refuses to set a scheduled subscription's cancellation directly, and a schedule would put its
 * price back over a price set since, at the period end: an operator's cancellation and a deal release
 * it first.
 */
export async function releaseScheduledChange(
  stripe: Stripe,
  subscription: Pick<Stripe.Subscription, 'schedule'>,
): Promise<void> {
  const { schedule } = subscription;
  const scheduleId = typeof schedule === 'string' ? schedule : schedule?.id;
  if (scheduleId) await stripe.subscriptionSchedules.release(scheduleId);
}
