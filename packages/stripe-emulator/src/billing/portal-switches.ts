import type Stripe from 'stripe';
import type { EmulatorContext } from '../context';
import type { Moment } from '../events';
import { firstItem } from '../objects/subscription';
import { changePriceProrated } from './price-changes';
import type { ItemTerms } from './prorations';
import { PRORATION_BEHAVIORS } from './quantity-changes';
import { assertLive } from './subscription-changes';
import { releaseSchedule, scheduleSwitchAtPeriodEnd } from './subscription-schedules';
import { updateSubscription } from './subscription-updates';

export type PortalSwitchOutcome = 'changed' | 'scheduled' | 'kept';

const INTERVAL_DAYS: Record<string, number> = { day: 1, week: 7, month: 30, year: 365 };

function intervalDays(price: Stripe.Price): number {
  const recurring = price.recurring;
  return recurring ? (INTERVAL_DAYS[recurring.interval] ?? 30) * recurring.interval_count : 0;
}

/** Stripe's schedule_at_period_end conditions: does any of the configuration's hold for this switch? */
export function isScheduledAtPeriodEnd(
  configuration: Stripe.BillingPortal.Configuration | null,
  from: ItemTerms,
  to: ItemTerms,
): boolean {
  const conditions = configuration?.features.subscription_update.schedule_at_period_end?.conditions ?? [];
  return conditions.some((condition) => {
    if (condition.type === 'decreasing_item_amount') {
      return (to.price.unit_amount ?? 0) * to.quantity < (from.price.unit_amount ?? 0) * from.quantity;
    }
    if (condition.type === 'shortening_interval') return intervalDays(to.price) < intervalDays(from.price);
    return false;
  });
}

function prorationBehaviorOf(configuration: Stripe.BillingPortal.Configuration | null) {
  const configured = configuration?.features.subscription_update.proration_behavior;
  return PRORATION_BEHAVIORS.find((behavior) => behavior === configured) ?? 'none';
}

/**
 * A plan switch in the hosted portal, as the session's configuration says (null: the default
 * configuration, which switches at once without proration):
 * - a switch a schedule_at_period_end condition holds for (e.g. decreasing_item_amount: a lower unit
 *   amount × quantity) is scheduled: the subscription keeps its price until the period ends, then the
 *   renewal switches and bills the new one ('scheduled');
 * - any other switch happens now, prorated by the configuration's proration_behavior ('changed';
 *   always_invoice charges the difference at once);
 * - choosing the current price again while a switch is scheduled keeps the plan: the schedule is
 *   released ('kept').
 * A switch scheduled before is replaced by the new choice.
 */
export function switchPlanInPortal(
  ctx: EmulatorContext,
  subscription: Stripe.Subscription,
  price: Stripe.Price,
  configuration: Stripe.BillingPortal.Configuration | null,
  moment: Moment,
): PortalSwitchOutcome {
  assertLive(subscription);
  const item = firstItem(subscription);
  const from = { price: item.price, quantity: item.quantity ?? 1 };
  const to = { price, quantity: from.quantity };
  const releaseScheduled = () =>
    updateSubscription(ctx, subscription, moment, (sub) => releaseSchedule(ctx, sub, moment));
  if (price.id === item.price.id) {
    releaseScheduled();
    return 'kept';
  }
  if (isScheduledAtPeriodEnd(configuration, from, to)) {
    updateSubscription(ctx, subscription, moment, (sub) => {
      scheduleSwitchAtPeriodEnd(ctx, sub, to, moment);
    });
    return 'scheduled';
  }
  releaseScheduled();
  changePriceProrated(ctx, subscription, price, prorationBehaviorOf(configuration), moment);
  return 'changed';
}
