import { isDatabaseUnavailable, isTransactionConflict } from '@tollgate/db';
import { AppError, type AppErrorCode } from '@tollgate/domain';
import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';

/** The one place where domain error codes become tRPC (and so HTTP) codes. */
const TRPC_CODE_BY_APP_CODE: Record<AppErrorCode, TRPC_ERROR_CODE_KEY> = {
  BAD_REQUEST: 'BAD_REQUEST',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  PAYMENT_REQUIRED: 'PAYMENT_REQUIRED',
  TOO_MANY_REQUESTS: 'TOO_MANY_REQUESTS',
  TRIAL_NOT_ALLOWED: 'CONFLICT',
  ALREADY_SUBSCRIBED: 'CONFLICT',
  NO_STRIPE_CUSTOMER: 'BAD_REQUEST',
  INVALID_REDIRECT_URL: 'BAD_REQUEST',
  RELEASE_NOT_ALLOWED: 'CONFLICT',
  UNKNOWN_USER: 'NOT_FOUND',
  RUN_ID_REUSED: 'CONFLICT',
  RUN_IN_PROGRESS: 'CONFLICT',
  RUN_ALREADY_STARTED: 'CONFLICT',
  RUN_ALREADY_SETTLED: 'CONFLICT',
  RUN_NOT_STARTED: 'CONFLICT',
  RUN_RELEASED: 'CONFLICT',
  AGENT_NOT_STARTED: 'SERVICE_UNAVAILABLE',
  AGENT_UNCONFIRMED: 'BAD_GATEWAY',
  ACCOUNT_NOT_FOUND: 'NOT_FOUND',
  LAST_OWNER: 'CONFLICT',
  INVITATION_INVALID: 'NOT_FOUND',
  EMAIL_NOT_VERIFIED: 'FORBIDDEN',
  TOKEN_INVALID: 'BAD_REQUEST',
  INTERNAL: 'INTERNAL_SERVER_ERROR',
};

export function toTRPCError(error: AppError): TRPCError {
  return new TRPCError({ code: TRPC_CODE_BY_APP_CODE[error.code], message: error.message, cause: error });
}

/**
 * How long a client waits before retrying a request that failed because the database was unreachable
 * or its connection was lost: long enough for a restart or failover, short for a dropped connection.
 */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

export const DATABASE_UNAVAILABLE_MESSAGE = 'The service is temporarily unavailable; retry shortly';

/**
 * True when the request failed because the database could not be reached, or rolled its transaction
 * back to break a deadlock or a serialization conflict (and no domain error says otherwise): it answers
 * 503 with Retry-After, and the same request may be sent again as is.
 */
export function isServiceUnavailable(error: unknown): boolean {
  return findAppError(error) === null && (isDatabaseUnavailable(error) || isTransactionConflict(error));
}

/** The tRPC error for a request the database could not serve (503 + Retry-After on both transports). */
export function serviceUnavailableError(cause: unknown): TRPCError {
  return new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: DATABASE_UNAVAILABLE_MESSAGE, cause });
}

/**
 * Seconds a client should wait before retrying: when the error says (RUN_IN_PROGRESS), or when the
 * database was unavailable.
 */
export function retryAfterSecondsOf(error: unknown): number | null {
  const value = findAppError(error)?.details?.retryAfterSeconds;
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return Math.ceil(value);
  return isServiceUnavailable(error) ? DATABASE_RETRY_AFTER_SECONDS : null;
}

/** Finds the AppError behind an error, however tRPC wrapped it. */
export function findAppError(error: unknown): AppError | null {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth += 1) {
    if (current instanceof AppError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}
