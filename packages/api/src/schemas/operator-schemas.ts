import { PLATFORM_ROLES } from '@tollgate/db';
import { z } from 'zod';
import { isoDateTime } from './wire-date';

export const operatorSchema = z.object({
  userId: z.string(),
  email: z.string().nullable(),
  role: z.enum(PLATFORM_ROLES).describe('`operator`: everything; `support`: read, trials, bounded grants'),
  grantedAt: isoDateTime.nullable(),
  grantedBy: z.string().nullable().describe('The operator who granted the role, or `cli`'),
});

export const operatorsSchema = z.array(operatorSchema);

export const revokedOperatorSchema = z.object({
  userId: z.string(),
  revoked: z.literal(true),
  revokedApiKeyIds: z
    .array(z.string())
    .describe('The platform API keys this user made, revoked with the role (they answer 401 from now on)'),
});
