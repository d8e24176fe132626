import type { AnalyticsRange } from './filter';
import { rateOf, type RateFigure } from './fraction';
import type { MonthKey } from './month';
import { mrrMovements, type MonthMovements } from './movements';
import type { SubscriptionHistory } from './subscription-history';

export interface MonthRetention {
  month: MonthKey;
  /** Accounts that churned ÷ paying accounts at the start of the month. */
  logoChurn: RateFigure | null;
  /** (churn + contraction) ÷ MRR at the start of the month. */
  revenueChurn: RateFigure | null;
  /** (MRR at the start + expansion − contraction − churn) ÷ MRR at the start; can pass 100 %. */
  netRevenueRetention: RateFigure | null;
}

/**
 * Churn and retention of one month, from its movements (definitions.ts, "Churn and retention"). Both
 * denominators are 0 together (an account pays exactly when its MRR is > 0): a month that starts with
 * nobody paying has no churn and no retention, "n/a", rather than 0 %.
 */
export function retentionOf(movements: MonthMovements): MonthRetention {
  const { startMrrCents, expansion, contraction, churn } = movements;
  return {
    month: movements.month,
    logoChurn: rateOf(churn.accounts, movements.payingAccountsAtStart),
    revenueChurn: rateOf(churn.cents + contraction.cents, startMrrCents),
    netRevenueRetention: rateOf(
      startMrrCents + expansion.cents - contraction.cents - churn.cents,
      startMrrCents,
    ),
  };
}

export function churnAndRetention(history: SubscriptionHistory, range: AnalyticsRange): MonthRetention[] {
  return mrrMovements(history, range).map(retentionOf);
}
