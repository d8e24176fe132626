import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { meteredRun } from '../metered-run';
import { protectedProcedure } from '../trpc';
import { runIdSchema, storableText, uuidSchema } from './inputs';

const sessionIdInput = z.object({ id: uuidSchema });

export const sessionsRouter = {
  create: protectedProcedure
    .input(z.object({ title: storableText({ max: 200 }).optional() }).optional())
    .mutation(({ ctx, input }) => ctx.services.sessions.create(ctx.user.userId, input?.title)),
  list: protectedProcedure.input(z.void()).query(({ ctx }) => ctx.services.sessions.list(ctx.user.userId)),
  get: protectedProcedure
    .input(sessionIdInput)
    .query(({ ctx, input }) => ctx.services.sessions.get(ctx.user.userId, input.id)),
  delete: protectedProcedure
    .input(sessionIdInput)
    .mutation(({ ctx, input }) => ctx.services.sessions.delete(ctx.user.userId, input.id)),
  /** The metered call: sends a message that starts an agent task. Costs one run. */
  run: protectedProcedure
    .input(
      z.object({
        id: uuidSchema,
        runId: runIdSchema,
        message: storableText({ min: 1, max: 20_000, isTrimmed: true }),
      }),
    )
    // Ownership first, so a wrong or foreign session id is a free NOT_FOUND.
    .use(async ({ ctx, input, next }) => {
      await ctx.services.sessions.requireSession(ctx.user.userId, input.id);
      return next();
    })
    .use(meteredRun)
    .mutation(({ ctx, input }) =>
      ctx.services.sessions.startRun(ctx.user.userId, input.id, input.message, ctx.runAuthorization),
    ),
} satisfies TRPCRouterRecord;
