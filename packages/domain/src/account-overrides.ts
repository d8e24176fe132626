import type { Entitlement } from './entitlement';
import { PLANS, type CheckoutPlanId } from './plans';
import type { SubscriptionState } from './subscription-state';
import { freePeriodAt, type UsagePeriod } from './usage-period';

/**
 * What an operator set on an account, applied on top of the state derived from Stripe (so a webhook
 * sync, which writes only that state, never erases it). Each field null: not overridden.
 */
export interface AccountOverrides {
  /** Runs per period instead of the plan's (an ENTERPRISE deal's limit, or a support gesture). */
  runLimit: number | null;
  /**
   * A paid plan given for free from `compFrom` until `compUntil` (exclusive): the account has it
   * whatever it pays, over monthly periods of its own (anniversaries of `compFrom`, the last one cut at
   * `compUntil`), so the comp's allowance never lingers on a period that outlives it.
   */
  compPlan: CheckoutPlanId | null;
  compFrom: Date | null;
  compUntil: Date | null;
  /**
   * A trial window an operator extended or restarted, for an account without a paid plan: the account
   * is on TRIAL inside [trialStart, trialEnd), whatever its own trial said, unless that trial started
   * after the window ended (see withTrialOverride).
   */
  trialStart: Date | null;
  trialEnd: Date | null;
}

export const NO_OVERRIDES: Readonly<AccountOverrides> = Object.freeze({
  runLimit: null,
  compPlan: null,
  compFrom: null,
  compUntil: null,
  trialStart: null,
  trialEnd: null,
});

/** The comp in force at `now` (from its start, inclusive, to its end, exclusive), or null. */
export function activeComp(
  overrides: AccountOverrides,
  now: Date,
): { plan: CheckoutPlanId; from: Date; until: Date } | null {
  const { compPlan: plan, compFrom: from, compUntil: until } = overrides;
  if (plan === null || from === null || until === null) return null;
  const at = now.getTime();
  return from.getTime() <= at && at < until.getTime() ? { plan, from, until } : null;
}

/** Is a comp in force at `now`? */
export function isCompActive(overrides: AccountOverrides, now: Date): boolean {
  return activeComp(overrides, now) !== null;
}

/** The comp's period in force at `now`: the monthly anniversary of its start, cut at its end. */
export function compPeriodAt(compFrom: Date, compUntil: Date, now: Date): UsagePeriod {
  const month = freePeriodAt(compFrom, now);
  return { start: month.start, end: new Date(Math.min(month.end.getTime(), compUntil.getTime())) };
}

/**
 * The state with an operator's trial window in place of the account's own: only for an account
 * without a paid plan (FREE or TRIAL); a paid plan's trial is Stripe's. A trial the account started
 * itself once the operator's window had ended is the account's trial: the ended window doesn't
 * replace it (startTrialOnce also clears that window, so a later extension starts from the own trial).
 */
export function withTrialOverride(state: SubscriptionState, overrides: AccountOverrides): SubscriptionState {
  if (overrides.trialStart === null || overrides.trialEnd === null) return state;
  if (state.plan !== 'FREE' && state.plan !== 'TRIAL') return state;
  if (state.trialStart !== null && state.trialStart.getTime() >= overrides.trialEnd.getTime()) return state;
  return {
    ...state,
    plan: 'TRIAL',
    status: 'trialing',
    trialStart: overrides.trialStart,
    trialEnd: overrides.trialEnd,
  };
}

/**
 * The entitlement with an operator's comp and custom limit on top:
 * - a comp in force gives the comped plan's limit, active and unblocked, over the comp's own period;
 *   except over a paid plan in force that gives more runs (a comp is a gift: it never takes away what
 *   the account pays for, nor moves its runs off the paid period);
 * - a custom limit replaces the limit, and lifts NO_RUN_LIMIT (an ENTERPRISE deal without a limit in
 *   its subscription). It never lifts a block for an unpaid plan past its grace: that is about money.
 */
export function applyOverrides(
  entitlement: Entitlement,
  overrides: AccountOverrides,
  now: Date,
): Entitlement {
  let result = entitlement;
  const comp = activeComp(overrides, now);
  if (comp && !isPaidAbove(entitlement, PLANS[comp.plan].runLimit ?? 0)) {
    result = {
      plan: comp.plan,
      status: 'active',
      limit: PLANS[comp.plan].runLimit ?? 0,
      period: compPeriodAt(comp.from, comp.until, now),
      graceEndsAt: null,
      block: null,
    };
  }
  // Past its grace an unpaid plan runs on Free with PAYMENT_PAST_DUE (`limitReached`, and for a team
  // a block too): a custom limit must not turn that back into paid runs.
  if (overrides.runLimit !== null && result.limitReached === undefined) {
    const block = result.block?.code === 'NO_RUN_LIMIT' ? null : result.block;
    result = { ...result, limit: overrides.runLimit, block };
  }
  return result;
}

/** Is the entitlement a paid plan in force (not blocked, not past its grace) giving more than `runs`? */
function isPaidAbove(entitlement: Entitlement, runs: number): boolean {
  const isInForce = entitlement.block === null && entitlement.limitReached === undefined;
  return PLANS[entitlement.plan].isPaid && isInForce && entitlement.limit > runs;
}
