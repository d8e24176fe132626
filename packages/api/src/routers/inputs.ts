import { z } from 'zod';
import { API_KEY_SCOPES } from '../auth/api-key-format';
import { isWellFormedUnicode, storableText as text, WELL_FORMED_MESSAGE } from '../text-schemas';

// These live in text-schemas.ts: trpc.ts needs userIdSchema, and the tiers must not import a router file.
export { storableText, userIdSchema } from '../text-schemas';

/** Client-supplied id of one agent run: the idempotency key of authorize. */
export const runIdSchema = z
  .string()
  .min(1, 'runId is required')
  .max(128, 'runId is at most 128 characters')
  .regex(/^[A-Za-z0-9._:-]+$/, 'runId may contain letters, digits and . _ : - only');

/** An opaque key a client makes (a hash, a UUID): at most 128 URL-safe characters. */
function clientKeySchema(name: string) {
  return z
    .string()
    .min(1, `${name} is required`)
    .max(128, `${name} is at most 128 characters`)
    .regex(/^[A-Za-z0-9._:+/=-]+$/, `${name} may contain letters, digits and . _ : + / = - only`);
}

/**
 * What a service passes to tell its requests apart under one run id (e.g. a hash of the task): the same
 * run id with another requestHash is refused (RUN_ID_REUSED) instead of answered as a retry.
 */
export const requestHashSchema = clientKeySchema('requestHash');

/** The id of one start call, resent when that call is retried (see usage.start). */
export const attemptIdSchema = clientKeySchema('attemptId');

export const uuidSchema = z.uuid('must be a UUID');

export const emailSchema = z.email('must be an email address').max(254);

export const passwordSchema = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(256, 'must be at most 256 characters')
  // Two passwords differing only in lone surrogates would hash alike (both hashed as U+FFFD).
  .refine(isWellFormedUnicode, WELL_FORMED_MESSAGE);

/**
 * Why staff did something (the audit log keeps it): required for changes to a customer, optional
 * where the change speaks for itself. Storable text: a NUL or a lone surrogate is a 400, not a 500.
 */
export const staffReasonSchema = text({ min: 1, max: 500, isTrimmed: true });
export const optionalStaffReasonSchema = text({ max: 500, isTrimmed: true }).optional();

/** A new service API key (platform or account key): a name for humans and its scopes. */
export const newApiKeyInput = z.object({
  name: text({ min: 1, max: 100, isTrimmed: true }),
  scopes: z.array(z.enum(API_KEY_SCOPES)).min(1, 'at least one scope is required'),
});
