import type { PlanId } from '../plans';
import { assertValidDate } from '../time';
import { BILLED_STATUSES, MONTHS_PER_YEAR } from './definitions';
import { isPlanSelected, type AnalyticsRange } from './filter';
import { averageOf, roundHalfUp, type AverageFigure } from './fraction';
import { formatMonth, monthCloseMs, monthRange, type MonthKey } from './month';
import {
  stateAt,
  type SubscriptionChange,
  type SubscriptionHistory,
  type SubscriptionRows,
} from './subscription-history';

/**
 * One subscription state's MRR in cents (definitions.ts, "MRR"): 0 unless billed; a yearly amount ÷ 12,
 * rounded half up here, once, so that every total is a sum of integers.
 */
export function subscriptionMrrCents(state: SubscriptionChange): number {
  if (!BILLED_STATUSES.includes(state.status)) return 0;
  const perInterval = Math.max(0, state.priceCents * state.quantity - state.discountCents);
  return state.interval === 'year' ? roundHalfUp(perInterval, MONTHS_PER_YEAR) : perInterval;
}

/** A state under a plan filter: one on a plan left out counts 0, as does no state at all. */
export function filteredMrrCents(state: SubscriptionChange | undefined, plans?: readonly PlanId[]): number {
  return state !== undefined && isPlanSelected(state.plan, plans) ? subscriptionMrrCents(state) : 0;
}

/** An account's MRR at `ms`: the sum over its subscriptions of the state each is in then. */
export function accountMrrAt(
  subscriptions: readonly SubscriptionRows[],
  ms: number,
  plans?: readonly PlanId[],
): number {
  return subscriptions.reduce((sum, rows) => sum + filteredMrrCents(stateAt(rows, ms), plans), 0);
}

export interface MrrSnapshot {
  mrrCents: number;
  /** 12 × MRR. */
  arrCents: number;
  /** Accounts whose MRR is > 0. */
  payingAccounts: number;
  /** MRR ÷ paying accounts; null when no account pays. */
  arpu: AverageFigure | null;
}

function snapshotAtMs(history: SubscriptionHistory, ms: number, plans?: readonly PlanId[]): MrrSnapshot {
  let mrrCents = 0;
  let payingAccounts = 0;
  for (const subscriptions of history.accounts.values()) {
    const cents = accountMrrAt(subscriptions, ms, plans);
    mrrCents += cents;
    if (cents > 0) payingAccounts += 1;
  }
  return {
    mrrCents,
    arrCents: MONTHS_PER_YEAR * mrrCents,
    payingAccounts,
    arpu: averageOf(mrrCents, payingAccounts),
  };
}

/** MRR, ARR, paying accounts and ARPU at an instant (changes dated at or before it are in force). */
export function mrrAt(history: SubscriptionHistory, at: Date, plans?: readonly PlanId[]): MrrSnapshot {
  assertValidDate(at, 'at');
  return snapshotAtMs(history, at.getTime(), plans);
}

/** The same figures at the end of each month of the range (the MRR chart). */
export function mrrByMonth(
  history: SubscriptionHistory,
  range: AnalyticsRange,
): (MrrSnapshot & { month: MonthKey })[] {
  return monthRange(range.from, range.to).map((month) => ({
    month: formatMonth(month),
    ...snapshotAtMs(history, monthCloseMs(month), range.plans),
  }));
}
