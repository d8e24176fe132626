import { errorAnswer, errorAnswerOf, type ErrorAnswer, type Logger } from '@tollgate/api';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { sendJson } from './send-json';

/** Sends an error's answer (errorAnswerOf in @tollgate/api shapes every one): headers, status, JSON. */
export function sendErrorAnswer(res: Response, answer: ErrorAnswer): void {
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  sendJson(res, answer.status, answer.body);
}

/** JSON 404 for unknown API routes (the SPA fallback handles the rest in production). */
export const apiNotFound: RequestHandler = (req, res) => {
  sendErrorAnswer(res, errorAnswer(404, 'NOT_FOUND', `No route ${req.method} ${req.path}`));
};

/**
 * Last-resort handler: body-parser errors (bad JSON, too large) become their 4xx with a clear message;
 * a database that can't be reached is a 503 with Retry-After (the client retries, nothing to log per
 * request: the pool logs the lost connections); anything else is a logged 500 that reveals nothing
 * internal.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, _req, res, next) => {
    if (res.headersSent) return next(error);
    const answer = errorAnswerOf(error);
    if (answer.isUnexpected) {
      logger.error('unhandled error', {
        requestId: res.locals.requestId,
        error: String(error?.stack ?? error),
      });
    }
    sendErrorAnswer(res, answer);
  };
}
