import type { PlanId } from '../plans';
import type { MonthKey } from './month';

/** What a dashboard asks for: a range of whole UTC months and, optionally, some plans. */
export interface AnalyticsRange {
  /** First month reported, "YYYY-MM". */
  from: MonthKey;
  /** Last month reported, included. */
  to: MonthKey;
  /** Only these plans (see definitions.ts, "Filters"); absent means every plan. */
  plans?: readonly PlanId[];
}

/** A cohort figure is still moving while its window is open: `asOf` is the report's "now". */
export interface CohortRange extends AnalyticsRange {
  asOf: Date;
}

export function isPlanSelected(plan: PlanId, plans: readonly PlanId[] | undefined): boolean {
  return plans === undefined || plans.includes(plan);
}
