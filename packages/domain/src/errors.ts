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
  /**
   * A service key named a user id Tollgate has never seen, on a deployment whose users sign up here
   * (no host platform): refused instead of silently creating (and charging) a new account.
   */
  'UNKNOWN_USER',
  /** The run id was used before for another request (other caller, session, message or requestHash). */
  'RUN_ID_REUSED',
  /** A retry of a run whose work is under way: ask again later (Retry-After). */
  'RUN_IN_PROGRESS',
  /** The run's work has started before: it can't start again. */
  'RUN_ALREADY_STARTED',
  /** The run was released (never started): its id can't be used again. */
  'RUN_RELEASED',
  /** The run was settled before at another cost: a settled run's cost is final. */
  'RUN_ALREADY_SETTLED',
  /** A settle for a run that was reserved but never started (start it, or release it). */
  'RUN_NOT_STARTED',
  /** The agent backend proved the run never started: it was released, nothing charged. */
  'AGENT_NOT_STARTED',
  /** The agent backend's answer was lost (timeout, 5xx): the run stays charged and is flagged for review. */
  'AGENT_UNCONFIRMED',
  /** No such billing account, or the caller isn't a member of it (the same answer: ids can't be probed). */
  'ACCOUNT_NOT_FOUND',
  /** The change would leave an account without an owner. */
  'LAST_OWNER',
  /** The invitation link is unknown, expired, revoked or already used. */
  'INVITATION_INVALID',
  /** Trials and checkout need a verified email address (the link sent at sign-up). */
  'EMAIL_NOT_VERIFIED',
  /** An emailed link (verification, password reset) is unknown, expired or already used. */
  'TOKEN_INVALID',
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
