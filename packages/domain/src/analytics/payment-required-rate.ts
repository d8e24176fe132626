import type { PlanId } from '../plans';
import { assertValidDate } from '../time';
import { isPlanSelected, type AnalyticsRange } from './filter';
import { rateOf, type RateFigure } from './fraction';
import { formatMonth, monthIndexOf, monthRange, parseMonth, type MonthKey } from './month';
import { assertWholeNumber } from './whole-number';

/**
 * Authorizations answered 402 (quota, spend cap…), with the plan the account was on: one refusal, or
 * `count` refusals of one account and plan counted together (stored per day), the first of them at `at`.
 */
export interface PaymentRequiredRecord {
  accountId: string;
  at: Date;
  plan: PlanId;
  /** Refusals this record stands for; 1 when absent. */
  count?: number;
}

/** Authorizations asked in a month on a plan, granted or refused (several rows of one month add up). */
export interface AuthorizationCount {
  month: MonthKey;
  plan: PlanId;
  authorizations: number;
}

export interface MonthPaymentRequiredRate {
  month: MonthKey;
  authorizations: number;
  denied: number;
  /** denied ÷ authorizations; null for a month without authorizations. */
  rate: RateFigure | null;
}

/** The 402 rate per month (definitions.ts, "The 402"). */
export function paymentRequiredRate(
  denials: readonly PaymentRequiredRecord[],
  authorizations: readonly AuthorizationCount[],
  range: AnalyticsRange,
): MonthPaymentRequiredRate[] {
  const months = new Map(
    monthRange(range.from, range.to).map((month) => [month, { authorizations: 0, denied: 0 }]),
  );
  for (const count of authorizations) {
    assertWholeNumber(count.authorizations, 'authorizations');
    const tally = months.get(parseMonth(count.month));
    if (tally !== undefined && isPlanSelected(count.plan, range.plans))
      tally.authorizations += count.authorizations;
  }
  for (const denial of denials) {
    assertValidDate(denial.at, 'at');
    const count = denial.count ?? 1;
    assertWholeNumber(count, 'count');
    const tally = months.get(monthIndexOf(denial.at.getTime()));
    if (tally !== undefined && isPlanSelected(denial.plan, range.plans)) tally.denied += count;
  }
  return [...months].map(([month, tally]) => ({
    month: formatMonth(month),
    ...tally,
    rate: rateOf(tally.denied, tally.authorizations),
  }));
}
