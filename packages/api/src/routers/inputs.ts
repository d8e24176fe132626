import { z } from 'zod';

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

/**
 * False for a string holding a lone UTF-16 surrogate (`\ud800`): it has no UTF-8 form, so the driver
 * would store U+FFFD instead and different ids would become one (`String.prototype.isWellFormed`, which
 * the ES2023 lib we compile against doesn't declare yet).
 */
export function isWellFormedUnicode(value: string): boolean {
  return !/\p{Surrogate}/u.test(value);
}

const WELL_FORMED_MESSAGE = 'must be well-formed Unicode (no lone surrogates)';

export const passwordSchema = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(256, 'must be at most 256 characters')
  // Two passwords differing only in lone surrogates would hash alike (both hashed as U+FFFD).
  .refine(isWellFormedUnicode, WELL_FORMED_MESSAGE);

/**
 * Free text that will be stored: PostgreSQL text can't hold NUL (U+0000) and UTF-8 can't hold a lone
 * surrogate, so both are refused here with a 400 instead of failing the INSERT with a 500 or being
 * stored as something else.
 */
export function storableText({
  min = 0,
  max,
  isTrimmed = false,
}: {
  min?: number;
  max: number;
  isTrimmed?: boolean;
}) {
  const base = isTrimmed ? z.string().trim() : z.string();
  return base
    .min(min, min === 1 ? 'is required' : `must be at least ${min} characters`)
    .max(max, `must be at most ${max} characters`)
    .refine((value) => !value.includes('\0'), 'must not contain NUL characters')
    .refine(isWellFormedUnicode, WELL_FORMED_MESSAGE);
}

/**
 * A user id: Tollgate's own are UUIDs, a host platform's can be any JWT `sub`. Stored byte for byte or
 * refused: U+FFFD is what a decoder makes of bytes that are not UTF-8 (a body or a token's `sub` sent
 * in another encoding), so an id holding it is not the one the caller meant and would merge with others.
 */
export const userIdSchema = storableText({ min: 1, max: 200 }).refine(
  (value) => !value.includes('\uFFFD'),
  'must be valid UTF-8 (no U+FFFD replacement characters)',
);
