import { addDays, assertValidDate } from '../time';
import { TRIAL_CONVERSION_WINDOW_DAYS } from './definitions';
import type { CohortRange } from './filter';
import { rateOf, type RateFigure } from './fraction';
import { formatMonth, monthIndexOf, monthRange, type MonthKey } from './month';
import { filteredMrrCents } from './mrr';
import type { SubscriptionHistory } from './subscription-history';

/** One trial: when it started and when it ended (or is due to end). */
export interface TrialRecord {
  accountId: string;
  startedAt: Date;
  endsAt: Date;
}

export interface TrialCohort {
  /** The month the cohort's trials started in. */
  month: MonthKey;
  trials: number;
  converted: number;
  /** Not converted yet, and the 30-day window is still open at `asOf`: the figure can still rise. */
  open: number;
  /** converted ÷ trials; null for a month without trials. */
  conversion: RateFigure | null;
}

/** Trial-to-paid conversion per cohort month (definitions.ts, "Trial-to-paid conversion"). */
export function trialConversion(
  history: SubscriptionHistory,
  trials: readonly TrialRecord[],
  range: CohortRange,
): TrialCohort[] {
  assertValidDate(range.asOf, 'asOf');
  const cohorts = new Map(
    monthRange(range.from, range.to).map((month) => [
      month,
      { month: formatMonth(month), trials: 0, converted: 0, open: 0 },
    ]),
  );
  for (const trial of trials) {
    assertValidDate(trial.startedAt, 'startedAt');
    assertValidDate(trial.endsAt, 'endsAt');
    if (trial.endsAt < trial.startedAt)
      throw new RangeError(`Trial of ${trial.accountId} ends before it starts`);
    const cohort = cohorts.get(monthIndexOf(trial.startedAt.getTime()));
    if (cohort === undefined) continue;
    const from = trial.startedAt.getTime();
    const until = addDays(trial.endsAt, TRIAL_CONVERSION_WINDOW_DAYS).getTime();
    const subscriptions = history.accounts.get(trial.accountId) ?? [];
    // A paid state that begins in the window: the trial became a paying subscription (or a new one).
    const isConverted = subscriptions.some((rows) =>
      rows.some((row) => {
        const at = row.at.getTime();
        return from <= at && at <= until && filteredMrrCents(row, range.plans) > 0;
      }),
    );
    cohort.trials += 1;
    if (isConverted) cohort.converted += 1;
    else if (until > range.asOf.getTime()) cohort.open += 1;
  }
  return [...cohorts.values()].map((cohort) => ({
    ...cohort,
    conversion: rateOf(cohort.converted, cohort.trials),
  }));
}
