import {
  listDuplicateSubscriptions,
  listFailedEvents,
  listSubscriptionsWithUnknownPrice,
} from '@tollgate/db';
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { requireStripeBilling } from '../billing';
import { operatorProcedure } from '../trpc';

export const adminRouter = {
  /** Subscriptions on a Stripe price Tollgate doesn't know: their plan was kept; someone must decide. */
  unknownPrices: operatorProcedure
    .input(z.void())
    .query(({ ctx }) => listSubscriptionsWithUnknownPrice(ctx.deps.db)),
  /**
   * Stripe webhooks that can never be applied as delivered (object missing at Stripe, a shape Tollgate
   * can't read, no account owns it): answered 200 so Stripe stopped retrying, listed here with the
   * reason, newest first, until a replay succeeds.
   */
  failedWebhooks: operatorProcedure.input(z.void()).query(({ ctx }) => listFailedEvents(ctx.deps.db)),
  /**
   * Applies a failed webhook again once its cause is fixed: re-fetched from Stripe (events.retrieve)
   * and processed like a delivery. Answers the outcome (`processed`, `ignored`, `duplicate` when it
   * was applied meanwhile, or `failed` again with the new reason).
   */
  replayWebhook: operatorProcedure
    .input(z.object({ eventId: z.string().min(1).max(255) }))
    .mutation(({ ctx, input }) => requireStripeBilling(ctx.services.stripe).replayWebhook(input.eventId)),
  /**
   * Second live subscriptions (two Checkout sessions both paid): the one canceled at Stripe, what the
   * customer paid for it (to refund), and a cancellation still to do (canceledAt null, lastError).
   */
  duplicateSubscriptions: operatorProcedure
    .input(z.void())
    .query(({ ctx }) => listDuplicateSubscriptions(ctx.deps.db)),
  /** Re-fetches every linked subscription from Stripe now and reports what it corrected. */
  reconcile: operatorProcedure
    .input(z.void())
    .mutation(({ ctx }) => requireStripeBilling(ctx.services.stripe).reconcile()),
} satisfies TRPCRouterRecord;
