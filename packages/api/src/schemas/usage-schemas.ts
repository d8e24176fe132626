import { RUN_STATES } from '@tollgate/db';
import { planIdSchema, subscriptionStatusSchema } from '@tollgate/domain';
import { z } from 'zod';
import { isoDateTime } from './wire-date';

/** `usage.authorize`: the reserved run and the usage it leaves. */
export const runAuthorizationSchema = z.object({
  runId: z.string(),
  isReplay: z
    .boolean()
    .describe('True when this run id was reserved before by the same request: nothing was counted'),
  state: z
    .enum(RUN_STATES)
    .describe(
      'reserved: its work may start once (usage.start); started / settled: its work began, never start it again; released: given back',
    ),
  plan: planIdSchema,
  status: subscriptionStatusSchema,
  used: z.number().int().describe("Units used of the plan's allowance this period"),
  limit: z.number().int().describe("The plan's allowance this period"),
  remaining: z
    .number()
    .int()
    .describe('Every unit the account can still spend: what the allowance has left plus credits'),
  credits: z.number().int().optional().describe('Units left in packs and grants (spent after the allowance)'),
  reserved: z.number().int().optional().describe('Units this run reserved (its estimate)'),
  resetsAt: isoDateTime,
});

/**
 * A reserved run with `Date`s (the schema's input side, what the service returns). `isReplay`: reserved
 * before by the same request, nothing counted this time; `state`: `reserved` (its work may start
 * once), `started`, `settled` or `released`.
 */
export type RunAuthorization = z.input<typeof runAuthorizationSchema>;

/** `usage.start`: the run's one `reserved → started` transition. */
export const startedRunStateSchema = z.object({
  runId: z.string(),
  state: z.literal('started'),
  startedAt: isoDateTime,
  isReplay: z.boolean().describe('True when this attemptId had started the run before (a retried start)'),
});

/** `usage.settle`: a started run's final cost. */
export const settledRunSchema = z.object({
  runId: z.string(),
  state: z.literal('settled'),
  estimate: z.number().int().describe('Units reserved when the run was authorized'),
  actual: z.number().int().describe('Units the settling caller said the run cost'),
  charged: z
    .number()
    .int()
    .describe('Units charged: actual, or less when an overrun went past what the balance held'),
  settledAt: isoDateTime,
  isReplay: z.boolean().describe('True when the run was settled before with the same actual'),
});

/** `usage.release`: a reserved run given back. */
export const releasedRunSchema = z.object({
  runId: z.string(),
  released: z.literal(true),
  isReplay: z.boolean(),
});
