import { PLAN_IDS, type PlanId } from './plans';
import { isTerminalStatus, type SubscriptionStatus } from './subscription-status';

/** A subscription that still bills the customer and grants its plan: a second one is a double charge. */
export const LIVE_SUBSCRIPTION_STATUSES: readonly SubscriptionStatus[] = ['active', 'trialing', 'past_due'];

export function isLiveStatus(status: SubscriptionStatus): boolean {
  return LIVE_SUBSCRIPTION_STATUSES.includes(status);
}

/** Paid up (or in a trial): what the customer is paying for now. past_due, unpaid, paused… are not. */
export function isInGoodStanding(status: SubscriptionStatus): boolean {
  return status === 'active' || status === 'trialing';
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
 * One live subscription per account. When a second one shows up (two Checkout sessions both paid, or
 * a new plan bought once an unpaid one's grace period was over), the one in good standing (active or
 * trialing) wins over one whose payment failed (past_due, unpaid, paused, incomplete), whatever their
 * plans: the customer pays for the new one and nothing for the old, so keeping the old one would leave
 * them on Free, billed for a plan they don't get. Otherwise the higher plan stays; on a tie the stored
 * one stays, so the outcome doesn't depend on which webhook lands first once one of them is stored.
 * The loser is canceled (`duplicate`), an unpaid stored one too, so it can't come back to life when
 * its old invoice gets paid. A subscription once recorded as a duplicate is never applied again,
 * whatever its status: its late (or replayed) events cannot take the account away from the one kept.
 */
export function decideLiveSubscription({
  incoming,
  stored,
  duplicateIds,
}: LiveSubscriptionInput): LiveSubscriptionDecision {
  if (stored !== null && stored.id === incoming.id) return { kind: 'apply' };
  if (duplicateIds.has(incoming.id)) return { kind: 'keep-stored', duplicate: incoming };
  if (stored === null || !isLiveStatus(incoming.status) || isTerminalStatus(stored.status)) {
    return { kind: 'apply' };
  }
  if (winsOnStanding(incoming, stored)) return { kind: 'replace-stored', duplicate: stored };
  // An unpaid (paused, incomplete) stored one grants nothing: the incoming one is folded in as usual.
  if (!isLiveStatus(stored.status)) return { kind: 'apply' };
  if (winsOnStanding(stored, incoming)) return { kind: 'keep-stored', duplicate: incoming };
  return planRank(incoming.plan) > planRank(stored.plan)
    ? { kind: 'replace-stored', duplicate: stored }
    : { kind: 'keep-stored', duplicate: incoming };
}

/**
 * `winner` is paid up and `loser` isn't. Two exceptions keep the rank rules: a price Tollgate doesn't
 * know never displaces a subscription (it grants no plan of its own), and a deal (ENTERPRISE, billed by
 * invoice, often paid late on its terms) is never displaced by a Checkout: an operator settles it.
 */
function winsOnStanding(winner: SubscriptionCandidate, loser: SubscriptionCandidate): boolean {
  return (
    isInGoodStanding(winner.status) &&
    !isInGoodStanding(loser.status) &&
    winner.plan !== null &&
    loser.plan !== 'ENTERPRISE'
  );
}

/**
 * The catalog lists plans from the lowest to the highest (FREE … ENTERPRISE). A price Tollgate doesn't
 * sell ranks below every plan: it never displaces a subscription Tollgate knows.
 */
function planRank(plan: PlanId | null): number {
  return plan === null ? -1 : PLAN_IDS.indexOf(plan);
}
