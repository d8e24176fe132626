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
  emailVerified: z
    .boolean()
    .describe(
      'Whether the address is verified (trials and checkout need it; host-platform users always are)',
    ),
});

export const tokenPairSchema = z.object({
  accessToken: z.string().describe('JWT: send as `Authorization: Bearer <accessToken>`'),
  refreshToken: z.string().describe('Single use: trade it at /auth/refresh for a new pair'),
  expiresIn: z.number().int().describe('Seconds until the access token expires'),
  user: publicUserSchema,
});

export const loggedOutSchema = z.object({ loggedOut: z.literal(true) });

export const verificationSentSchema = z.object({
  sent: z.boolean().describe('false: the address is already verified (nothing was sent)'),
});

export const emailVerifiedSchema = z.object({ verified: z.literal(true), email: z.string() });

export const passwordResetAcceptedSchema = z.object({
  accepted: z
    .literal(true)
    .describe('The same answer whether or not the address has an account: check your mailbox'),
});

export const passwordResetDoneSchema = z.object({ reset: z.literal(true) });
