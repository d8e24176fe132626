import { PLAN_IDS, type PlanId } from './plans';
import type { SubscriptionStatus } from './subscription-status';

/** A subscription that still bills the customer and grants its plan: a second one is a double charge. */
export const LIVE_SUBSCRIPTION_STATUSES: readonly SubscriptionStatus[] = ['active', 'trialing', 'past_due'];

export function isLiveStatus(status: SubscriptionStatus): boolean {
  return LIVE_SUBSCRIPTION_STATUSES.includes(status);
}

/** What the decision needs to know about one Stripe subscription. */
export interface SubscriptionCandidate {
  id: string;
  status: SubscriptionStatus;
  /** The plan its price sells; null for a price Tollgate doesn't know. */
  plan: PlanId | null;
}

export type LiveSubscriptionDecision =
  /** No second live subscription: fold the incoming one in as usual. */
  | { kind: 'apply' }
  /** The incoming subscription is the duplicate: leave the account as it is and cancel the incoming one. */
  | { kind: 'keep-stored'; duplicate: SubscriptionCandidate }
  /** The incoming subscription wins: fold it in and cancel the stored one. */
  | { kind: 'replace-stored'; duplicate: SubscriptionCandidate };

export interface LiveSubscriptionInput {
  /** The subscription an event or a reconciliation brings in (fresh from Stripe). */
  incoming: SubscriptionCandidate;
  /**
   * The subscription stored on the account, as Stripe has it now; null when the account has none or
   * the stored row already says it is over (then there is nothing to compare against).
   */
  stored: SubscriptionCandidate | null;
  /** Subscriptions of this account already recorded as duplicates to cancel. */
  duplicateIds: ReadonlySet<string>;
}

/**
 * One live subscription per account. When a second one shows up (two Checkout sessions both paid),
 * the higher plan stays and the other is canceled; on a tie the stored one stays, so the outcome
 * doesn't depend on which webhook lands first once one of them is stored. A subscription once
 * recorded as a duplicate is never applied again, whatever its status: its late (or replayed)
 * events cannot take the account away from the one that was kept.
 */
export function decideLiveSubscription({
  incoming,
  stored,
  duplicateIds,
}: LiveSubscriptionInput): LiveSubscriptionDecision {
  if (stored !== null && stored.id === incoming.id) return { kind: 'apply' };
  if (duplicateIds.has(incoming.id)) return { kind: 'keep-stored', duplicate: incoming };
  if (stored === null || !isLiveStatus(stored.status) || !isLiveStatus(incoming.status)) {
    return { kind: 'apply' };
  }
  return planRank(incoming.plan) > planRank(stored.plan)
    ? { kind: 'replace-stored', duplicate: stored }
    : { kind: 'keep-stored', duplicate: incoming };
}

/**
 * The catalog lists plans from the lowest to the highest (FREE … ENTERPRISE). A price Tollgate doesn't
 * sell ranks below every plan: it never displaces a subscription Tollgate knows.
 */
function planRank(plan: PlanId | null): number {
  return plan === null ? -1 : PLAN_IDS.indexOf(plan);
}
