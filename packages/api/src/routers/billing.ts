import { CHECKOUT_PLAN_IDS, PLANS, PLAN_IDS } from '@tollgate/domain';
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { requireStripeBilling } from '../billing';
import {
  checkoutSessionSchema,
  invoicesSchema,
  plansSchema,
  portalSessionSchema,
  subscriptionOverviewSchema,
} from '../schemas/billing-schemas';
import { actingForUserProcedure, protectedProcedure, publicProcedure } from '../trpc';

const redirectUrl = z.string().min(1).max(2048);

export const billingRouter = {
  plans: publicProcedure
    .input(z.void())
    .output(plansSchema)
    .query(() => PLAN_IDS.map((id) => PLANS[id])),
  subscription: actingForUserProcedure('subscriptions:read')
    .output(subscriptionOverviewSchema)
    .query(({ ctx }) => ctx.services.subscriptions.overview(ctx.targetUserId)),
  activateTrial: protectedProcedure
    .input(z.void())
    .output(subscriptionOverviewSchema)
    .mutation(({ ctx }) => ctx.services.subscriptions.activateTrial(ctx.user.userId)),
  /** Stripe Checkout for BASIC or PRO; redirect URLs must be on APP_URL's origin. */
  createCheckoutSession: protectedProcedure
    .input(
      z.object({
        plan: z.enum(CHECKOUT_PLAN_IDS, { error: `plan must be one of ${CHECKOUT_PLAN_IDS.join(', ')}` }),
        successUrl: redirectUrl.optional(),
        cancelUrl: redirectUrl.optional(),
      }),
    )
    .output(checkoutSessionSchema)
    .mutation(({ ctx, input }) =>
      requireStripeBilling(ctx.services.stripe).createCheckoutSession(ctx.user.userId, input),
    ),
  /** Stripe Customer Portal: change plan, card, cancel or resume. */
  createPortalSession: protectedProcedure
    .input(z.object({ returnUrl: redirectUrl.optional() }).default({}))
    .output(portalSessionSchema)
    .mutation(({ ctx, input }) =>
      requireStripeBilling(ctx.services.stripe).createPortalSession(ctx.user.userId, input),
    ),
  invoices: protectedProcedure
    .input(z.void())
    .output(invoicesSchema)
    .query(({ ctx }) => requireStripeBilling(ctx.services.stripe).listInvoices(ctx.user.userId)),
} satisfies TRPCRouterRecord;
