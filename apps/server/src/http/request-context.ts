import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pinoLoggerOf, type Logger } from '@tollgate/api';
import type { Request, RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,100}$/;
const REQUEST_ID_HEADER = 'X-Request-Id';

/**
 * Gives each request an id (kept from X-Request-Id when it looks sane), answered in X-Request-Id and
 * kept in res.locals.requestId for the error logs and the tRPC context; with isLogging, one log line
 * per finished request carries the same id.
 */
export function requestContext(logger: Logger, { isLogging }: { isLogging: boolean }): RequestHandler[] {
  return isLogging ? [assignRequestId, requestLog(logger)] : [assignRequestId];
}

const assignRequestId: RequestHandler = (req, res, next) => {
  const incoming = req.get(REQUEST_ID_HEADER);
  const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.locals.requestId = requestId;
  res.setHeader(REQUEST_ID_HEADER, requestId);
  next();
};

/**
 * pino-http, through the server's logger (same redaction, same destination). `requestId` is put on the
 * line itself rather than bound with quietReqLogger: a second child logger per request costs ~10x the
 * line (measured). The path is logged without its query string, which could carry a secret.
 */
function requestLog(logger: Logger): RequestHandler {
  return pinoHttp({
    logger: pinoLoggerOf(logger),
    genReqId: (_req: IncomingMessage, res: ServerResponse) => String(res.getHeader(REQUEST_ID_HEADER)),
    customAttributeKeys: { responseTime: 'durationMs' },
    serializers: {
      req: (req: { method: string; url: string; raw: Request }) => ({
        method: req.method,
        path: pathOf(req.raw.originalUrl ?? req.url),
        ip: req.raw.ip,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customSuccessObject: (req, _res, logged: Record<string, unknown>) => ({ requestId: req.id, ...logged }),
    // The 5xx itself is logged with its cause where it happens (error handler, tRPC, webhook): the
    // request line keeps its status and timing, without pino-http's stand-in Error and stack.
    customErrorObject: (req, _res, error, logged: Record<string, unknown>) => ({
      requestId: req.id,
      res: logged.res,
      durationMs: logged.durationMs,
      error: error.message,
    }),
  });
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
