import type Stripe from 'stripe';
import { nextPeriodEnd } from '../clock';
import type { EmulatorContext } from '../context';
import { invalidRequest } from '../errors';
import type { Moment } from '../events';
import { newId } from '../ids';
import { priceInterval } from '../objects/price';
import { firstItem } from '../objects/subscription';
import { buildSubscriptionSchedule, nextPhaseOf } from '../objects/subscription-schedule';
import { customerIdOf } from './lookups';
import type { ItemTerms } from './prorations';

/**
 * Subscription schedules as the customer portal uses them for a switch scheduled at the period end
 * (features.subscription_update.schedule_at_period_end): a schedule made from the subscription, whose
 * second phase starts at the current period end with the new price. These functions change the
 * schedule and emit its events; the subscription's own fields (`schedule`, the item) are changed in
 * place, and the caller reports them in one customer.subscription.updated (updateSubscription).
 */

/** The schedule managing the subscription now (active), if any. */
export function scheduleOf(
  ctx: EmulatorContext,
  subscription: Stripe.Subscription,
): Stripe.SubscriptionSchedule | null {
  const id = typeof subscription.schedule === 'string' ? subscription.schedule : subscription.schedule?.id;
  const schedule = id ? ctx.store.subscriptionSchedules.get(id) : undefined;
  return schedule && schedule.status === 'active' ? schedule : null;
}

/** The price and quantity a schedule will switch the subscription to at the period end, if any. */
export function scheduledTerms(ctx: EmulatorContext, subscription: Stripe.Subscription): ItemTerms | null {
  const schedule = scheduleOf(ctx, subscription);
  const item = schedule ? nextPhaseOf(schedule)?.items[0] : undefined;
  const priceId = typeof item?.price === 'string' ? item.price : item?.price.id;
  const price = priceId ? ctx.store.prices.get(priceId) : undefined;
  return item && price ? { price, quantity: item.quantity ?? 1 } : null;
}

/**
 * Schedules the switch to `to` for the end of the current period (subscription_schedule.created); the
 * subscription keeps its price until then and names the schedule in `schedule`. A switch already
 * scheduled is released first: the newer choice replaces it.
 */
export function scheduleSwitchAtPeriodEnd(
  ctx: EmulatorContext,
  subscription: Stripe.Subscription,
  to: ItemTerms,
  moment: Moment,
): Stripe.SubscriptionSchedule {
  releaseSchedule(ctx, subscription, moment);
  const item = firstItem(subscription);
  const { interval, count } = priceInterval(to.price);
  const switchAt = item.current_period_end;
  const schedule = buildSubscriptionSchedule({
    id: newId('sub_sched'),
    created: moment.at,
    subscription,
    customer: customerIdOf(subscription),
    phases: [
      {
        start: item.current_period_start,
        end: switchAt,
        price: item.price,
        quantity: item.quantity ?? 1,
      },
      {
        start: switchAt,
        end: nextPeriodEnd(subscription.billing_cycle_anchor, switchAt, interval, count),
        price: to.price,
        quantity: to.quantity,
      },
    ],
  });
  ctx.store.subscriptionSchedules.set(schedule.id, schedule);
  ctx.events.emit('subscription_schedule.created', schedule, moment);
  subscription.schedule = schedule.id;
  return schedule;
}

/**
 * Stripe refuses to change a scheduled subscription's cancellation directly (cancel_at_period_end,
 * cancel_at): the schedule decides how it ends, so release it first.
 */
export function assertNoScheduleForCancellation(
  ctx: EmulatorContext,
  subscription: Stripe.Subscription,
): void {
  const schedule = scheduleOf(ctx, subscription);
  if (!schedule) return;
  throw invalidRequest(
    `The subscription is managed by the subscription schedule \`${schedule.id}\`, and updating any cancelation behavior directly is not allowed. Please update the schedule instead.`,
  );
}

/** Hands the subscription back (subscription_schedule.released); it keeps what it has now. */
export function releaseSchedule(
  ctx: EmulatorContext,
  subscription: Stripe.Subscription,
  moment: Moment,
): void {
  const schedule = scheduleOf(ctx, subscription);
  subscription.schedule = null;
  if (!schedule) return;
  schedule.status = 'released';
  schedule.released_at = moment.at;
  schedule.released_subscription = subscription.id;
  schedule.subscription = null;
  ctx.events.emit('subscription_schedule.released', schedule, moment);
}

/** The subscription ended: so does its schedule (subscription_schedule.canceled). */
export function cancelScheduleOf(
  ctx: EmulatorContext,
  subscription: Stripe.Subscription,
  moment: Moment,
): void {
  const schedule = scheduleOf(ctx, subscription);
  if (!schedule) return;
  schedule.status = 'canceled';
  schedule.canceled_at = moment.at;
  ctx.events.emit('subscription_schedule.canceled', schedule, moment);
}

/**
 * At a period end (`periodEnd`, before the renewal bills the next period): the phase starting then
 * switches the item to its price and quantity (returned, so the renewal bills them); a schedule whose
 * last phase ends then is released (end_behavior release).
 */
export function advanceScheduleAt(
  ctx: EmulatorContext,
  subscription: Stripe.Subscription,
  periodEnd: number,
  moment: Moment,
): ItemTerms | null {
  const schedule = scheduleOf(ctx, subscription);
  if (!schedule || (schedule.current_phase?.end_date ?? Infinity) > periodEnd) return null;
  const terms = scheduledTerms(ctx, subscription);
  const next = nextPhaseOf(schedule);
  if (!next || !terms) {
    releaseSchedule(ctx, subscription, moment);
    return null;
  }
  schedule.current_phase = { start_date: next.start_date, end_date: next.end_date };
  return terms;
}
