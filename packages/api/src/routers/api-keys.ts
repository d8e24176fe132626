import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { apiKeysSchema, createdApiKeySchema, revokedApiKeySchema } from '../schemas/api-key-schemas';
import { operatorProcedure } from '../trpc';
import { newApiKeyInput, uuidSchema } from './inputs';

/** Platform keys act for every account: who made or revoked one goes to the operator audit log. */
function auditActorOf(ctx: { user: { userId: string }; platformRole: string; requestId: string }) {
  return { actorUserId: ctx.user.userId, actorRole: ctx.platformRole, requestId: ctx.requestId };
}

/** Service API keys, managed by platform operators (REST: /api/v1/api-keys). */
export const apiKeysRouter = {
  /** The key itself is in this answer only: it is stored as a hash. */
  create: operatorProcedure
    .input(newApiKeyInput)
    .output(createdApiKeySchema)
    .mutation(({ ctx, input }) =>
      ctx.services.apiKeys.create(
        { ...input, scopes: [...new Set(input.scopes)], createdByUserId: ctx.user.userId },
        auditActorOf(ctx),
      ),
    ),
  /** Every key, revoked ones too (newest first), without the keys themselves. */
  list: operatorProcedure
    .input(z.void())
    .output(apiKeysSchema)
    .query(({ ctx }) => ctx.services.apiKeys.list()),
  /** From the next request on, the key answers 401. Revoking it again (or an unknown id): 404. */
  revoke: operatorProcedure
    .input(z.object({ id: uuidSchema }))
    .output(revokedApiKeySchema)
    .mutation(({ ctx, input }) => ctx.services.apiKeys.revoke(input.id, null, auditActorOf(ctx))),
} satisfies TRPCRouterRecord;
