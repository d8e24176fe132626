import { listDuplicateSubscriptions, listSubscriptionsWithUnknownPrice } from '@tollgate/db';
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
