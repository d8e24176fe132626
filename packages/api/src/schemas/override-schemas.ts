import { CHECKOUT_PLAN_IDS } from '@tollgate/domain';
import { z } from 'zod';
import { isoDateTime } from './wire-date';

/** An account's operator overrides, as stored (null: not overridden). */
export const accountOverridesSchema = z.object({
  runLimit: z.number().int().nullable(),
  compPlan: z.enum(CHECKOUT_PLAN_IDS).nullable(),
  compFrom: isoDateTime.nullable(),
  compUntil: isoDateTime.nullable(),
  trialStart: isoDateTime.nullable(),
  trialEnd: isoDateTime.nullable(),
});

/** One row of the append-only operator audit log. */
export const auditRowSchema = z.object({
  id: z.number().int(),
  at: isoDateTime,
  actorUserId: z.string(),
  actorRole: z.string(),
  action: z.string(),
  accountId: z.string().nullable(),
  before: z.unknown(),
  after: z.unknown(),
  reason: z.string(),
  requestId: z.string().nullable(),
});
