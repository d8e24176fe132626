import type { PaymentRequiredBody } from '@tollgate/domain';
import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { ZodError, z } from 'zod';
import {
  DATABASE_UNAVAILABLE_MESSAGE,
  findAppError,
  isServiceUnavailable,
  isStripeUnavailable,
  retryAfterSecondsOf,
  STRIPE_UNAVAILABLE_MESSAGE,
  toTRPCError,
} from './errors';
import type { errorBodySchema } from './schemas/error-schemas';

/**
 * The one place an error becomes what a client reads: the tRPC error formatter, the REST adapter, the
 * webhook route and the Express error handler all answer through here, so a code, a message or a
 * header can't differ between them.
 */

/** Every error body but the 402's: `{ error: { code, message, fieldErrors? } }`. */
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** zod's flattened per-field messages (a field without a message is absent). */
export type FieldErrors = Record<string, string[] | undefined>;

/** An error's HTTP answer: status, headers (Retry-After) and JSON body. */
export interface ErrorAnswer {
  status: number;
  headers: Readonly<Record<string, string>>;
  /** The 402 of a denied run keeps its own documented shape (`PaymentRequiredBody`, sent as is). */
  body: ErrorBody | PaymentRequiredBody;
  /** Nothing the API knows (a bug): the caller logs it, and the answer reveals nothing of it. */
  isUnexpected: boolean;
}

/** What a procedure's error says on either transport (tRPC's envelope or the REST body). */
export interface WireError {
  status: number;
  trpcCode: TRPC_ERROR_CODE_KEY;
  /** The domain code when a domain error is behind it (`RUN_ID_REUSED`), else the tRPC code. */
  code: string;
  message: string;
  /** Per-field messages of an invalid input, else null. */
  fieldErrors: FieldErrors | null;
}

export const INTERNAL_ERROR_MESSAGE = 'Internal server error';

const SERVICE_UNAVAILABLE: WireError = {
  status: 503,
  trpcCode: 'SERVICE_UNAVAILABLE',
  code: 'SERVICE_UNAVAILABLE',
  message: DATABASE_UNAVAILABLE_MESSAGE,
  fieldErrors: null,
};

const STRIPE_UNAVAILABLE: WireError = { ...SERVICE_UNAVAILABLE, message: STRIPE_UNAVAILABLE_MESSAGE };

export function errorBody(code: string, message: string, fieldErrors?: FieldErrors): ErrorBody {
  // JSON has no undefined: an absent field and one holding undefined are the same bytes.
  const fields = fieldErrors as Record<string, string[]> | undefined;
  return { error: { code, message, ...(fields ? { fieldErrors: fields } : {}) } };
}

/** An answer the caller decided itself (a route's own 404, the webhook's bad signature). */
export function errorAnswer(status: number, code: string, message: string): ErrorAnswer {
  return { status, headers: {}, body: errorBody(code, message), isUnexpected: false };
}

/** What a client reads of a tRPC error (every error a procedure throws is one). */
export function wireErrorOfTRPC(error: TRPCError): WireError {
  if (isStripeUnavailable(error)) return STRIPE_UNAVAILABLE;
  if (isServiceUnavailable(error)) return SERVICE_UNAVAILABLE;
  const zodError = error.cause instanceof ZodError ? error.cause : null;
  return {
    status: getHTTPStatusCodeFromError(error),
    trpcCode: error.code,
    code: findAppError(error)?.code ?? error.code,
    // Internal errors never leak their message (it may contain SQL or stack details); a domain error's
    // message is written for users (AGENT_NOT_STARTED is a 503 that says why).
    message:
      error.code === 'INTERNAL_SERVER_ERROR'
        ? INTERNAL_ERROR_MESSAGE
        : zodError
          ? describeZodError(zodError)
          : error.message,
    fieldErrors: zodError ? (z.flattenError(zodError).fieldErrors as FieldErrors) : null,
  };
}

/**
 * The HTTP answer for any error: Stripe or the database being away (503 + Retry-After), a denied run
 * (402 with its own body), a procedure's or a domain error (its mapped status; Retry-After when it says
 * when), a request body Express refused (its 4xx), or anything else: a 500 that says nothing
 * (`isUnexpected`).
 */
export function errorAnswerOf(error: unknown): ErrorAnswer {
  const retryAfter = retryAfterSecondsOf(error);
  const headers: Record<string, string> = retryAfter === null ? {} : { 'retry-after': String(retryAfter) };
  const appError = findAppError(error);
  const paymentRequired = appError?.code === 'PAYMENT_REQUIRED' ? appError.details?.body : undefined;
  if (paymentRequired) {
    return { status: 402, headers, body: paymentRequired as PaymentRequiredBody, isUnexpected: false };
  }
  // Stripe failed for a moment (errors.ts: stripeOutageOf says why 503), or the database could not be
  // reached (while building the context or inside the procedure): retry.
  if (isStripeUnavailable(error)) return wireAnswer(STRIPE_UNAVAILABLE, headers);
  if (isServiceUnavailable(error)) return wireAnswer(SERVICE_UNAVAILABLE, headers);
  if (error instanceof TRPCError) return wireAnswer(wireErrorOfTRPC(error), headers);
  // A domain error raised outside a procedure (the REST adapter's own 400).
  if (appError) return wireAnswer(wireErrorOfTRPC(toTRPCError(appError)), headers);
  const clientErrorStatus = clientErrorStatusOf(error);
  if (clientErrorStatus !== null) {
    const code = clientErrorStatus === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST';
    return errorAnswer(clientErrorStatus, code, clientErrorMessageOf(error));
  }
  return { ...errorAnswer(500, 'INTERNAL', INTERNAL_ERROR_MESSAGE), isUnexpected: true };
}

function wireAnswer(wire: WireError, headers: Record<string, string>): ErrorAnswer {
  const body = errorBody(wire.code, wire.message, wire.fieldErrors ?? undefined);
  return { status: wire.status, headers, body, isUnexpected: false };
}

/** "Invalid input: email: must be an email address; password: …" instead of a JSON dump of issues. */
export function describeZodError(error: ZodError): string {
  const parts = error.issues.map((issue) =>
    issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message,
  );
  return `Invalid input: ${parts.join('; ')}`;
}

interface HttpErrorLike {
  status?: unknown;
  type?: unknown;
  message?: unknown;
}

/** The 4xx an error carries itself (Express's body parsers: bad JSON, a body too large), else null. */
function clientErrorStatusOf(error: unknown): number | null {
  const status = (error as HttpErrorLike | null | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : null;
}

function clientErrorMessageOf(error: unknown): string {
  const { type, message } = error as HttpErrorLike;
  if (type === 'entity.parse.failed') return 'Request body is not valid JSON';
  if (type === 'entity.too.large') return 'Request body is too large';
  return String(message ?? 'Bad request');
}
