// PostgreSQL SQLSTATE codes callers branch on (https://www.postgresql.org/docs/current/errcodes-appendix.html).
export const PG_UNIQUE_VIOLATION = '23505';
export const PG_FOREIGN_KEY_VIOLATION = '23503';
export const PG_CHECK_VIOLATION = '23514';
export const PG_DEADLOCK_DETECTED = '40P01';
export const PG_SERIALIZATION_FAILURE = '40001';

/**
 * The SQLSTATE of a database error, whichever driver raised it. drizzle wraps driver errors in
 * DrizzleQueryError (the original is its `cause`), so the cause chain is walked.
 */
export function pgErrorCode(error: unknown): string | null {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = current.cause;
  }
  return null;
}

export function isUniqueViolation(error: unknown): boolean {
  return pgErrorCode(error) === PG_UNIQUE_VIOLATION;
}

/**
 * A transaction PostgreSQL rolled back to break a deadlock or a serialization conflict: nothing of it
 * was applied, and the same request sent again normally goes through.
 */
export function isTransactionConflict(error: unknown): boolean {
  const code = pgErrorCode(error);
  return code === PG_DEADLOCK_DETECTED || code === PG_SERIALIZATION_FAILURE;
}
