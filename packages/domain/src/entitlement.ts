import { applyOverrides, withTrialOverride } from './account-overrides';
import { AppError } from './errors';
import { getPlan, type PlanId } from './plans';
import type { SubscriptionState } from './subscription-state';
import { isFreeFallbackStatus, type SubscriptionStatus } from './subscription-status';
import { addDays, assertValidDate } from './time';
import { freePeriodAt, isWithinPeriod, type UsagePeriod } from './usage-period';

/**
 * Why a run is refused (the `code` of every 402).
 *
 * - USAGE_LIMIT_REACHED: the account's pool of runs for the period is used up.
 * - PAYMENT_PAST_DUE: a paid plan's payment failed and the grace period is over.
 * - NO_RUN_LIMIT: an ENTERPRISE account whose per-account limit was never configured.
 * - NO_PLAN: a team account without a paid plan: FREE runs exist only on personal accounts.
 * - MEMBER_CAP_REACHED: the member's own monthly cap (set by an admin) is used up while the team's
 *   pool still has runs; an upgrade wouldn't help, an admin raising the cap would.
 * - SPEND_CAP_REACHED: the allowance and credits are spent and the overage the account opted into has
 *   reached its spend cap; raising the cap (or buying runs) lets runs through again at once.
 */
export const DENIAL_CODES = [
  'USAGE_LIMIT_REACHED',
  'PAYMENT_PAST_DUE',
  'NO_RUN_LIMIT',
  'NO_PLAN',
  'MEMBER_CAP_REACHED',
  'SPEND_CAP_REACHED',
] as const;
export type DenialCode = (typeof DENIAL_CODES)[number];
/** Codes that deny a run whatever the usage is; the others depend on what was used. */
export type BlockCode = Exclude<
  DenialCode,
  'USAGE_LIMIT_REACHED' | 'MEMBER_CAP_REACHED' | 'SPEND_CAP_REACHED'
>;

export interface Entitlement {
  /** The EFFECTIVE plan (e.g. FREE for a canceled PRO or an ended trial). */
  plan: PlanId;
  /** The stored status. */
  status: SubscriptionStatus;
  /** Runs allowed in `period`. */
  limit: number;
  /** The usage period in force at `now`; its start identifies the usage counter. */
  period: UsagePeriod;
  /** past_due only: when the grace period ends (null if it could not be determined). */
  graceEndsAt: Date | null;
  /** Denied regardless of usage. */
  block: { code: BlockCode; message: string } | null;
  /**
   * The answer once `limit` is used up, when it isn't USAGE_LIMIT_REACHED: a past_due account past its
   * grace runs on Free entitlements, and when those are gone too it is told to update its card.
   */
  limitReached?: { code: 'PAYMENT_PAST_DUE'; message: string };
}

export interface EntitlementOptions {
  graceDays: number;
}

/**
 * What the account may do at `now`. Rules, in order:
 *
 * - FREE: FREE limit over the monthly anniversary period; never blocked on a personal account. A team
 *   account has no FREE runs: limit 0, block NO_PLAN (also wherever a team falls back to FREE).
 * - TRIAL (Tollgate's own): trialing inside [trialStart, trialEnd) -> 50 runs over that window;
 *   otherwise (ended, not started, window missing) FREE entitlements.
 * - BASIC / PRO / TEAM / ENTERPRISE:
 *   - canceled, unpaid, incomplete, incomplete_expired, paused -> FREE entitlements.
 *   - cancelAtPeriodEnd and now >= currentPeriodEnd -> FREE: the subscription has ended on schedule,
 *     only the `deleted` webhook hasn't arrived yet. Nobody pays for the next period, so none is given.
 *   - Stripe status trialing and now >= trialEnd -> FREE until Stripe reports the outcome of the first
 *     charge (active or past_due). The trial was free; the paid quota starts with a payment.
 *   - otherwise the plan's limit (ENTERPRISE: customRunLimit, null -> block NO_RUN_LIMIT) over the
 *     Stripe period, see `paidPeriod`. Old trial dates of a plan bought during a Tollgate trial are
 *     ignored: trial dates only matter for plan TRIAL or Stripe status trialing.
 *   - past_due: as above until the grace end, then FREE entitlements whose exhaustion answers
 *     PAYMENT_PAST_DUE (a team: blocked with it), see `graceEndOf` and `pastGraceEntitlement`.
 */
export function resolveEntitlement(
  state: SubscriptionState,
  now: Date,
  options: EntitlementOptions,
): Entitlement {
  assertValidDate(now, 'now');
  if (!Number.isFinite(options.graceDays) || options.graceDays < 0) {
    throw new AppError('INTERNAL', 'Invalid payment grace period', { graceDays: options.graceDays });
  }
  const overrides = state.overrides ?? null;
  if (!overrides) return entitlementOfState(state, now, options);
  const base = entitlementOfState(withTrialOverride(state, overrides), now, options);
  return applyOverrides(base, overrides, now);
}

function entitlementOfState(state: SubscriptionState, now: Date, options: EntitlementOptions): Entitlement {
  if (state.plan === 'FREE') return freeEntitlement(state, now);
  if (state.plan === 'TRIAL') return trialEntitlement(state, now);
  return paidEntitlement(state, now, options);
}

/** The plan the account effectively has at `now` (does not depend on the grace period). */
export function effectivePlanAt(state: SubscriptionState, now: Date): PlanId {
  const entitlement = resolveEntitlement(state, now, { graceDays: 0 });
  // A past_due plan is still the account's plan: only its runs fall back to Free past the grace.
  return entitlement.limitReached ? state.plan : entitlement.plan;
}

const NO_PLAN_MESSAGE =
  'A team account needs a paid plan to run agents: Free runs exist only on personal accounts. Ask an owner or admin to choose the Team plan.';

/**
 * FREE entitlements, and every fallback to them. A team account gets no FREE runs (limit 0, block
 * NO_PLAN): otherwise creating teams would mint free quota, one FREE pool per team. Its effective plan
 * stays FREE, so canStartTrial and the settings page treat it like any account without a plan.
 */
function freeEntitlement(state: SubscriptionState, now: Date): Entitlement {
  const isTeam = state.accountKind === 'team';
  return {
    plan: 'FREE',
    status: state.status,
    limit: isTeam ? 0 : planLimit('FREE'),
    period: freePeriodAt(state.accountCreatedAt, now),
    graceEndsAt: null,
    block: isTeam ? { code: 'NO_PLAN', message: NO_PLAN_MESSAGE } : null,
  };
}

function trialEntitlement(state: SubscriptionState, now: Date): Entitlement {
  const isTrialStatus = state.status === 'trialing' || state.status === 'active';
  if (!isTrialStatus || state.trialStart === null || state.trialEnd === null) {
    return freeEntitlement(state, now);
  }
  const window: UsagePeriod = { start: state.trialStart, end: state.trialEnd };
  if (!isWithinPeriod(window, now)) return freeEntitlement(state, now);
  return {
    plan: 'TRIAL',
    status: state.status,
    limit: planLimit('TRIAL'),
    period: window,
    graceEndsAt: null,
    block: null,
  };
}

function paidEntitlement(state: SubscriptionState, now: Date, options: EntitlementOptions): Entitlement {
  if (isFreeFallbackStatus(state.status)) return freeEntitlement(state, now);
  if (hasEndedOnSchedule(state, now)) return freeEntitlement(state, now);
  if (state.status === 'trialing' && state.trialEnd !== null && now >= state.trialEnd) {
    return freeEntitlement(state, now);
  }

  const limit = state.plan === 'ENTERPRISE' ? state.customRunLimit : planLimit(state.plan);
  const entitlement: Entitlement = {
    plan: state.plan,
    status: state.status,
    limit: limit ?? 0,
    period: paidPeriod(state, now),
    graceEndsAt: null,
    block: null,
  };

  if (state.status === 'past_due') {
    const graceEndsAt = graceEndOf(state, options.graceDays);
    entitlement.graceEndsAt = graceEndsAt;
    if (graceEndsAt === null || now >= graceEndsAt) return pastGraceEntitlement(state, now, graceEndsAt);
  }

  if (limit === null) {
    entitlement.block = {
      code: 'NO_RUN_LIMIT',
      message: 'No run limit is configured for this Enterprise account yet. Please contact support.',
    };
  }
  return entitlement;
}

const PAST_DUE = {
  code: 'PAYMENT_PAST_DUE',
  message:
    'Your last payment failed and the grace period is over. Update your payment method to keep running agents.',
} as const;

/**
 * Past the grace period an unpaid plan grants nothing more, but nobody is locked out of the free tier:
 * the account has Free entitlements (over the Free period), and once those are used up its 402 says
 * PAYMENT_PAST_DUE so the UI asks for a card rather than an upgrade. A team account has no Free runs:
 * it is blocked with PAYMENT_PAST_DUE at once. (When the grace end can't be told, it counts as over.)
 */
function pastGraceEntitlement(state: SubscriptionState, now: Date, graceEndsAt: Date | null): Entitlement {
  const free = freeEntitlement(state, now);
  return {
    ...free,
    graceEndsAt,
    block: free.block ? { ...PAST_DUE } : null,
    limitReached: { ...PAST_DUE },
  };
}

function hasEndedOnSchedule(state: SubscriptionState, now: Date): boolean {
  return state.cancelAtPeriodEnd && state.currentPeriodEnd !== null && now >= state.currentPeriodEnd;
}

/**
 * Paid plans count usage over the Stripe billing period [currentPeriodStart, currentPeriodEnd).
 *
 * When `now` is already past currentPeriodEnd the renewal webhook simply hasn't arrived yet: we keep
 * the last known period (and its counter) until Stripe says otherwise. Inventing the next period here
 * would hand out a fresh quota nobody has paid for yet, and guessing its start would split the usage
 * over two counter rows once the real period arrives. The cost is at most a short wait for a user who
 * has exhausted the old period's quota. (resetsAt then lies in the past: the renewal is overdue.)
 *
 * Without a stored period (e.g. ENTERPRISE invoiced outside Stripe) a Stripe trial uses its trial
 * window, anything else the FREE monthly anniversary period.
 */
function paidPeriod(state: SubscriptionState, now: Date): UsagePeriod {
  const { currentPeriodStart: start, currentPeriodEnd: end } = state;
  if (start !== null && end !== null && start < end) return { start, end };
  if (state.status === 'trialing' && state.trialStart !== null && state.trialEnd !== null) {
    if (state.trialStart < state.trialEnd) return { start: state.trialStart, end: state.trialEnd };
  }
  return freePeriodAt(state.accountCreatedAt, now);
}

/**
 * Grace runs from pastDueSince (set by applyStripeSubscription when it first sees past_due).
 *
 * A past_due row without pastDueSince can only come from outside the reducer (an old row, a manual
 * fix). Then the grace starts at currentPeriodStart: Stripe's renewal invoice for the unpaid period is
 * created there, so the subscription cannot have become past_due earlier, and the grace we grant is
 * never longer than the real one. Starting it at `now` would never end; starting it at
 * currentPeriodEnd would give away the whole unpaid period plus the grace. With neither date we
 * cannot tell how long the payment has been overdue, so we deny (graceEndsAt null).
 */
function graceEndOf(state: SubscriptionState, graceDays: number): Date | null {
  const graceStart = state.pastDueSince ?? state.currentPeriodStart;
  if (graceStart === null) return null;
  return addDays(graceStart, graceDays);
}

function planLimit(plan: Exclude<PlanId, 'ENTERPRISE'>): number {
  // Every plan except ENTERPRISE has a catalog limit; 0 keeps a catalog mistake from granting runs.
  return getPlan(plan).runLimit ?? 0;
}
