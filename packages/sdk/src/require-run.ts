// Types only: the SDK never loads Express itself, the host service brings it.
import type { Request, RequestHandler, Response } from 'express';
import type { TollgateClient } from './client';
import { PaymentRequiredError, toTollgateError, type TollgateError } from './errors';
import type { RunAuthorization, SettledRun } from './results';

export interface TollgateRun extends RunAuthorization {
  /**
   * Records with Tollgate that the work starts now (`usage.start`, once per run id, retried safely).
   * Start the agent task only after this resolved. It rejects when the work must not start now: then
   * start nothing. A refusal (RUN_ALREADY_STARTED, RUN_RELEASED, another 4xx but 429) is final:
   * calling it again returns the same rejected promise. No answer (network error, timeout, 5xx:
   * Tollgate may have recorded the start) or a 429 is not: calling it again asks again with the same
   * `attemptId`, and Tollgate answers a start it recorded for that attempt as a success. A resolved
   * call is kept too.
   */
  markStarted(): Promise<void>;
  /**
   * The id every `markStarted()` of this request sends (`usage.start`'s `attemptId`). If the service
   * stores it before `markStarted()`, a later request can finish a start whose answer was lost, with
   * `client.startRun({ userId, accountId, runId, attemptId })`; any other attempt is refused.
   */
  readonly attemptId: string;
  /**
   * Optional, once the work is done (also after the response, e.g. from the background job): what the
   * run finally cost (`usage.settle`; the key needs the runs:settle scope). Below the estimate the rest
   * goes back, above it the overrun is charged up to what the balance holds (`charged`). Waits for
   * `markStarted()`; a run not started → RUN_NOT_STARTED. Runs never settled are settled at their
   * estimate by Tollgate after its RUN_SETTLE_TIMEOUT_SECONDS, so a route that charges its estimate
   * need not call it.
   */
  settle(actual: number): Promise<SettledRun>;
}

export interface RequireRunOptions {
  /** The Tollgate client; `settleRun` is needed only if the handler calls `run.settle()`. */
  client: Pick<TollgateClient, 'authorizeRun' | 'startRun' | 'releaseRun'> &
    Partial<Pick<TollgateClient, 'settleRun'>>;
  /**
   * The end user the run is for: on a team account the member it is recorded for, else the user whose
   * personal account pays. A throw goes to `next(error)`.
   */
  getUserId(req: Request): string | Promise<string>;
  /**
   * Optional: the team account that pays for this member's run (its id); undefined or null: the user's
   * personal account. Tollgate checks the member belongs to it (else 404 ACCOUNT_NOT_FOUND). A throw
   * goes to `next(error)`.
   */
  getAccountId?(req: Request): string | null | undefined | Promise<string | null | undefined>;
  /** The caller's id for this run (usable once). A throw goes to `next(error)`. */
  getRunId(req: Request): string | Promise<string>;
  /**
   * Optional: a hash of what the request asks for. The same run id with another hash is refused by
   * Tollgate (409 RUN_ID_REUSED) instead of being answered as a retry.
   */
  getRequestHash?(req: Request): string | undefined | Promise<string | undefined>;
  /**
   * Optional: the units to reserve for this request (its estimated cost, a whole number from 1 to
   * 100 000); undefined: 1, one run. Part of the request, like the hash: the same run id with another
   * estimate → 409 RUN_ID_REUSED. Charge the actual cost afterwards with `run.settle(actual)`. A throw
   * goes to `next(error)`.
   */
  getEstimate?(req: Request): number | undefined | Promise<number | undefined>;
  /**
   * A retry of a run whose work started before (this request must not start it again). Answer with the
   * stored outcome if the service has one. Default: 409 RUN_ALREADY_STARTED.
   */
  onAlreadyStarted?(req: Request, res: Response, run: RunAuthorization): void | Promise<void>;
  /** A failed release (Tollgate releases the run itself after its start timeout). Default: console.warn. */
  onReleaseError?: (error: TollgateError, run: RunAuthorization) => void;
}

/**
 * Express middleware in front of a metered route: reserves one run before the handler. Denied → 402
 * with exactly Tollgate's body; bad credentials → 401; Tollgate unreachable or failing → 503; other
 * refusals (invalid or reused run id, a released run id) keep Tollgate's 4xx.
 *
 * Reserved → `getTollgateRun(res)` (also `res.locals.tollgateRun`). The handler starts the work only
 * after `await run.markStarted()`: Tollgate's one-time `reserved → started` transition, so however
 * often a client retries or a service restarts, a run's work starts once. With `getEstimate`, the
 * request reserves that many units and `run.settle(actual)` charges the actual cost once the work is
 * done (unsettled runs are charged their estimate after Tollgate's settle timeout). If the response
 * finishes with status >= 400 and this request never called `markStarted()`, the run is released (the
 * key needs the runs:release scope; otherwise Tollgate releases it after its start timeout).
 */
export function requireRun(options: RequireRunOptions): RequestHandler {
  const { client, getUserId, getRunId } = options;
  const onReleaseError = options.onReleaseError ?? warnReleaseFailed;
  const onAlreadyStarted = options.onAlreadyStarted ?? answerAlreadyStarted;

  return async (req, res, next) => {
    let target: { userId: string; accountId?: string };
    let runId: string;
    let requestHash: string | undefined;
    let estimate: number | undefined;
    try {
      const userId = await getUserId(req);
      const accountId = (await options.getAccountId?.(req)) ?? undefined;
      target = accountId ? { userId, accountId } : { userId };
      runId = await getRunId(req);
      requestHash = await options.getRequestHash?.(req);
      estimate = await options.getEstimate?.(req);
    } catch (error) {
      next(error);
      return;
    }

    let authorization: RunAuthorization;
    try {
      authorization = await client.authorizeRun({
        ...target,
        runId,
        ...(requestHash ? { requestHash } : {}),
        ...(estimate === undefined ? {} : { estimate }),
      });
    } catch (error) {
      sendAuthorizationFailure(res, toTollgateError(error));
      return;
    }
    if (authorization.state !== 'reserved') {
      try {
        await onAlreadyStarted(req, res, authorization);
      } catch (error) {
        next(error);
      }
      return;
    }

    // One attempt id for this request's start, sent by every markStarted() call (and by the client's
    // own retries): after a lost answer, asking again is Tollgate's same-attempt replay, not a refusal.
    const attemptId = globalThis.crypto.randomUUID();
    let started: Promise<void> | null = null;
    let startCalled = false;
    const markStarted = (): Promise<void> => {
      if (started) return started;
      startCalled = true;
      const attempt = client.startRun({ ...target, runId, attemptId }).then(() => undefined);
      started = attempt;
      // Registered before the caller's await, so a caller that catches already sees it cleared.
      attempt.catch((error: unknown) => {
        if (started === attempt && isUnanswered(toTollgateError(error))) started = null;
      });
      return attempt;
    };
    const settle = async (actual: number): Promise<SettledRun> => {
      if (!client.settleRun) throw new TypeError('requireRun: run.settle() needs a client with settleRun');
      // A settle right after markStarted() (not awaited) must not overtake the start.
      if (started) await started;
      return client.settleRun({ ...target, runId, actual });
    };
    const run: TollgateRun = { ...authorization, markStarted, attemptId, settle };
    res.locals.tollgateRun = run;
    res.locals.markRunStarted = markStarted;

    res.once('finish', () => {
      // After a markStarted() without an answer the run may have started: a resend of the request can
      // still finish that start (see attemptId), and Tollgate releases it after its start timeout if not.
      if (startCalled || res.statusCode < 400) return;
      // Tollgate refuses to release a run that started, so a concurrent request's start is safe.
      client.releaseRun({ ...target, runId }).catch((error: unknown) => {
        onReleaseError(toTollgateError(error), authorization);
      });
    });
    next();
  };
}

/** The run requireRun reserved for this request, or null on a route it does not guard. */
export function getTollgateRun(res: Response): TollgateRun | null {
  const run: unknown = res.locals.tollgateRun;
  return isTollgateRun(run) ? run : null;
}

function isTollgateRun(value: unknown): value is TollgateRun {
  return typeof value === 'object' && value !== null && 'markStarted' in value && 'runId' in value;
}

/**
 * No answer or Tollgate failing (the call may have happened), or throttled by the proxy in front (it
 * did not): asking again later may succeed, so the failure is not kept.
 */
function isUnanswered(error: TollgateError): boolean {
  return error.httpStatus === null || error.httpStatus >= 500 || error.httpStatus === 429;
}

function answerAlreadyStarted(_req: Request, res: Response, run: RunAuthorization): void {
  const isReleased = run.state === 'released';
  res.status(409).json({
    error: {
      code: isReleased ? 'RUN_RELEASED' : 'RUN_ALREADY_STARTED',
      message: isReleased
        ? `Run ${run.runId} was released; start the task again with a new run id`
        : `Run ${run.runId} has already started; its work does not start again`,
    },
  });
}

function sendAuthorizationFailure(res: Response, error: TollgateError): void {
  if (error instanceof PaymentRequiredError) {
    res.status(402).json(error.body);
    return;
  }
  const isTollgateDown = error.httpStatus === null || error.httpStatus >= 500;
  // A 401 here is about this service's API key (wrong, revoked), not the end user: relayed, a user's
  // client would take it as its own session ending. Said in the service's log instead, and answered
  // like any outage of run authorization. A 403 (a scope the key lacks, an account it can't act for)
  // is relayed: it refuses this request, which is what the user is told.
  const isServiceKeyRefused = error.httpStatus === 401;
  if (isServiceKeyRefused) {
    console.error(`tollgate: the service's API key was refused (${error.code}): ${error.message}`);
  }
  if (isTollgateDown || isServiceKeyRefused) {
    res.status(503).json({
      error: { code: 'TOLLGATE_UNAVAILABLE', message: 'Run authorization is unavailable; try again shortly' },
    });
    return;
  }
  res.status(error.httpStatus ?? 503).json({
    error: {
      code: error.code,
      message: error.message,
      ...(error.fieldErrors ? { fieldErrors: error.fieldErrors } : {}),
    },
  });
}

function warnReleaseFailed(error: TollgateError, run: RunAuthorization): void {
  console.warn(`tollgate: could not release run ${run.runId} (${error.code}): ${error.message}`);
}
