import { CHECKOUT_PLAN_IDS, PLANS, PLAN_IDS, RUN_PACK_IDS } from '@tollgate/domain';
import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { requireStripeBilling } from '../billing';
import { checkoutRefusal } from '../billing/billing-service';
import {
  checkoutSessionSchema,
  invoicesSchema,
  plansSchema,
  portalSessionSchema,
  subscriptionOverviewSchema,
} from '../schemas/billing-schemas';
import { spendOverviewSchema, spendSettingsInputSchema } from '../schemas/spend-schemas';
import { accountProcedure, actingForAccountProcedure, publicProcedure } from '../trpc';

const redirectUrl = z.string().min(1).max(2048);

export const billingRouter = {
  plans: publicProcedure
    .input(z.void())
    .output(plansSchema)
    .query(() => PLAN_IDS.map((id) => PLANS[id])),
  subscription: actingForAccountProcedure('subscriptions:read', 'view_billing')
    .output(subscriptionOverviewSchema)
    .query(({ ctx }) => ctx.services.subscriptions.overview(ctx.tenant)),
  /*
   * The verification gate: a trial and a checkout need the calling user's verified email (on a team
   * account too: the check is on who calls, not on the account). FREE runs need none: an unverified
   * user can sign in, see everything and use the free tier. Host-platform users are vouched for.
   */
  activateTrial: accountProcedure('manage_billing')
    .input(z.void())
    .output(subscriptionOverviewSchema)
    .mutation(async ({ ctx }) => {
      await ctx.services.emailVerification.requireVerified(ctx.user.userId);
      return ctx.services.subscriptions.activateTrial(ctx.tenant);
    }),
  /** Stripe Checkout for a plan of the account's kind (checkoutPlansFor); redirect URLs must be on APP_URL's origin. */
  createCheckoutSession: accountProcedure('manage_billing')
    .input(
      z.object({
        plan: z.enum(CHECKOUT_PLAN_IDS, { error: `plan must be one of ${CHECKOUT_PLAN_IDS.join(', ')}` }),
        successUrl: redirectUrl.optional(),
        cancelUrl: redirectUrl.optional(),
      }),
    )
    .output(checkoutSessionSchema)
    .mutation(async ({ ctx, input }) => {
      await ctx.services.emailVerification.requireVerified(ctx.user.userId);
      // A plan the account's kind can't buy is an invalid `plan` field, like an unknown one.
      const refusal = checkoutRefusal(input.plan, ctx.tenant.kind);
      if (refusal) {
        const issue = { code: 'custom' as const, path: ['plan'], message: refusal, input: input.plan };
        throw new TRPCError({ code: 'BAD_REQUEST', message: refusal, cause: new z.ZodRealError([issue]) });
      }
      return requireStripeBilling(ctx.services.stripe).createCheckoutSession(ctx.tenant, input);
    }),
  /**
   * Stripe Checkout in payment mode for a run pack (any plan, team or personal). The pack is credited
   * by the webhook once Stripe says it is paid; it expires 12 calendar months after purchase.
   */
  createPackCheckout: accountProcedure('manage_billing')
    .input(
      z.object({
        packId: z.enum(RUN_PACK_IDS, { error: `packId must be one of ${RUN_PACK_IDS.join(', ')}` }),
        successUrl: redirectUrl.optional(),
        cancelUrl: redirectUrl.optional(),
      }),
    )
    .output(checkoutSessionSchema)
    .mutation(async ({ ctx, input }) => {
      await ctx.services.emailVerification.requireVerified(ctx.user.userId);
      return requireStripeBilling(ctx.services.stripe).createPackCheckout(ctx.tenant, input);
    }),
  /** Stripe Customer Portal: change plan, card, cancel or resume. */
  createPortalSession: accountProcedure('manage_billing')
    .input(z.object({ returnUrl: redirectUrl.optional() }).default({}))
    .output(portalSessionSchema)
    .mutation(({ ctx, input }) =>
      requireStripeBilling(ctx.services.stripe).createPortalSession(ctx.tenant, input),
    ),
  /**
   * Overage (runs past the plan and credits, billed per run), the spend caps (the account's and an
   * operator's: the stricter wins), this period's overage spend with a forecast, and auto top-up.
   */
  spendSettings: accountProcedure('view_billing')
    .input(z.void())
    .output(spendOverviewSchema)
    .query(({ ctx }) => ctx.services.spend.overview(ctx.tenant)),
  /**
   * Owners and admins: turn overage on or off (on needs a Basic, Pro or Team subscription: the metered
   * price is added to it), set or clear the cap (money or runs; takes effect on the next
   * authorization), set or clear auto top-up. Fields left out stay as they are.
   */
  updateSpendSettings: accountProcedure('manage_billing')
    .input(spendSettingsInputSchema)
    .output(spendOverviewSchema)
    .mutation(({ ctx, input }) => ctx.services.spend.update(ctx.tenant, input)),
  invoices: accountProcedure('manage_billing')
    .input(z.void())
    .output(invoicesSchema)
    .query(({ ctx }) => requireStripeBilling(ctx.services.stripe).listInvoices(ctx.tenant)),
} satisfies TRPCRouterRecord;
