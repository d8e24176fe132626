import { AGENT_RUN_STATUSES } from '@tollgate/db';
import { z } from 'zod';
import { runAuthorizationSchema } from './usage-schemas';
import { isoDateTime } from './wire-date';

export const agentSessionSchema = z.object({
  id: z.uuid(),
  accountId: z.uuid(),
  userId: z.string(),
  title: z.string(),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
});

export const agentSessionsSchema = z.array(agentSessionSchema);

export const agentRunSchema = z.object({
  id: z.uuid(),
  sessionId: z.uuid(),
  accountId: z.uuid(),
  userId: z.string().describe('The member who ran it'),
  runId: z.string(),
  prompt: z.string(),
  reply: z.string().nullable(),
  status: z.enum(AGENT_RUN_STATUSES),
  createdAt: isoDateTime,
  finishedAt: isoDateTime.nullable(),
});

export const sessionWithRunsSchema = agentSessionSchema.extend({ runs: z.array(agentRunSchema) });

export const deletedSessionSchema = z.object({ id: z.uuid(), deleted: z.literal(true) });

/** `sessions.run`: the agent run and the run it was charged as. */
export const startedRunSchema = z.object({ run: agentRunSchema, usage: runAuthorizationSchema });
