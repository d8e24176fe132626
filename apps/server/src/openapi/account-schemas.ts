import { AGENT_RUN_STATUSES, PLATFORM_ROLES } from '@tollgate/db';
import { z } from 'zod';
import { runAuthorizationSchema } from './billing-schemas';
import { isoDateTime } from './common-schemas';

export const publicUserSchema = z.strictObject({
  id: z.string(),
  email: z.string().nullable(),
  createdAt: isoDateTime,
});

export const meSchema = publicUserSchema.extend({
  platformRole: z.enum(PLATFORM_ROLES).nullable().describe('`operator` for people who run Tollgate itself'),
});

export const tokenPairSchema = z.strictObject({
  accessToken: z.string().describe('JWT: send as `Authorization: Bearer <accessToken>`'),
  refreshToken: z.string().describe('Single use: trade it at /auth/refresh for a new pair'),
  expiresIn: z.number().int().describe('Seconds until the access token expires'),
  user: publicUserSchema,
});

export const loggedOutSchema = z.strictObject({ loggedOut: z.literal(true) });

export const agentSessionSchema = z.strictObject({
  id: z.uuid(),
  userId: z.string(),
  title: z.string(),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
});

export const agentSessionsSchema = z.array(agentSessionSchema);

export const agentRunSchema = z.strictObject({
  id: z.uuid(),
  sessionId: z.uuid(),
  userId: z.string(),
  runId: z.string(),
  prompt: z.string(),
  reply: z.string().nullable(),
  status: z.enum(AGENT_RUN_STATUSES),
  createdAt: isoDateTime,
  finishedAt: isoDateTime.nullable(),
});

export const sessionWithRunsSchema = agentSessionSchema.extend({ runs: z.array(agentRunSchema) });

export const deletedSessionSchema = z.strictObject({ id: z.uuid(), deleted: z.literal(true) });

export const startedRunSchema = z.strictObject({ run: agentRunSchema, usage: runAuthorizationSchema });
