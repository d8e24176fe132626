import { PLATFORM_ROLES } from '@tollgate/db';
import { z } from 'zod';
import { isoDateTime } from './wire-date';

export const publicUserSchema = z.object({
  id: z.string(),
  email: z.string().nullable(),
  createdAt: isoDateTime,
});

export const meSchema = publicUserSchema.extend({
  platformRole: z.enum(PLATFORM_ROLES).nullable().describe('`operator` for people who run Tollgate itself'),
});

export const tokenPairSchema = z.object({
  accessToken: z.string().describe('JWT: send as `Authorization: Bearer <accessToken>`'),
  refreshToken: z.string().describe('Single use: trade it at /auth/refresh for a new pair'),
  expiresIn: z.number().int().describe('Seconds until the access token expires'),
  user: publicUserSchema,
});

export const loggedOutSchema = z.object({ loggedOut: z.literal(true) });
