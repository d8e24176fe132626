import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import {
  agentSessionSchema,
  agentSessionsSchema,
  deletedSessionSchema,
  sessionWithRunsSchema,
  startedRunSchema,
} from '../schemas/session-schemas';
import { accountProcedure } from '../trpc';
import { runIdSchema, storableText, uuidSchema } from './inputs';

const sessionIdInput = z.object({ id: uuidSchema });

export const sessionsRouter = {
  create: accountProcedure('run_agents')
    .input(z.object({ title: storableText({ max: 200 }).optional() }).optional())
    .output(agentSessionSchema)
    .mutation(({ ctx, input }) => ctx.services.sessions.create(ctx.tenant, input?.title)),
  list: accountProcedure('run_agents')
    .input(z.void())
    .output(agentSessionsSchema)
    .query(({ ctx }) => ctx.services.sessions.list(ctx.tenant)),
  get: accountProcedure('run_agents')
    .input(sessionIdInput)
    .output(sessionWithRunsSchema)
    .query(({ ctx, input }) => ctx.services.sessions.get(ctx.tenant, input.id)),
  delete: accountProcedure('run_agents')
    .input(sessionIdInput)
    .output(deletedSessionSchema)
    .mutation(({ ctx, input }) => ctx.services.sessions.delete(ctx.tenant, input.id)),
  /**
   * The metered call: sends a message that starts an agent task. Costs one run, once per run id: the
   * guard (reserve → 402 when denied) and the single start live in the session service.
   */
  run: accountProcedure('run_agents')
    .input(
      z.object({
        id: uuidSchema,
        runId: runIdSchema,
        message: storableText({ min: 1, max: 20_000, isTrimmed: true }),
      }),
    )
    .output(startedRunSchema)
    .mutation(({ ctx, input }) =>
      ctx.services.sessions.run(ctx.tenant, {
        sessionId: input.id,
        runId: input.runId,
        message: input.message,
      }),
    ),
} satisfies TRPCRouterRecord;
