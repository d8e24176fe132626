import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { runActorOf } from '../run-actor';
import { MAX_RUN_UNITS } from '@tollgate/domain';
import { balanceSchema } from '../schemas/balance-schemas';
import {
  releasedRunSchema,
  runAuthorizationSchema,
  settledRunSchema,
  startedRunStateSchema,
} from '../schemas/usage-schemas';
import { usageAlertSettingsSchema } from '../schemas/notification-schemas';
import { accountProcedure, actingForAccountProcedure, serviceForRunProcedure } from '../trpc';
import { attemptIdSchema, requestHashSchema, runIdSchema } from './inputs';

const runInput = z.object({ runId: runIdSchema });
const unitsSchema = z.number().int().min(1).max(MAX_RUN_UNITS);

export const usageRouter = {
  /**
   * Reserves one run (checks and counts it). The same runId with the same caller and requestHash is a
   * retry: nothing counted, `state` says where the run is. Another request with that runId → 409
   * RUN_ID_REUSED. Denied → PAYMENT_REQUIRED (HTTP 402). `estimate` (default 1) reserves that many units,
   * from the plan's allowance first, then packs and grants; `usage.settle` charges the actual cost.
   */
  authorize: actingForAccountProcedure('runs:authorize', 'run_agents')
    .input(runInput.extend({ requestHash: requestHashSchema.optional(), estimate: unitsSchema.optional() }))
    .output(runAuthorizationSchema)
    .mutation(({ ctx, input }) =>
      ctx.services.usage.authorize(
        runActorOf(ctx.actingActor),
        ctx.tenant,
        input.runId,
        input.requestHash,
        input.estimate,
      ),
    ),
  /**
   * `reserved → started` by the caller that reserved the run: once per run id; another start → 409
   * RUN_ALREADY_STARTED. `attemptId` (made per start call, resent on retry) makes a lost answer safe
   * to ask for again. Only for a current member: work must not begin for someone who has left (their
   * reserved runs are released by the service or the start sweeper), while release and settle still
   * finish the runs of a member who left.
   */
  start: actingForAccountProcedure('runs:authorize', 'run_agents')
    .input(runInput.extend({ attemptId: attemptIdSchema.optional() }))
    .output(startedRunStateSchema)
    .mutation(({ ctx, input }) =>
      ctx.services.usage.start(runActorOf(ctx.actingActor), ctx.tenant, input.runId, input.attemptId),
    ),
  /** Gives back a reserved run that never started: a service's act (runs:release), never a user's. */
  release: serviceForRunProcedure('runs:release')
    .input(runInput)
    .output(releasedRunSchema)
    .mutation(({ ctx, input }) =>
      ctx.services.usage.release(runActorOf(ctx.service), ctx.tenant, input.runId),
    ),
  /**
   * `started → settled` with the run's actual cost: a service's act (runs:settle), only by the key that
   * reserved the run. Below the estimate the rest goes back; an overrun is charged up to what the
   * balance still holds. `actual` ≥ 1 (a started run did work). The member named may have left the
   * account since the run was reserved: the run is still theirs, charged on their counter.
   */
  settle: serviceForRunProcedure('runs:settle')
    .input(runInput.extend({ actual: unitsSchema }))
    .output(settledRunSchema)
    .mutation(({ ctx, input }) =>
      ctx.services.usage.settle(runActorOf(ctx.service), ctx.tenant, input.runId, input.actual),
    ),
  /** Everything the active account can spend: the plan's allowance this period, then each pack and grant. */
  balance: accountProcedure('view_billing')
    .input(z.void())
    .output(balanceSchema)
    .query(({ ctx }) => ctx.services.credits.balance(ctx.tenant)),
  /** The active account's usage-alert thresholds (any member may read them). */
  alertSettings: accountProcedure('view_billing')
    .input(z.void())
    .output(usageAlertSettingsSchema)
    .query(({ ctx }) => ctx.services.notifications.alertSettings(ctx.tenant.accountId)),
  /** Owners and admins set when the account's usage alerts fire (each once per period). */
  setAlertSettings: accountProcedure('manage_billing')
    .input(
      z.object({
        percents: z
          .array(z.number().int().min(1).max(100))
          .max(5)
          .refine((list) => new Set(list).size === list.length, 'each percent once'),
        runsRemaining: z.number().int().min(1).max(1_000_000).nullable(),
      }),
    )
    .output(usageAlertSettingsSchema)
    .mutation(({ ctx, input }) => ctx.services.notifications.setAlertSettings(ctx.tenant.accountId, input)),
} satisfies TRPCRouterRecord;
