import type { PlanId } from '../plans';
import { isPlanSelected, type AnalyticsRange } from './filter';
import { formatMonth, monthRange, parseMonth, type MonthKey } from './month';
import { assertWholeNumber } from './whole-number';

/** Overage billed to one account for one month (its metered invoice line, tax excluded). */
export interface OverageCharge {
  accountId: string;
  month: MonthKey;
  plan: PlanId;
  cents: number;
}

export interface MonthOverageRevenue {
  month: MonthKey;
  cents: number;
  /** Accounts billed some overage (their sum for the month is > 0). */
  accounts: number;
}

/** Overage revenue per month (definitions.ts, "Overage revenue"): outside MRR, as it isn't recurring. */
export function overageRevenue(
  charges: readonly OverageCharge[],
  range: AnalyticsRange,
): MonthOverageRevenue[] {
  const months = new Map(monthRange(range.from, range.to).map((month) => [month, new Map<string, number>()]));
  for (const charge of charges) {
    assertWholeNumber(charge.cents, 'cents');
    const accounts = months.get(parseMonth(charge.month));
    if (accounts === undefined || !isPlanSelected(charge.plan, range.plans)) continue;
    accounts.set(charge.accountId, (accounts.get(charge.accountId) ?? 0) + charge.cents);
  }
  return [...months].map(([month, accounts]) => {
    const perAccount = [...accounts.values()];
    return {
      month: formatMonth(month),
      cents: perAccount.reduce((sum, cents) => sum + cents, 0),
      accounts: perAccount.filter((cents) => cents > 0).length,
    };
  });
}
