import { z } from 'zod';
import { AppError } from './errors';
import { fromUnixSeconds } from './time';

// Shared pieces of the Stripe object schemas. z.object strips unknown keys instead of rejecting them:
// Stripe adds fields in every API version and we read only the subset Tollgate needs.

export const unixTimeSchema = z
  .number()
  .int()
  .nonnegative()
  .transform((seconds) => fromUnixSeconds(seconds));

/** An id field that may also arrive expanded into the full object (`expand[]=...`). */
export const expandableIdSchema = z
  .union([z.string().min(1), z.object({ id: z.string().min(1) })])
  .transform((value) => (typeof value === 'string' ? value : value.id));

export const metadataSchema = z.record(z.string(), z.unknown()).nullish();

type StripeMetadata = Record<string, unknown> | null | undefined;

/**
 * Tollgate put its user id in `metadata.userId` of checkout sessions and subscriptions before billing
 * accounts; objects made then keep it forever, so it is still read.
 */
export function metadataUserId(metadata: StripeMetadata): string | null {
  return metadataString(metadata, 'userId');
}

/** Tollgate puts the billing account id in `metadata.accountId` (objects made since billing accounts). */
export function metadataAccountId(metadata: StripeMetadata): string | null {
  return metadataString(metadata, 'accountId');
}

/** Metadata is free-form (anyone with dashboard access can edit it): only a non-empty string counts. */
function metadataString(metadata: StripeMetadata, key: string): string | null {
  const value = metadata?.[key];
  return typeof value === 'string' && value.length > 0 ? value : null;
}

export function parseStripeObject<T>(schema: z.ZodType<T>, json: unknown, what: string): T {
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  throw new AppError('BAD_REQUEST', `Malformed Stripe ${what}`, {
    issues: result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
  });
}
