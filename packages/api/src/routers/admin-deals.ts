import type { TRPCRouterRecord } from '@trpc/server';
import { requireStripeBilling } from '../billing';
import { enterpriseDealInputSchema, enterpriseDealSchema } from '../schemas/console-schemas';
import { operatorProcedure } from '../trpc';

export const adminDealsRouter = {
  /**
   * Sells an ENTERPRISE deal: a price made at Stripe for this account (known to the catalog mapping),
   * the account's subscription on it (the live one switched, or a new one billed by card or by
   * invoice), and the deal's run limit, the account's from the next authorization until the deal's
   * subscription ends. One audit row with the deal. Stripe's refusals (no card on file) answer 400
   * with Stripe's words; a declined card makes an incomplete deal (answered with its status and
   * invoice); `idempotencyKey` makes a retry answer the same deal.
   */
  createEnterpriseDeal: operatorProcedure
    .input(enterpriseDealInputSchema)
    .output(enterpriseDealSchema)
    .mutation(({ ctx, input }) =>
      requireStripeBilling(ctx.services.stripe).enterpriseDeals.create(input, {
        userId: ctx.user.userId,
        role: ctx.platformRole,
        requestId: ctx.requestId,
      }),
    ),
} satisfies TRPCRouterRecord;
