export const APP_ERROR_CODES = [
  'BAD_REQUEST',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'PAYMENT_REQUIRED',
  'TOO_MANY_REQUESTS',
  'TRIAL_NOT_ALLOWED',
  'ALREADY_SUBSCRIBED',
  'NO_STRIPE_CUSTOMER',
  'INVALID_REDIRECT_URL',
  'RELEASE_NOT_ALLOWED',
  'INTERNAL',
] as const;

export type AppErrorCode = (typeof APP_ERROR_CODES)[number];

/**
 * A typed domain error. Code raising it says *what* went wrong; exactly one place in the api decides
 * which HTTP / tRPC status that becomes, so the mapping can't drift between routes.
 * `message` must be safe to show to the user; put internals in `details`.
 */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: AppErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: AppErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

export function isAppError(error: unknown, code?: AppErrorCode): error is AppError {
  if (!(error instanceof AppError)) return false;
  return code === undefined || error.code === code;
}
