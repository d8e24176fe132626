import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { actingForUserProcedure, protectedProcedure, publicProcedure } from '../trpc';
import { PLANS, PLAN_IDS } from '@tollgate/domain';

export const billingRouter = {
  plans: publicProcedure.input(z.void()).query(() => PLAN_IDS.map((id) => PLANS[id])),
  subscription: actingForUserProcedure('subscriptions:read').query(({ ctx }) =>
    ctx.services.subscriptions.overview(ctx.targetUserId),
  ),
  activateTrial: protectedProcedure
    .input(z.void())
    .mutation(({ ctx }) => ctx.services.subscriptions.activateTrial(ctx.user.userId)),
} satisfies TRPCRouterRecord;
