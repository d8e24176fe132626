import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { operatorSchema, operatorsSchema, revokedOperatorSchema } from '../schemas/operator-schemas';
import { operatorProcedure, protectedProcedure } from '../trpc';
import { emailSchema, userIdSchema } from './inputs';

const bootstrapTokenSchema = z.string().trim().min(1).max(200);

/** Platform operators: a role stored on the user, never derived from an email or a token claim. */
export const operatorsRouter = {
  /**
   * The first operator: a signed-in user presents the one-time token a server printed at start. Works
   * once per token and only while no operator exists (409 afterwards).
   */
  claimBootstrap: protectedProcedure
    .input(z.object({ token: bootstrapTokenSchema }))
    .output(operatorSchema)
    .mutation(({ ctx, input }) => {
      if (!ctx.services.authRateLimiter.hit(`operators.claimBootstrap:${ctx.ip}`, ctx.deps.now())) {
        throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: 'Too many attempts: wait a minute' });
      }
      return ctx.services.operators.claimBootstrap(ctx.user.userId, input.token);
    }),
  /** Grants the role to an existing user, by id or by the email of a built-in account. */
  grant: operatorProcedure
    .input(z.union([z.strictObject({ userId: userIdSchema }), z.strictObject({ email: emailSchema })]))
    .output(operatorSchema)
    .mutation(({ ctx, input }) => ctx.services.operators.grant(input, ctx.user.userId)),
  /** Takes the role away (effective on the target's next call); the last operator can't be revoked. */
  revoke: operatorProcedure
    .input(z.object({ userId: userIdSchema }))
    .output(revokedOperatorSchema)
    .mutation(({ ctx, input }) => ctx.services.operators.revoke(input.userId)),
  list: operatorProcedure
    .input(z.void())
    .output(operatorsSchema)
    .query(({ ctx }) => ctx.services.operators.list()),
} satisfies TRPCRouterRecord;
