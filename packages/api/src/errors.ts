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
  INTERNAL: 'INTERNAL_SERVER_ERROR',
};

export function toTRPCError(error: AppError): TRPCError {
  return new TRPCError({ code: TRPC_CODE_BY_APP_CODE[error.code], message: error.message, cause: error });
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
