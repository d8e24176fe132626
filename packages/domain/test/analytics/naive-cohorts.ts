import type {
  AuthorizationCount,
  FirstDenialCohort,
  MonthOverageRevenue,
  MonthPaymentRequiredRate,
  MonthRunDistribution,
  OverageCharge,
  PackPurchase,
  PaymentRequiredRecord,
  RunCount,
  SubscriptionChange,
  TrialRecord,
} from '../../src/index';
import {
  DAY,
  keyOf,
  monthsBetween,
  naiveAccountMrr,
  naiveAverage,
  naiveRate,
  naiveRowMrr,
  selected,
  type Plans,
} from './naive-analytics';

// The cohort, runs, 402 and overage figures, naively: same rules as naive-analytics.ts.

export function naiveTrialConversion(
  changes: readonly SubscriptionChange[],
  trials: readonly TrialRecord[],
  from: string,
  to: string,
  asOf: Date,
  plans?: Plans,
) {
  return monthsBetween(from, to).map((month) => {
    const cohort = trials.filter((trial) => keyOf(trial.startedAt.getTime()) === month);
    let converted = 0;
    let open = 0;
    for (const trial of cohort) {
      const windowEnd = trial.endsAt.getTime() + 30 * DAY;
      const paid = changes.some(
        (row) =>
          row.accountId === trial.accountId &&
          row.at.getTime() >= trial.startedAt.getTime() &&
          row.at.getTime() <= windowEnd &&
          selected(row.plan, plans) &&
          naiveRowMrr(row) > 0,
      );
      if (paid) converted += 1;
      if (!paid && windowEnd > asOf.getTime()) open += 1;
    }
    return { month, trials: cohort.length, converted, open, conversion: naiveRate(converted, cohort.length) };
  });
}

const NAIVE_BUCKETS: [number, number | null][] = [
  [0, 0],
  [1, 10],
  [11, 50],
  [51, 100],
  [101, 1000],
  [1001, 2000],
  [2001, null],
];

/** Nearest rank: the smallest value v with at least p % of the values ≤ v. */
function naivePercentile(values: readonly number[], p: number): number | null {
  const candidates = values.filter((v) => values.filter((w) => w <= v).length * 100 >= p * values.length);
  return candidates.length === 0 ? null : Math.min(...candidates);
}

export function naiveRuns(counts: readonly RunCount[], from: string, to: string, plans?: Plans) {
  return monthsBetween(from, to).map((month): MonthRunDistribution => {
    const perAccount = new Map<string, number>();
    for (const count of counts) {
      if (count.month === month && selected(count.plan, plans)) {
        perAccount.set(count.accountId, (perAccount.get(count.accountId) ?? 0) + count.runs);
      }
    }
    const values = [...perAccount.values()];
    const runs = values.reduce((a, b) => a + b, 0);
    return {
      month,
      accounts: values.length,
      runs,
      mean: naiveAverage(runs, values.length),
      p50: naivePercentile(values, 50),
      p90: naivePercentile(values, 90),
      p99: naivePercentile(values, 99),
      max: values.length === 0 ? null : Math.max(...values),
      buckets: NAIVE_BUCKETS.map(([min, max]) => ({
        min,
        max,
        accounts: values.filter((v) => v >= min && (max === null || v <= max)).length,
      })),
    };
  });
}

export function naivePaymentRequiredRate(
  denials: readonly PaymentRequiredRecord[],
  authorizations: readonly AuthorizationCount[],
  from: string,
  to: string,
  plans?: Plans,
) {
  return monthsBetween(from, to).map((month): MonthPaymentRequiredRate => {
    const asked = authorizations
      .filter((count) => count.month === month && selected(count.plan, plans))
      .reduce((total, count) => total + count.authorizations, 0);
    const denied = denials.filter((d) => keyOf(d.at.getTime()) === month && selected(d.plan, plans)).length;
    return { month, authorizations: asked, denied, rate: naiveRate(denied, asked) };
  });
}

export function naiveFirstDenialFollowUp(
  changes: readonly SubscriptionChange[],
  denials: readonly PaymentRequiredRecord[],
  packs: readonly PackPurchase[],
  from: string,
  to: string,
  asOf: Date,
  plans?: Plans,
) {
  const ordered = [...denials].sort((a, b) => a.at.getTime() - b.at.getTime());
  const firsts = ordered.filter(
    (d, i) => ordered.findIndex((other) => other.accountId === d.accountId) === i,
  );
  return monthsBetween(from, to).map((month): FirstDenialCohort => {
    const cohort = firsts.filter((d) => keyOf(d.at.getTime()) === month && selected(d.plan, plans));
    const result = {
      month,
      accounts: cohort.length,
      upgraded: 0,
      boughtPack: 0,
      upgradedOrBoughtPack: 0,
      open: 0,
    };
    for (const first of cohort) {
      const t0 = first.at.getTime();
      const inWindow = (at: Date) => at.getTime() > t0 && at.getTime() <= t0 + 7 * DAY;
      const rows = changes.filter((row) => row.accountId === first.accountId);
      const before = naiveAccountMrr(rows, t0, undefined);
      const upgraded = rows.some(
        (row) => inWindow(row.at) && naiveAccountMrr(rows, row.at.getTime(), undefined) > before,
      );
      const bought = packs.some((pack) => pack.accountId === first.accountId && inWindow(pack.at));
      if (upgraded) result.upgraded += 1;
      if (bought) result.boughtPack += 1;
      if (upgraded || bought) result.upgradedOrBoughtPack += 1;
      if (!upgraded && !bought && t0 + 7 * DAY > asOf.getTime()) result.open += 1;
    }
    return { ...result, rate: naiveRate(result.upgradedOrBoughtPack, result.accounts) };
  });
}

export function naiveOverage(charges: readonly OverageCharge[], from: string, to: string, plans?: Plans) {
  return monthsBetween(from, to).map((month): MonthOverageRevenue => {
    const chosen = charges.filter((charge) => charge.month === month && selected(charge.plan, plans));
    const accountIds = [...new Set(chosen.map((charge) => charge.accountId))];
    const sumOf = (id: string) => chosen.filter((c) => c.accountId === id).reduce((t, c) => t + c.cents, 0);
    return {
      month,
      cents: chosen.reduce((total, charge) => total + charge.cents, 0),
      accounts: accountIds.filter((id) => sumOf(id) > 0).length,
    };
  });
}
