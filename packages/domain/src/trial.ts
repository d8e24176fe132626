import { effectivePlanAt } from './entitlement';
import { AppError } from './errors';
import { TRIAL_DAYS } from './plans';
import type { SubscriptionState } from './subscription-state';
import { addDays, assertValidDate } from './time';

/** A trial starts only from the (effective) FREE plan, and only once per account. */
export function canStartTrial(state: SubscriptionState, now: Date): boolean {
  return state.trialUsedAt === null && effectivePlanAt(state, now) === 'FREE';
}

/**
 * Starts Tollgate's own TRIAL: a TRIAL_DAYS window from `now`, marked as used for good.
 *
 * The Stripe subscription id and price are cleared (the customer id is kept): whatever subscription
 * was stored no longer grants anything, and forgetting it means a late or replayed event about that
 * old subscription (e.g. `customer.subscription.deleted`) is recognised as being about another
 * subscription and cannot end the trial. See applyStripeSubscription.
 */
export function startTrialState(state: SubscriptionState, now: Date): SubscriptionState {
  assertValidDate(now, 'now');
  if (!canStartTrial(state, now)) {
    const message =
      state.trialUsedAt === null
        ? 'A trial can only be started from the Free plan.'
        : 'The free trial has already been used on this account.';
    throw new AppError('TRIAL_NOT_ALLOWED', message);
  }
  return {
    ...state,
    plan: 'TRIAL',
    status: 'trialing',
    currentPeriodStart: null,
    currentPeriodEnd: null,
    cancelAtPeriodEnd: false,
    trialStart: now,
    trialEnd: addDays(now, TRIAL_DAYS),
    trialUsedAt: now,
    pastDueSince: null,
    stripeSubscriptionId: null,
    stripePriceId: null,
  };
}
