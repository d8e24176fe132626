import type { TRPCRouterRecord } from '@trpc/server';
import { analyticsInputSchema, analyticsSchema } from '../schemas/console-schemas';
import { staffProcedure } from '../trpc';

export const adminAnalyticsRouter = {
  /**
   * Revenue analytics over whole months (from and to included, at most 36), optionally only some
   * plans: MRR and ARR, MRR movements, churn and retention, trial conversion by cohort, runs per
   * account, the 402 rate and what accounts do within 7 days of their first 402, overage revenue.
   * Every figure is defined in @tollgate/domain's analytics/definitions.ts. Support reads it too.
   */
  analytics: staffProcedure
    .input(analyticsInputSchema)
    .output(analyticsSchema)
    .query(({ ctx, input }) => ctx.services.analytics.report(input)),
} satisfies TRPCRouterRecord;
