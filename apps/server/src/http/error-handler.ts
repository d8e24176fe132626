import {
  DATABASE_RETRY_AFTER_SECONDS,
  isServiceUnavailable,
  serviceUnavailableBody,
  type Logger,
} from '@tollgate/api';
import type { ErrorRequestHandler, RequestHandler } from 'express';

/** JSON 404 for unknown API routes (the SPA fallback handles the rest in production). */
export const apiNotFound: RequestHandler = (req, res) => {
  res.status(404).json({ error: { code: 'NOT_FOUND', message: `No route ${req.method} ${req.path}` } });
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
    if (isServiceUnavailable(error)) {
      res.setHeader('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
      res.status(503).json(serviceUnavailableBody());
      return;
    }
    const status =
      typeof error?.status === 'number' && error.status >= 400 && error.status < 500 ? error.status : 500;
    if (status === 500) {
      logger.error('unhandled error', {
        requestId: res.locals.requestId,
        error: String(error?.stack ?? error),
      });
      res.status(500).json({ error: { code: 'INTERNAL', message: 'Internal server error' } });
      return;
    }
    const message =
      error.type === 'entity.parse.failed'
        ? 'Request body is not valid JSON'
        : error.type === 'entity.too.large'
          ? 'Request body is too large'
          : String(error.message ?? 'Bad request');
    res
      .status(status)
      .json({ error: { code: status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST', message } });
  };
}
