import { addDays, assertValidDate } from '../time';
import { FIRST_DENIAL_WINDOW_DAYS } from './definitions';
import { isPlanSelected, type CohortRange } from './filter';
import { rateOf, type RateFigure } from './fraction';
import { formatMonth, monthIndexOf, monthRange, type MonthKey } from './month';
import { accountMrrAt } from './mrr';
import type { PaymentRequiredRecord } from './payment-required-rate';
import type { SubscriptionHistory } from './subscription-history';

/** A one-time run pack paid for. */
export interface PackPurchase {
  accountId: string;
  at: Date;
}

export interface FirstDenialCohort {
  /** The month of the cohort's first 402s. */
  month: MonthKey;
  /** Accounts whose first 402 ever fell in the month. */
  accounts: number;
  upgraded: number;
  boughtPack: number;
  /** Upgraded or bought a pack (an account that did both counts once). */
  upgradedOrBoughtPack: number;
  /** Neither yet, and the 7-day window is still open at `asOf`. */
  open: number;
  /** upgradedOrBoughtPack ÷ accounts; null for a month without first 402s. */
  rate: RateFigure | null;
}

/** Each account's first 402 ever, whatever the range: a later 402 is not a first one. */
function firstDenials(denials: readonly PaymentRequiredRecord[]): Map<string, PaymentRequiredRecord> {
  const first = new Map<string, PaymentRequiredRecord>();
  for (const denial of denials) {
    assertValidDate(denial.at, 'at');
    const known = first.get(denial.accountId);
    if (known === undefined || denial.at < known.at) first.set(denial.accountId, denial);
  }
  return first;
}

/**
 * How many accounts upgrade or buy a pack within 7 days of their first 402, by the month of that 402
 * (definitions.ts, "The 402"). The window is (t0, t0 + 7 days]: what was in force at t0 is the baseline.
 */
export function firstDenialFollowUp(
  history: SubscriptionHistory,
  denials: readonly PaymentRequiredRecord[],
  packs: readonly PackPurchase[],
  range: CohortRange,
): FirstDenialCohort[] {
  assertValidDate(range.asOf, 'asOf');
  const cohorts = new Map(
    monthRange(range.from, range.to).map((month) => [
      month,
      {
        month: formatMonth(month),
        accounts: 0,
        upgraded: 0,
        boughtPack: 0,
        upgradedOrBoughtPack: 0,
        open: 0,
      },
    ]),
  );
  for (const denial of firstDenials(denials).values()) {
    const cohort = cohorts.get(monthIndexOf(denial.at.getTime()));
    if (cohort === undefined || !isPlanSelected(denial.plan, range.plans)) continue;
    const t0 = denial.at.getTime();
    const until = addDays(denial.at, FIRST_DENIAL_WINDOW_DAYS).getTime();
    const isInWindow = (at: Date): boolean => t0 < at.getTime() && at.getTime() <= until;
    const subscriptions = history.accounts.get(denial.accountId) ?? [];
    const baseline = accountMrrAt(subscriptions, t0);
    const hasUpgraded = subscriptions.some((rows) =>
      rows.some((row) => isInWindow(row.at) && accountMrrAt(subscriptions, row.at.getTime()) > baseline),
    );
    const hasBoughtPack = packs.some((pack) => pack.accountId === denial.accountId && isInWindow(pack.at));
    cohort.accounts += 1;
    if (hasUpgraded) cohort.upgraded += 1;
    if (hasBoughtPack) cohort.boughtPack += 1;
    if (hasUpgraded || hasBoughtPack) cohort.upgradedOrBoughtPack += 1;
    else if (until > range.asOf.getTime()) cohort.open += 1;
  }
  return [...cohorts.values()].map((cohort) => ({
    ...cohort,
    rate: rateOf(cohort.upgradedOrBoughtPack, cohort.accounts),
  }));
}
