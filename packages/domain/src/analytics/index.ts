// Revenue analytics: pure functions over Tollgate's own records; what each figure means is written once,
// in definitions.ts. Only the figures and their inputs are exported: the helpers stay inside.
export {
  BILLED_STATUSES,
  FIRST_DENIAL_WINDOW_DAYS,
  RUN_BUCKET_UPPER_BOUNDS,
  TRIAL_CONVERSION_WINDOW_DAYS,
} from './definitions';
export type { AnalyticsRange, CohortRange } from './filter';
export type { AverageFigure, RateFigure } from './fraction';
export { MONTH_PATTERN, monthOf, type MonthKey } from './month';
export { buildHistory, type SubscriptionChange, type SubscriptionHistory } from './subscription-history';
export { mrrAt, mrrByMonth, subscriptionMrrCents, type MrrSnapshot } from './mrr';
export {
  MOVEMENT_KINDS,
  mrrMovements,
  type MonthMovements,
  type MovementFigure,
  type MovementKind,
} from './movements';
export { churnAndRetention, retentionOf, type MonthRetention } from './retention';
export { trialConversion, type TrialCohort, type TrialRecord } from './trial-conversion';
export {
  runsDistribution,
  type MonthRunDistribution,
  type RunBucket,
  type RunCount,
} from './runs-distribution';
export {
  paymentRequiredRate,
  type AuthorizationCount,
  type MonthPaymentRequiredRate,
  type PaymentRequiredRecord,
} from './payment-required-rate';
export { firstDenialFollowUp, type FirstDenialCohort, type PackPurchase } from './first-denial-follow-up';
export { overageRevenue, type MonthOverageRevenue, type OverageCharge } from './overage-revenue';
