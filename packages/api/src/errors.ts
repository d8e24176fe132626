import { isDatabaseUnavailable, isTransactionConflict } from '@tollgate/db';
import { AppError, type AppErrorCode } from '@tollgate/domain';
import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import Stripe from 'stripe';

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
 * How long a client waits after Stripe could not be reached or failed for a moment (the SDK has already
 * retried twice by then), unless Stripe said how long itself (a 429's Retry-After).
 */
export const STRIPE_RETRY_AFTER_SECONDS = 5;

// Not "nothing was charged": a deal's subscription may be made before a later call fails. What holds
// for every such call is that sending it again is safe.
export const STRIPE_UNAVAILABLE_MESSAGE =
  'Billing is temporarily unavailable: Stripe, the payment provider, could not be reached. Sending ' +
  'the same request again is safe; retry shortly';

/**
 * The Stripe error behind `error` when Stripe was unreachable or failing for a moment (a connection
 * error or timeout, a rate limit, a 5xx or 409 api_error) and no domain error says otherwise, else
 * null. Stripe refusing the request itself (invalid request, card, key or permission errors) is not
 * this: sending it again would be refused again.
 *
 * The rule for a Stripe failure: a request that can be sent again as is answers 503 with Retry-After,
 * as for the database (every user's billing call is one: the customer is created under an idempotency
 * key, an earlier open Checkout session is expired before a new one, the portal and invoices change
 * nothing; an ENTERPRISE deal switches the live subscription Stripe has). An operator's write whose
 * outcome at Stripe must be checked before a retry (console actions) answers its own 502 instead,
 * decided where it calls Stripe.
 */
export function stripeOutageOf(error: unknown): Stripe.errors.StripeError | null {
  if (findAppError(error)) return null;
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth += 1) {
    if (current instanceof Stripe.errors.StripeError) return isTransientStripeError(current) ? current : null;
    // Code that caught the Stripe error and chose its answer (an operator action's 502) keeps it:
    // only what tRPC wrapped as internal, or this rule's own 503, is decided here.
    if (current instanceof TRPCError && !UNDECIDED_CODES.has(current.code)) return null;
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

const UNDECIDED_CODES = new Set<TRPC_ERROR_CODE_KEY>(['INTERNAL_SERVER_ERROR', 'SERVICE_UNAVAILABLE']);

function isTransientStripeError(error: Stripe.errors.StripeError): boolean {
  return (
    error instanceof Stripe.errors.StripeConnectionError ||
    error instanceof Stripe.errors.StripeRateLimitError ||
    error instanceof Stripe.errors.StripeAPIError ||
    (error.statusCode ?? 0) >= 500
  );
}

export function isStripeUnavailable(error: unknown): boolean {
  return stripeOutageOf(error) !== null;
}

/** The tRPC error for a request Stripe could not serve (503 + Retry-After on both transports). */
export function stripeUnavailableError(cause: unknown): TRPCError {
  return new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: STRIPE_UNAVAILABLE_MESSAGE, cause });
}

/**
 * Seconds a client should wait before retrying: when the error says (RUN_IN_PROGRESS), or when Stripe
 * or the database was unavailable.
 */
export function retryAfterSecondsOf(error: unknown): number | null {
  const value = findAppError(error)?.details?.retryAfterSeconds;
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return Math.ceil(value);
  const stripeOutage = stripeOutageOf(error);
  if (stripeOutage) {
    const stripeSays = Number(stripeOutage.headers?.['retry-after']);
    return Number.isFinite(stripeSays) && stripeSays > 0 ? Math.ceil(stripeSays) : STRIPE_RETRY_AFTER_SECONDS;
  }
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
