import {
  listDuplicateSubscriptions,
  listFailedEvents,
  listSubscriptionsWithUnknownPrice,
} from '@tollgate/db';
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { requireStripeBilling } from '../billing';
import {
  duplicateSubscriptionSchema,
  failedWebhookSchema,
  reconcileReportSchema,
  unknownPriceSubscriptionSchema,
  webhookOutcomeSchema,
} from '../schemas/admin-schemas';
import { operatorProcedure } from '../trpc';

export const adminRouter = {
  /** Subscriptions on a Stripe price Tollgate doesn't know: their plan was kept; someone must decide. */
  unknownPrices: operatorProcedure
    .input(z.void())
    .output(z.array(unknownPriceSubscriptionSchema))
    .query(({ ctx }) => listSubscriptionsWithUnknownPrice(ctx.deps.db)),
  /**
   * Stripe webhooks that can never be applied as delivered (object missing at Stripe, a shape Tollgate
   * can't read, no account owns it): answered 200 so Stripe stopped retrying, listed here with the
   * reason, newest first, until a replay succeeds.
   */
  failedWebhooks: operatorProcedure
    .input(z.void())
    .output(z.array(failedWebhookSchema))
    .query(({ ctx }) => listFailedEvents(ctx.deps.db)),
  /**
   * Applies a failed webhook again once its cause is fixed: re-fetched from Stripe (events.retrieve)
   * and processed like a delivery. Answers the outcome (`processed`, `ignored`, `duplicate` when it
   * was applied meanwhile, or `failed` again with the new reason).
   */
  replayWebhook: operatorProcedure
    // A Stripe event id (`evt_…`): anything else can't name an event, and a lone surrogate would make the
    // Stripe client's URL encoding throw (a 500) instead of a 400.
    .input(
      z.object({
        eventId: z
          .string()
          .min(1)
          .max(255)
          .regex(/^[A-Za-z0-9_]+$/, 'must be a Stripe event id (evt_…)'),
      }),
    )
    .output(webhookOutcomeSchema)
    .mutation(({ ctx, input }) => requireStripeBilling(ctx.services.stripe).replayWebhook(input.eventId)),
  /**
   * Second live subscriptions (two Checkout sessions both paid): the one canceled at Stripe, what the
   * customer paid for it (to refund), and a cancellation still to do (canceledAt null, lastError).
   */
  duplicateSubscriptions: operatorProcedure
    .input(z.void())
    .output(z.array(duplicateSubscriptionSchema))
    .query(({ ctx }) => listDuplicateSubscriptions(ctx.deps.db)),
  /** Re-fetches every linked subscription from Stripe now and reports what it corrected. */
  reconcile: operatorProcedure
    .input(z.void())
    .output(reconcileReportSchema)
    .mutation(({ ctx }) => requireStripeBilling(ctx.services.stripe).reconcile()),
} satisfies TRPCRouterRecord;
