import type { ErrorRequestHandler, RequestHandler } from 'express';

export type StripeErrorType =
  'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error' | 'authentication_error';

export interface StripeErrorInit {
  status: number;
  type: StripeErrorType;
  message: string;
  code?: string;
  param?: string;
  declineCode?: string;
  /** More fields of the error body, e.g. a declined confirmation's payment_intent and charge. */
  details?: Record<string, unknown>;
}

/** An error that is answered in Stripe's JSON error format ({ error: { type, message, code, … } }). */
export class StripeApiError extends Error {
  readonly status: number;
  readonly type: StripeErrorType;
  readonly code: string | undefined;
  readonly param: string | undefined;
  readonly declineCode: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(init: StripeErrorInit) {
    super(init.message);
    this.status = init.status;
    this.type = init.type;
    this.code = init.code;
    this.param = init.param;
    this.declineCode = init.declineCode;
    this.details = init.details ?? {};
  }

  toBody(): { error: Record<string, unknown> } {
    const error: Record<string, unknown> = { ...this.details, type: this.type, message: this.message };
    if (this.code) error.code = this.code;
    if (this.param) error.param = this.param;
    if (this.declineCode) error.decline_code = this.declineCode;
    return { error };
  }
}

export function resourceMissing(kind: string, id: string, param = 'id'): StripeApiError {
  return new StripeApiError({
    status: 404,
    type: 'invalid_request_error',
    code: 'resource_missing',
    param,
    message: `No such ${kind}: '${id}'`,
  });
}

export function invalidRequest(message: string, param?: string, code = 'parameter_invalid'): StripeApiError {
  return new StripeApiError({ status: 400, type: 'invalid_request_error', code, message, param });
}

export function missingParam(param: string): StripeApiError {
  return invalidRequest(`Missing required param: ${param}.`, param, 'parameter_missing');
}

export const unknownRoute: RequestHandler = (req, res) => {
  const error = new StripeApiError({
    status: 404,
    type: 'invalid_request_error',
    code: 'resource_missing',
    message: `Unrecognized request URL (${req.method}: ${req.path}). This emulator implements only the Stripe API subset Tollgate uses.`,
  });
  res.status(error.status).json(error.toBody());
};

export const errorHandler: ErrorRequestHandler = (err: unknown, _req, res, next) => {
  if (res.headersSent) {
    next(err);
    return;
  }
  const apiError = toApiError(err);
  res.status(apiError.status).json(apiError.toBody());
};

function toApiError(err: unknown): StripeApiError {
  if (err instanceof StripeApiError) return err;
  // body-parser errors carry an HTTP status (e.g. 400 for a malformed body, 413 too large)
  const status = typeof err === 'object' && err !== null && 'status' in err ? Number(err.status) : 500;
  const message = err instanceof Error ? err.message : String(err);
  if (status >= 400 && status < 500) return invalidRequest(message);
  return new StripeApiError({ status: 500, type: 'api_error', message: `Emulator error: ${message}` });
}
