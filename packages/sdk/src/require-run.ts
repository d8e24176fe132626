// Types only: the SDK never loads Express itself, the host service brings it.
import type { Request, RequestHandler, Response } from 'express';
import type { TollgateClient } from './client';
import { PaymentRequiredError, toTollgateError, type TollgateError } from './errors';
import type { RunAuthorization } from './results';

export interface TollgateRun extends RunAuthorization {
  /**
   * Tell requireRun the agent task has started: from now on the run is spent whatever the response.
   * Until then a response with status >= 400 (a thrown error included) releases the run.
   */
  markStarted(): void;
}

export interface RequireRunOptions {
  client: Pick<TollgateClient, 'authorizeRun' | 'releaseRun'>;
  /** The end user the run is charged to. A throw goes to `next(error)`. */
  getUserId(req: Request): string | Promise<string>;
  /** The caller's id for this run (its idempotency key). A throw goes to `next(error)`. */
  getRunId(req: Request): string | Promise<string>;
  /** A failed release (the run stays charged). Default: console.warn. */
  onReleaseError?: (error: TollgateError, run: RunAuthorization) => void;
}

/**
 * Express middleware in front of a metered route: authorizes (checks and consumes) one run before the
 * handler. Denied → 402 with exactly Tollgate's body; bad credentials → 401; Tollgate unreachable or
 * failing → 503; other refusals (invalid run id, a released run id reused, …) keep Tollgate's 4xx.
 *
 * Allowed → `res.locals.tollgateRun` (see getTollgateRun) and `res.locals.markRunStarted()`. If the
 * response finishes with status >= 400 before markRunStarted() was called (the handler threw or
 * answered an error before starting the work), the run is released (refunded). A replayed run id
 * (`isReplay`) is never released: the first request with that id may have started the work.
 */
export function requireRun(options: RequireRunOptions): RequestHandler {
  const { client, getUserId, getRunId } = options;
  const onReleaseError = options.onReleaseError ?? warnReleaseFailed;

  return async (req, res, next) => {
    let userId: string;
    let runId: string;
    try {
      userId = await getUserId(req);
      runId = await getRunId(req);
    } catch (error) {
      next(error);
      return;
    }

    let authorization: RunAuthorization;
    try {
      authorization = await client.authorizeRun({ userId, runId });
    } catch (error) {
      sendAuthorizationFailure(res, toTollgateError(error));
      return;
    }

    let isStarted = false;
    const markStarted = () => {
      isStarted = true;
    };
    const run: TollgateRun = { ...authorization, markStarted };
    res.locals.tollgateRun = run;
    res.locals.markRunStarted = markStarted;

    if (!authorization.isReplay) {
      res.once('finish', () => {
        if (isStarted || res.statusCode < 400) return;
        client.releaseRun({ userId, runId }).catch((error: unknown) => {
          onReleaseError(toTollgateError(error), authorization);
        });
      });
    }
    next();
  };
}

/** The run requireRun authorized for this request, or null on a route it does not guard. */
export function getTollgateRun(res: Response): TollgateRun | null {
  const run: unknown = res.locals.tollgateRun;
  return isTollgateRun(run) ? run : null;
}

function isTollgateRun(value: unknown): value is TollgateRun {
  return typeof value === 'object' && value !== null && 'markStarted' in value && 'runId' in value;
}

function sendAuthorizationFailure(res: Response, error: TollgateError): void {
  if (error instanceof PaymentRequiredError) {
    res.status(402).json(error.body);
    return;
  }
  const isTollgateDown = error.httpStatus === null || error.httpStatus >= 500;
  if (isTollgateDown) {
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
