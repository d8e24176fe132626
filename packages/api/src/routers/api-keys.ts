import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { API_KEY_SCOPES } from '../auth/api-key-format';
import { operatorProcedure } from '../trpc';
import { storableText, uuidSchema } from './inputs';

export const apiKeysRouter = {
  /** The key itself is in this answer only: it is stored as a hash. */
  create: operatorProcedure
    .input(
      z.object({
        name: storableText({ min: 1, max: 100, isTrimmed: true }),
        scopes: z.array(z.enum(API_KEY_SCOPES)).min(1),
      }),
    )
    .mutation(({ ctx, input }) =>
      ctx.services.apiKeys.create({
        ...input,
        scopes: [...new Set(input.scopes)],
        createdByUserId: ctx.user.userId,
      }),
    ),
  list: operatorProcedure.input(z.void()).query(({ ctx }) => ctx.services.apiKeys.list()),
  revoke: operatorProcedure
    .input(z.object({ id: uuidSchema }))
    .mutation(({ ctx, input }) => ctx.services.apiKeys.revoke(input.id)),
} satisfies TRPCRouterRecord;
