import type { PlanId } from './plans';
import type { StripeSubscriptionSnapshot } from './stripe-subscription';
import type { SubscriptionState } from './subscription-state';
import { isFreeFallbackStatus, isTerminalStatus } from './subscription-status';
import { assertValidDate } from './time';

/**
 * Folds a Stripe subscription snapshot into the stored state. Pure; `now` only stamps pastDueSince.
 *
 * - plan: from the price (`planForPrice`); an unknown price keeps the previous plan. canceled and
 *   incomplete_expired subscriptions are over: plan FREE, ids kept for history.
 * - status, period, cancel flag, trial window, customer / subscription / price ids: from the snapshot.
 * - pastDueSince: `now` when entering past_due (kept if already set), cleared otherwise.
 * - trialUsedAt: set from the snapshot's trial start if it had a trial; never cleared.
 *
 * A subscription that grants nothing (canceled, incomplete, incomplete_expired, unpaid, paused) and
 * is not the one stored on the account only records history (customer id if none, trialUsedAt): it
 * must not take away what the account has now. This covers a late or replayed `deleted` event of an
 * old subscription arriving after a new one or a Tollgate trial started, and an abandoned checkout's
 * incomplete subscription expiring while the user is on a trial.
 *
 * Ordering between events about the *same* subscription is the caller's job: apply the newest object
 * (re-fetched from Stripe), so any delivery order converges.
 */
export function applyStripeSubscription(
  state: SubscriptionState,
  sub: StripeSubscriptionSnapshot,
  planForPrice: (priceId: string) => PlanId | null,
  now: Date,
): SubscriptionState {
  assertValidDate(now, 'now');
  const trialUsedAt = state.trialUsedAt ?? sub.trialStart;
  const isStoredSubscription = state.stripeSubscriptionId === sub.id;

  if (!isStoredSubscription && isFreeFallbackStatus(sub.status)) {
    return { ...state, trialUsedAt, stripeCustomerId: state.stripeCustomerId ?? sub.customerId };
  }

  return {
    ...state,
    plan: nextPlan(state, sub, planForPrice),
    status: sub.status,
    currentPeriodStart: sub.currentPeriodStart,
    currentPeriodEnd: sub.currentPeriodEnd,
    cancelAtPeriodEnd: sub.cancelAtPeriodEnd,
    trialStart: sub.trialStart,
    trialEnd: sub.trialEnd,
    trialUsedAt,
    pastDueSince: sub.status === 'past_due' ? (state.pastDueSince ?? now) : null,
    stripeCustomerId: sub.customerId,
    stripeSubscriptionId: sub.id,
    stripePriceId: sub.priceId ?? state.stripePriceId,
  };
}

function nextPlan(
  state: SubscriptionState,
  sub: StripeSubscriptionSnapshot,
  planForPrice: (priceId: string) => PlanId | null,
): PlanId {
  if (isTerminalStatus(sub.status)) return 'FREE';
  if (sub.priceId === null) return state.plan;
  return planForPrice(sub.priceId) ?? state.plan;
}
