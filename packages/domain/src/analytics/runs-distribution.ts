import type { PlanId } from '../plans';
import { RUN_BUCKET_UPPER_BOUNDS } from './definitions';
import { isPlanSelected, type AnalyticsRange } from './filter';
import { averageOf, type AverageFigure } from './fraction';
import { formatMonth, monthRange, parseMonth, type MonthKey } from './month';
import { assertWholeNumber } from './whole-number';

/** Runs one account started in one month, on one plan (the usage ledger's count). */
export interface RunCount {
  accountId: string;
  month: MonthKey;
  plan: PlanId;
  runs: number;
}

/** Accounts that ran between min and max runs (both included); max null: no upper bound. */
export interface RunBucket {
  min: number;
  max: number | null;
  accounts: number;
}

export interface MonthRunDistribution {
  month: MonthKey;
  accounts: number;
  runs: number;
  /** Runs ÷ accounts; null for a month without accounts. */
  mean: AverageFigure | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  buckets: RunBucket[];
}

/**
 * The nearest-rank percentile of ascending values: the smallest value such that at least `percentile` %
 * of the values are ≤ it. Always one of the values, never an interpolation; null without values.
 */
export function nearestRank(sorted: readonly number[], percentile: number): number | null {
  return sorted[Math.ceil((percentile * sorted.length) / 100) - 1] ?? null;
}

function bucketsOf(runsPerAccount: readonly number[]): RunBucket[] {
  const buckets: RunBucket[] = [];
  let min = 0;
  for (const max of RUN_BUCKET_UPPER_BOUNDS) {
    buckets.push({ min, max, accounts: 0 });
    min = max + 1;
  }
  buckets.push({ min, max: null, accounts: 0 });
  return buckets.map((bucket) => ({
    ...bucket,
    accounts: runsPerAccount.filter(
      (runs) => runs >= bucket.min && (bucket.max === null || runs <= bucket.max),
    ).length,
  }));
}

/** Runs per account per month (definitions.ts, "Runs per account"); an account's records are summed. */
export function runsDistribution(counts: readonly RunCount[], range: AnalyticsRange): MonthRunDistribution[] {
  const months = new Map(monthRange(range.from, range.to).map((month) => [month, new Map<string, number>()]));
  for (const count of counts) {
    assertWholeNumber(count.runs, 'runs');
    const accounts = months.get(parseMonth(count.month));
    if (accounts === undefined || !isPlanSelected(count.plan, range.plans)) continue;
    accounts.set(count.accountId, (accounts.get(count.accountId) ?? 0) + count.runs);
  }
  return [...months].map(([month, accounts]) => {
    const sorted = [...accounts.values()].sort((a, b) => a - b);
    const runs = sorted.reduce((sum, value) => sum + value, 0);
    return {
      month: formatMonth(month),
      accounts: sorted.length,
      runs,
      mean: averageOf(runs, sorted.length),
      p50: nearestRank(sorted, 50),
      p90: nearestRank(sorted, 90),
      p99: nearestRank(sorted, 99),
      max: nearestRank(sorted, 100),
      buckets: bucketsOf(sorted),
    };
  });
}
