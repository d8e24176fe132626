import { planIdSchema, subscriptionStatusSchema } from '@tollgate/domain';
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import type { Context } from '../context';
import { creditGrantViewSchema } from '../schemas/balance-schemas';
import { customerDetailSchema, customerPageSchema, customerSearchSchema } from '../schemas/console-schemas';
import { isoDateTime } from '../schemas/wire-date';
import {
  cancelAccountSubscription,
  consoleCustomer,
  resyncAccount,
  revokeCredits,
  searchConsoleCustomers,
  type ConsoleContext,
} from '../services/console-service';
import type { StaffActor } from '../services/override-service';
import { operatorProcedure, staffProcedure } from '../trpc';
import { staffReasonSchema } from './inputs';

const subscriptionFactsSchema = z
  .object({
    plan: planIdSchema,
    status: subscriptionStatusSchema,
    cancelAtPeriodEnd: z.boolean(),
    currentPeriodEnd: isoDateTime.nullable(),
    stripeSubscriptionId: z.string().nullable(),
  })
  .nullable();

/** admin.resync and admin.cancelSubscription: the account's subscription before and after. */
export const subscriptionChangeSchema = z.object({
  before: subscriptionFactsSchema,
  after: subscriptionFactsSchema,
});

export const resyncResultSchema = subscriptionChangeSchema.extend({ isChanged: z.boolean() });

function consoleOf(ctx: Pick<Context, 'deps' | 'services'>): ConsoleContext {
  return { deps: ctx.deps, services: ctx.services };
}

function staffOf(ctx: { user: { userId: string }; platformRole: StaffActor['role']; requestId: string }) {
  return { userId: ctx.user.userId, role: ctx.platformRole, requestId: ctx.requestId };
}

/** The operator console: find a customer, see everything about it, act on its credits and Stripe. */
export const adminCustomersRouter = {
  /** Search, filter and sort every account on the server, a page at a time (staff: support reads too). */
  customers: staffProcedure
    .input(customerSearchSchema)
    .output(customerPageSchema)
    .query(({ ctx, input }) => searchConsoleCustomers(consoleOf(ctx), input)),
  /** One account: subscription, overrides, members, balance, 30 days of runs, invoices, timeline. */
  customer: staffProcedure
    .input(z.object({ accountId: z.uuid() }))
    .output(customerDetailSchema)
    .query(({ ctx, input }) => consoleCustomer(consoleOf(ctx), input.accountId)),
  /**
   * Takes back what a grant still holds (spent runs stay spent; units a running run gives back later
   * are taken too): the next authorization can't draw from it. A grant holding nothing → 409. One
   * audit row with the grant before and after.
   */
  revokeCredits: operatorProcedure
    .input(z.object({ accountId: z.uuid(), grantId: z.uuid(), reason: staffReasonSchema }))
    .output(creditGrantViewSchema)
    .mutation(({ ctx, input }) => revokeCredits(consoleOf(ctx), staffOf(ctx), input)),
  /**
   * Fetches the account's Stripe subscription again and applies it through the webhooks' sync (drift,
   * a lost webhook). 412 without a Stripe subscription; 502 when Stripe can't be reached. One audit row.
   */
  resync: operatorProcedure
    .input(z.object({ accountId: z.uuid(), reason: staffReasonSchema }))
    .output(resyncResultSchema)
    .mutation(({ ctx, input }) => resyncAccount(consoleOf(ctx), staffOf(ctx), input)),
  /**
   * Cancels the account's subscription at Stripe, at the period's end or now, and syncs it at once.
   * 412 without a Stripe subscription, 409 when it already ended, 502 when Stripe can't be reached.
   */
  cancelSubscription: operatorProcedure
    .input(z.object({ accountId: z.uuid(), atPeriodEnd: z.boolean(), reason: staffReasonSchema }))
    .output(subscriptionChangeSchema)
    .mutation(({ ctx, input }) => cancelAccountSubscription(consoleOf(ctx), staffOf(ctx), input)),
} satisfies TRPCRouterRecord;
