import type { TRPCRouterRecord } from '@trpc/server';
import { requireStripeBilling } from '../billing';
import { enterpriseDealInputSchema, enterpriseDealSchema } from '../schemas/console-schemas';
import { operatorProcedure } from '../trpc';

export const adminDealsRouter = {
  /**
   * Sells an ENTERPRISE deal: a price made at Stripe for this account (known to the catalog mapping),
   * the account's subscription on it (new, billed by card or by invoice; or the live one switched),
   * and the deal's run limit as an override, which takes effect on the next authorization. One audit
   * row with the deal. Stripe's refusals (no card on file, declined) answer 400 with Stripe's words.
   */
  createEnterpriseDeal: operatorProcedure
    .input(enterpriseDealInputSchema)
    .output(enterpriseDealSchema)
    .mutation(async ({ ctx, input }) => {
      const deal = await requireStripeBilling(ctx.services.stripe).enterpriseDeals.create(
        input,
        ctx.user.userId,
      );
      await ctx.services.overrides.change(
        { userId: ctx.user.userId, role: ctx.platformRole, requestId: ctx.requestId },
        {
          accountId: input.accountId,
          action: 'enterprise_deal',
          change: { runLimit: input.runLimit },
          reason: input.reason,
          auditDetail: {
            deal: {
              stripePriceId: deal.stripePriceId,
              stripeSubscriptionId: deal.stripeSubscriptionId,
              priceCents: deal.priceCents,
              interval: deal.interval,
              collection: deal.collection,
            },
          },
        },
      );
      return deal;
    }),
} satisfies TRPCRouterRecord;
