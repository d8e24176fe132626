import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { PLATFORM_ROLES } from '@tollgate/db';
import { z } from 'zod';
import { operatorSchema, operatorsSchema, revokedOperatorSchema } from '../schemas/operator-schemas';
import { grantRoleAudited, revokeRoleAudited } from '../services/console-service';
import { operatorProcedure, protectedProcedure } from '../trpc';
import { emailSchema, optionalStaffReasonSchema, userIdSchema } from './inputs';

const bootstrapTokenSchema = z.string().trim().min(1).max(200);

/** Platform operators: a role stored on the user, never derived from an email or a token claim. */
/** `operator` (default) or `support`: read everything, extend trials, grant a bounded number of runs. */
const platformRoleSchema = z.enum(PLATFORM_ROLES);
/** Optional (existing callers send none); stored in the audit row ("" when absent). */

function actorOf(ctx: { user: { userId: string }; platformRole: 'operator'; requestId: string }) {
  return { userId: ctx.user.userId, role: ctx.platformRole, requestId: ctx.requestId };
}

export const operatorsRouter = {
  /**
   * The first operator: a signed-in user presents the one-time token a server printed at start. Works
   * once per token and only while no operator exists (409 afterwards).
   */
  claimBootstrap: protectedProcedure
    .input(z.object({ token: bootstrapTokenSchema }))
    .output(operatorSchema)
    .mutation(async ({ ctx, input }) => {
      if (!(await ctx.services.authRateLimiter.hit(`operators.claimBootstrap:${ctx.ip}`, ctx.deps.now()))) {
        throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: 'Too many attempts: wait a minute' });
      }
      return ctx.services.operators.claimBootstrap(ctx.user.userId, input.token, ctx.requestId);
    }),
  /** Grants the role to an existing user, by id or by the email of a built-in account. */
  grant: operatorProcedure
    .input(
      z.union([
        z.strictObject({
          userId: userIdSchema,
          role: platformRoleSchema.optional(),
          reason: optionalStaffReasonSchema,
        }),
        z.strictObject({
          email: emailSchema,
          role: platformRoleSchema.optional(),
          reason: optionalStaffReasonSchema,
        }),
      ]),
    )
    .output(operatorSchema)
    // The role change and its one audit row commit together.
    .mutation(({ ctx, input }) =>
      grantRoleAudited(ctx, actorOf(ctx), {
        target: 'userId' in input ? { userId: input.userId } : { email: input.email },
        role: input.role ?? 'operator',
        reason: input.reason ?? '',
      }),
    ),
  /** Takes the role away (effective on the target's next call); the last operator can't be revoked. */
  revoke: operatorProcedure
    .input(z.object({ userId: userIdSchema, reason: optionalStaffReasonSchema }))
    .output(revokedOperatorSchema)
    .mutation(({ ctx, input }) =>
      revokeRoleAudited(ctx, actorOf(ctx), { userId: input.userId, reason: input.reason ?? '' }),
    ),
  list: operatorProcedure
    .input(z.void())
    .output(operatorsSchema)
    .query(({ ctx }) => ctx.services.operators.list()),
} satisfies TRPCRouterRecord;
