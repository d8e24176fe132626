import { experimental_standaloneMiddleware } from '@trpc/server';
import type { Context } from './context';
import type { UserActor } from './trpc';

/**
 * The tRPC side of the 402 guard: authorizes (checks and consumes) the run named by `input.runId`
 * before the procedure starts its work. Denied → PAYMENT_REQUIRED with the structured 402 body in
 * `error.data.paymentRequired`. The Express guard in apps/server does the same for REST routes.
 */
export const meteredRun = experimental_standaloneMiddleware<{
  ctx: Context & { user: UserActor };
  input: { runId: string };
}>().create(async ({ ctx, input, next }) =>
  next({ ctx: { runAuthorization: await ctx.services.usage.authorize(ctx.user.userId, input.runId) } }),
);
