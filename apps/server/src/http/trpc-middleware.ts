import { TRPCError, type AnyTRPCRouter } from '@trpc/server';
import { createExpressMiddleware, type CreateExpressContextOptions } from '@trpc/server/adapters/express';
import { createURL, internal_exceptionHandler } from '@trpc/server/adapters/node-http';
import { resolveResponse, type ResponseMetaFn } from '@trpc/server/http';
import type { Request, RequestHandler, Response } from 'express';
import { callDirectly } from './trpc-direct-call';

interface TRPCMiddlewareOptions<TRouter extends AnyTRPCRouter> {
  router: TRouter;
  createContext: (opts: CreateExpressContextOptions) => Promise<TRouter['_def']['_config']['$types']['ctx']>;
  maxBodySize: number;
  responseMeta: ResponseMetaFn<TRouter>;
}

/**
 * tRPC's Express adapter with a lighter path for the calls this API serves (a GET without a body, a
 * POST of JSON). A single call runs directly (trpc-direct-call.ts: the procedure called as tRPC calls
 * it, its success answer built as tRPC builds it); everything else of such a call — batches, errors,
 * unknown procedures — is answered by tRPC's own `resolveResponse`, reading a small stand-in for a Fetch
 * `Request` (undici's costs ~20 µs with its signals and body stream), its JSON answer written as one
 * chunk instead of through a WritableStream pipe. Other content types and streamed answers go through
 * the stock adapter. Same statuses, headers, bodies and framing (test/trpc-middleware.test.ts).
 */
export function trpcMiddleware<TRouter extends AnyTRPCRouter>(
  opts: TRPCMiddlewareOptions<TRouter>,
): RequestHandler {
  const stock = createExpressMiddleware(opts);
  return (req, res, next) => {
    if (!isPlainCall(req)) return stock(req, res, next);
    const path = req.path.slice(req.path.lastIndexOf('/') + 1);
    answerPlainCall(opts, req, res, path).catch(internal_exceptionHandler({ ...opts, req, res, path }));
  };
}

/** A GET without a body type, or a POST of JSON, not asking for a streamed (jsonl) answer. */
function isPlainCall(req: Request): boolean {
  const contentType = req.headers['content-type'];
  const isPlainMethod =
    req.method === 'GET'
      ? contentType === undefined
      : req.method === 'POST' && contentType?.toLowerCase().split(';', 1)[0]?.trim() === 'application/json';
  return isPlainMethod && req.headers['trpc-accept'] === undefined && !req.headers.accept?.includes('jsonl');
}

async function answerPlainCall<TRouter extends AnyTRPCRouter>(
  opts: TRPCMiddlewareOptions<TRouter>,
  req: Request,
  res: Response,
  path: string,
): Promise<void> {
  const { request, url } = fetchRequestOf(req, res, opts.maxBodySize);
  const createContext = () => opts.createContext({ req, res, info: undefined as never });
  const direct = await callDirectly({
    router: opts.router,
    method: req.method,
    url,
    path,
    bodyText: () => request.text(),
    signal: request.signal,
    createContext,
    responseMeta: opts.responseMeta,
  });
  if (direct.kind === 'answered') {
    if (res.statusCode === 200) res.statusCode = direct.status;
    for (const [name, value] of direct.headers) res.setHeader(name, value);
    // Written as tRPC's adapter does (one body chunk, then the end): the same chunked framing. Corked,
    // so headers, chunk and terminator leave in one write (end() uncorks) instead of two.
    res.cork();
    res.write(direct.body);
    res.end();
    return;
  }
  // Everything else is answered by tRPC itself; a context or procedure already run is not run again.
  const response = await resolveResponse({
    router: opts.router,
    req: request,
    path,
    error: direct.kind === 'failed' ? direct.error : null,
    createContext:
      direct.kind === 'failed'
        ? async () => direct.ctx as Awaited<ReturnType<typeof createContext>>
        : direct.kind === 'context-failed'
          ? () => Promise.reject(direct.cause)
          : createContext,
    responseMeta: opts.responseMeta,
  });
  await writeResponse(res, response);
}

/** A Fetch Response from resolveResponse, written as tRPC's adapter writes it. */
async function writeResponse(res: Response, response: globalThis.Response): Promise<void> {
  if (res.statusCode === 200) res.statusCode = response.status;
  for (const [key, value] of response.headers) {
    if (key !== 'set-cookie') res.setHeader(key, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  try {
    // Written as tRPC's adapter does (one body chunk, then the end): the same chunked framing.
    if (response.body) res.write(await response.text());
  } catch (error) {
    if (!res.headersSent) res.statusCode = 500;
    throw error;
  } finally {
    res.end();
  }
}

/**
 * What resolveResponse reads of a Fetch `Request` for a plain call: method, URL, headers, the abort
 * signal (aborted when the client leaves, as in tRPC's adapter) and `text()` of a body read at once,
 * up to maxBodySize (beyond it: 413, as tRPC's adapter answers). The parsed URL comes along, so the
 * direct call doesn't parse it again.
 */
function fetchRequestOf(
  req: Request,
  res: Response,
  maxBodySize: number,
): { request: globalThis.Request; url: URL } {
  const abort = new AbortController();
  const onAbort = () => {
    res.off('close', onClose);
    req.off('aborted', onAbort);
    abort.abort();
  };
  const onClose = () => {
    if (res.writableEnded) {
      req.off('aborted', onAbort);
      return;
    }
    onAbort();
  };
  res.once('close', onClose);
  req.once('aborted', onAbort);
  const url = createURL(req);
  const body = req.method === 'GET' ? Promise.resolve('') : bodyText(req, maxBodySize);
  // Read only if the procedure asks for its input; a refusal before it must not be an unhandled rejection.
  body.catch(() => undefined);
  const headers = headersOf(req);
  const request = { method: req.method, url: url.href, headers, signal: abort.signal, text: () => body };
  // Safe while tRPC's JSON path reads only these members of its Request (@trpc/server 11.x): check the
  // stand-in again on a tRPC upgrade (apps/server/test/trpc-middleware.test.ts compares both paths).
  return { request: request as unknown as globalThis.Request, url };
}

/**
 * The request's headers as resolveResponse reads them: `get` and `has` by case-insensitive name, as a
 * Fetch `Headers` answers them (Node has already lowercased the names and joined repeated values).
 * undici's Headers validates every header on append: ~2 % of a tRPC call.
 */
function headersOf(req: Request): Pick<Headers, 'get' | 'has'> {
  const valueOf = (name: string): string | null => {
    const value = req.headers[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : value;
  };
  return { get: valueOf, has: (name) => valueOf(name) !== null };
}

function bodyText(req: Request, maxBodySize: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBodySize) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData);
      req.off('end', onEnd);
      reject(new TRPCError({ code: 'PAYLOAD_TOO_LARGE' }));
    };
    const onEnd = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      // As Body.text(): UTF-8, a leading byte order mark dropped.
      resolve(new TextDecoder().decode(Buffer.concat(chunks)));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    // A connection reset mid-body: the call fails like tRPC's stream read would, nothing waits forever.
    req.once('error', reject);
  });
}
