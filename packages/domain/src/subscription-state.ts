import type { AccountOverrides } from './account-overrides';
import type { AccountKind } from './account-roles';
import type { PlanId } from './plans';
import type { SubscriptionStatus } from './subscription-status';

/** What Tollgate stores per billing account. */
export interface SubscriptionState {
  /** A team account has no FREE runs (NO_PLAN): see resolveEntitlement. */
  accountKind: AccountKind;
  /** FREE for everyone without a paid plan or trial. */
  plan: PlanId;
  /** FREE accounts are 'active'; Tollgate's own TRIAL is 'trialing'. */
  status: SubscriptionStatus;
  /** Stripe billing period (paid plans). */
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  /** Trial window (Tollgate TRIAL plan, or a Stripe trial). */
  trialStart: Date | null;
  trialEnd: Date | null;
  /** Set once when a trial was ever started: trials are once per account. */
  trialUsedAt: Date | null;
  /** When the subscription was first seen past_due (the grace period starts here). */
  pastDueSince: Date | null;
  /** ENTERPRISE per-account limit. */
  customRunLimit: number | null;
  /** FREE periods are monthly anniversaries of this. */
  accountCreatedAt: Date;
  stripeCustomerId: string | null;
  stripeSubscriptionId: string | null;
  stripePriceId: string | null;
  /** What an operator set on top of this state (a comp, a custom limit, a trial window); absent: none. */
  overrides?: AccountOverrides | null;
}

/** Every account starts here; personal by default, as every account was before team accounts. */
export function freeSubscriptionState(
  accountCreatedAt: Date,
  accountKind: AccountKind = 'personal',
): SubscriptionState {
  return {
    accountKind,
    plan: 'FREE',
    status: 'active',
    currentPeriodStart: null,
    currentPeriodEnd: null,
    cancelAtPeriodEnd: false,
    trialStart: null,
    trialEnd: null,
    trialUsedAt: null,
    pastDueSince: null,
    customRunLimit: null,
    accountCreatedAt,
    stripeCustomerId: null,
    stripeSubscriptionId: null,
    stripePriceId: null,
  };
}
