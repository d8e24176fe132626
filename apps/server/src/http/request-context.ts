import { randomUUID } from 'node:crypto';
import type { Logger } from '@tollgate/api';
import type { RequestHandler } from 'express';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,100}$/;

/** Gives each request an id (kept from X-Request-Id when it looks sane) and logs it when it ends. */
export function requestContext(logger: Logger, { isLogging }: { isLogging: boolean }): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    if (isLogging) {
      const startedAt = process.hrtime.bigint();
      res.on('finish', () => {
        logger.info('request', {
          requestId,
          method: req.method,
          path: req.originalUrl.split('?')[0],
          status: res.statusCode,
          durationMs: Number((process.hrtime.bigint() - startedAt) / 1000n) / 1000,
          ip: req.ip,
        });
      });
    }
    next();
  };
}
