import { z } from 'zod';

// Text schemas shared by the procedure tiers (trpc.ts) and the routers' inputs (routers/inputs.ts).

/**
 * False for a string holding a lone UTF-16 surrogate (`\ud800`): it has no UTF-8 form, so the driver
 * would store U+FFFD instead and different ids would become one (`String.prototype.isWellFormed`, which
 * the ES2023 lib we compile against doesn't declare yet).
 */
export function isWellFormedUnicode(value: string): boolean {
  return !/\p{Surrogate}/u.test(value);
}

export const WELL_FORMED_MESSAGE = 'must be well-formed Unicode (no lone surrogates)';

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
 * Text from elsewhere that must be stored as it came (an agent's reply: the run is already charged, so
 * refusing it is no option) made storable: NUL and lone surrogates (also a pair the cut to `max`
 * characters splits) become U+FFFD.
 */
export function toStorableText(value: string, max: number): string {
  const cut = value.length > max ? value.slice(0, max) : value;
  return cut.replace(/\0/g, '\uFFFD').replace(/\p{Surrogate}/gu, '\uFFFD');
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

/** A billing account id (a UUID). */
export const accountIdSchema = z.uuid('must be an account id (a UUID)');
