import {
  paymentRequiredBodySchema,
  type AppErrorCode,
  type DenialCode,
  type PackOffer,
  type PaymentRequiredBody,
  type PlanId,
  type SpendCapReached,
  type SubscriptionStatus,
} from '@tollgate/domain';
import { TRPCClientError } from '@trpc/client';
import type { AppRouter } from './router-types';

/** Codes the SDK itself gives to failures that never got an answer from Tollgate. */
export type TransportErrorCode = 'NETWORK_ERROR' | 'TIMEOUT';

/**
 * Tollgate's codes for refusals about billing accounts (teams), each its own `AccountError`:
 * - `ACCOUNT_NOT_FOUND` (404): no such account, or the caller (a user token, or the member a service
 *   names) is not a member of it; the same answer for both, so account ids can't be probed.
 * - `LAST_OWNER` (409): the change (leaving, a role change, removing a member) would leave the account
 *   without an owner.
 * - `INVITATION_INVALID` (404): the invitation link is unknown, expired, revoked or already used.
 */
export const ACCOUNT_ERROR_CODES = [
  'ACCOUNT_NOT_FOUND',
  'LAST_OWNER',
  'INVITATION_INVALID',
] as const satisfies readonly AppErrorCode[];
export type AccountErrorCode = (typeof ACCOUNT_ERROR_CODES)[number];

export type FieldErrors = Record<string, string[] | undefined>;

interface TollgateErrorOptions {
  code: string;
  httpStatus: number | null;
  fieldErrors?: FieldErrors | null;
  cause?: unknown;
}

/**
 * Every failure of an SDK call. `code` is Tollgate's own code when it has one (`RELEASE_NOT_ALLOWED`,
 * `TRIAL_NOT_ALLOWED`, …), else the tRPC code (`UNAUTHORIZED`, `FORBIDDEN`, `NOT_FOUND`, …), else
 * `NETWORK_ERROR` / `TIMEOUT` when no answer arrived (then `httpStatus` is null).
 */
export class TollgateError extends Error {
  override name = 'TollgateError';
  readonly code: string;
  readonly httpStatus: number | null;
  /** Per-field messages of an invalid input (BAD_REQUEST), else null. */
  readonly fieldErrors: FieldErrors | null;

  constructor(message: string, options: TollgateErrorOptions) {
    super(message, { cause: options.cause });
    this.code = options.code;
    this.httpStatus = options.httpStatus;
    this.fieldErrors = options.fieldErrors ?? null;
  }

  /** True when no answer came back (network down, timeout): the call may or may not have happened. */
  get isTransportError(): boolean {
    return this.httpStatus === null;
  }
}

/** A denied run (HTTP 402). `body` is exactly what Tollgate's REST guard answers. */
export class PaymentRequiredError extends TollgateError {
  override name = 'PaymentRequiredError';
  declare readonly code: DenialCode;
  readonly plan: PlanId;
  readonly status: SubscriptionStatus;
  readonly used: number;
  readonly limit: number;
  readonly resetsAt: Date;
  readonly upgradeUrl: string;
  /**
   * The run packs that would let runs through again (`USAGE_LIMIT_REACHED` only: the allowance and
   * credits are used up); empty for the other denials, where buying runs is no answer.
   */
  readonly packs: PackOffer[];
  /** Where the account buys a pack (the web app's page); null when no pack is offered. */
  readonly buyRunsUrl: string | null;
  /**
   * `SPEND_CAP_REACHED` only: the monthly cap on overage that refused the run (in runs, and in cents
   * when set in money), whose it is, what was spent, and where an owner or admin raises it.
   */
  readonly spendCap: SpendCapReached | null;
  readonly body: PaymentRequiredBody;

  constructor(body: PaymentRequiredBody, cause?: unknown) {
    super(body.error.message, { code: body.error.code, httpStatus: 402, cause });
    this.body = body;
    this.plan = body.error.plan;
    this.status = body.error.status;
    this.used = body.error.used;
    this.limit = body.error.limit;
    this.resetsAt = new Date(body.error.resetsAt);
    this.upgradeUrl = body.error.upgradeUrl;
    this.packs = body.error.packs ?? [];
    this.buyRunsUrl = body.error.buyRunsUrl ?? null;
    this.spendCap = body.error.spendCap ?? null;
  }
}

/** Missing, wrong, expired or revoked credentials (HTTP 401). */
export class UnauthorizedError extends TollgateError {
  override name = 'UnauthorizedError';
}

/** A refusal about a billing account: `code` says which (see ACCOUNT_ERROR_CODES). */
export class AccountError extends TollgateError {
  override name = 'AccountError';
  declare readonly code: AccountErrorCode;
}

type ServerErrorData = NonNullable<TRPCClientError<AppRouter>['data']>;

/** Maps whatever a tRPC call threw to the typed SDK errors; a TollgateError is returned as it is. */
export function toTollgateError(error: unknown): TollgateError {
  if (error instanceof TollgateError) return error;
  if (!(error instanceof TRPCClientError)) {
    return new TollgateError(messageOf(error), { code: 'NETWORK_ERROR', httpStatus: null, cause: error });
  }
  const data = (error as TRPCClientError<AppRouter>).data;
  if (!data) return transportError(error);
  return fromServerError(error.message, data, error);
}

function fromServerError(message: string, data: ServerErrorData, cause: unknown): TollgateError {
  const payment = paymentRequiredBodySchema.safeParse({ error: data.paymentRequired });
  if (data.paymentRequired && payment.success) return new PaymentRequiredError(payment.data, cause);

  const options = {
    code: data.appCode ?? data.code,
    httpStatus: data.httpStatus,
    fieldErrors: data.fieldErrors ?? null,
    cause,
  };
  if (data.httpStatus === 401) return new UnauthorizedError(message, options);
  if (isAccountErrorCode(data.appCode)) return new AccountError(message, options);
  return new TollgateError(message, options);
}

function isAccountErrorCode(code: string | null): code is AccountErrorCode {
  return (ACCOUNT_ERROR_CODES as readonly (string | null)[]).includes(code);
}

/** The message of a proxy's JSON refusal (`{"error":{"message":…}}`), if it has a usable one. */
function edgeMessageOf(json: unknown): string | null {
  const message = (json as { error?: { message?: unknown } } | null | undefined)?.error?.message;
  return typeof message === 'string' && message.length > 0 && message.length <= 500 ? message : null;
}

/**
 * No tRPC error body: the request failed, timed out, or the answer was not Tollgate's JSON. A 429 from
 * the proxy in front (nginx's own rate limit answers plain JSON) is a refusal, not an outage: saying
 * "unreachable" there would have the caller retry at once and keep the limit going. Gateway 5xx
 * answers stay transport errors: the call may or may not have reached the server.
 */
function transportError(error: TRPCClientError<AppRouter>): TollgateError {
  const response = (error.meta as { response?: { status?: unknown } } | undefined)?.response;
  if (response?.status === 429) {
    const message = edgeMessageOf((error.meta as { responseJSON?: unknown }).responseJSON);
    return new TollgateError(message ?? 'Too many requests: wait and try again', {
      code: 'TOO_MANY_REQUESTS',
      httpStatus: 429,
      cause: error,
    });
  }
  // A timed-out attempt rejects with a DOMException named TimeoutError (not an Error in every runtime).
  const isTimeout = chainOf(error).some((link) => (link as { name?: unknown }).name === 'TimeoutError');
  if (isTimeout) {
    return new TollgateError('Tollgate did not answer in time', {
      code: 'TIMEOUT',
      httpStatus: null,
      cause: error,
    });
  }
  return new TollgateError(`Tollgate is unreachable: ${messageOf(error.cause ?? error)}`, {
    code: 'NETWORK_ERROR',
    httpStatus: null,
    cause: error,
  });
}

function chainOf(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current && chain.length < 5; current = (current as { cause?: unknown }).cause) {
    chain.push(current);
  }
  return chain;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
