import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { actingForUserProcedure } from '../trpc';
import { runIdSchema } from './inputs';

const runInput = z.object({ runId: runIdSchema });

export const usageRouter = {
  /** Checks and consumes one run; idempotent on runId. Denied → PAYMENT_REQUIRED (HTTP 402). */
  authorize: actingForUserProcedure('runs:authorize')
    .input(runInput)
    .mutation(({ ctx, input }) => ctx.services.usage.authorize(ctx.targetUserId, input.runId)),
  /** Refunds a run that failed to start, once, shortly after it was authorized. */
  release: actingForUserProcedure('runs:authorize')
    .input(runInput)
    .mutation(({ ctx, input }) => ctx.services.usage.release(ctx.targetUserId, input.runId)),
} satisfies TRPCRouterRecord;
