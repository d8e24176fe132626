import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import helmet from 'helmet';

type Header = readonly [name: string, value: string | number | readonly string[]];

/**
 * helmet's headers, worked out once at start instead of on every request. helmet runs its ~13
 * middlewares per request and rebuilds the Content-Security-Policy string each time (its directives
 * may be functions of the request; ours are not), which was ~11 % of a bare route's CPU. Our options
 * are static, so one dry run against a recording response gives every header it would set.
 */
export function securityHeaders(): RequestHandler {
  const headers = recordHelmetHeaders();
  return (_req, res, next) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}

/** The headers helmet() sets on a response; throws if it would do anything else (then precomputing is wrong). */
export function recordHelmetHeaders(): Header[] {
  const headers: Header[] = [];
  const response = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.push([name, value]);
      return response;
    },
    // helmet removes X-Powered-By; express's own is disabled in app.ts, so there is nothing to remove.
    removeHeader() {},
  };
  let isDone = false;
  helmet()({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error instanceof Error ? error : new Error(String(error));
    isDone = true;
  });
  // helmet's middlewares are synchronous: a later release that isn't would leave us without headers.
  if (!isDone) throw new Error('helmet did not finish synchronously: its headers cannot be precomputed');
  return headers;
}
