import { CHECKOUT_PLAN_IDS, PLANS, PLAN_IDS, checkoutPlansFor, isPlanForAccountKind } from '@tollgate/domain';
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

/**
 * Checkout buys for the caller's personal account (team accounts come with issue 15's accounts step),
 * so only the personal plans are on sale here; TEAM is refused with a reason rather than as an
 * unknown plan, since it is in the catalog.
 */
const PERSONAL_PLANS = checkoutPlansFor('personal');
const personalCheckoutPlanSchema = z
  .enum(CHECKOUT_PLAN_IDS, { error: `plan must be one of ${PERSONAL_PLANS.join(', ')}` })
  .refine((plan) => isPlanForAccountKind(plan, 'personal'), {
    error: (issue) =>
      `plan ${String(issue.input)} is for team accounts; a personal account can buy ${PERSONAL_PLANS.join(', ')}`,
  });

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
  /** Stripe Checkout for BASIC or PRO (not TEAM: see above); redirect URLs must be on APP_URL's origin. */
  createCheckoutSession: protectedProcedure
    .input(
      z.object({
        plan: personalCheckoutPlanSchema,
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
