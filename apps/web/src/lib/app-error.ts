import { toTollgateError } from '@tollgate/sdk';

/**
 * Extra fields of a tRPC error's `data` that the SDK's TollgateError does not surface (it keeps the
 * code, status and field errors): read from the TRPCClientError it wraps as its cause.
 */
function errorData(error: unknown): Record<string, unknown> | null {
  for (let current = error, depth = 0; current && depth < 5; depth += 1) {
    const data = (current as { data?: unknown }).data;
    if (typeof data === 'object' && data !== null) return data as Record<string, unknown>;
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

/** Tollgate's own code (`EMAIL_NOT_VERIFIED`, `TOKEN_INVALID`, …), else the tRPC code. */
export function errorCode(error: unknown): string {
  return toTollgateError(error).code;
}

/**
 * How long a rate limit (429) asks the caller to wait, when the server says: `data.retryAfterSeconds`,
 * else the "…in 42 s" / "…in 42 seconds" its message ends with (the tRPC answer's Retry-After header
 * never reaches the SDK's errors).
 */
export function retryAfterSeconds(error: unknown): number | null {
  const failure = toTollgateError(error);
  const value = errorData(failure)?.retryAfterSeconds;
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return Math.ceil(value);
  const said = /\bin (\d+) ?(?:s|secs?|seconds?)\b/i.exec(failure.message)?.[1];
  return said ? Number(said) : null;
}
