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
  RUN_ID_REUSED: 'CONFLICT',
  RUN_IN_PROGRESS: 'CONFLICT',
  RUN_ALREADY_STARTED: 'CONFLICT',
  RUN_RELEASED: 'CONFLICT',
  AGENT_NOT_STARTED: 'SERVICE_UNAVAILABLE',
  AGENT_UNCONFIRMED: 'BAD_GATEWAY',
  INTERNAL: 'INTERNAL_SERVER_ERROR',
};

export function toTRPCError(error: AppError): TRPCError {
  return new TRPCError({ code: TRPC_CODE_BY_APP_CODE[error.code], message: error.message, cause: error });
}

/** Seconds a client should wait before retrying, when the error says (RUN_IN_PROGRESS). */
export function retryAfterSecondsOf(error: unknown): number | null {
  const value = findAppError(error)?.details?.retryAfterSeconds;
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.ceil(value) : null;
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
