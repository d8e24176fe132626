import {
  TRPCError,
  getTRPCErrorFromUnknown,
  transformTRPCResponse,
  type AnyTRPCProcedure,
  type AnyTRPCRouter,
} from '@trpc/server';
import type { ResponseMetaFn } from '@trpc/server/http';

/** How a direct call ended: answered (a success, written by the caller), or what the stock path must answer. */
export type DirectCallOutcome =
  /** Not a call this path takes (batch, unknown procedure, wrong method, unreadable input): nothing ran. */
  | { kind: 'not-taken' }
  /** The context could not be made: resolveResponse answers with this error (the context isn't made twice). */
  | { kind: 'context-failed'; cause: unknown }
  /** The procedure ran and failed: resolveResponse formats the error (the procedure isn't run twice). */
  | { kind: 'failed'; ctx: unknown; error: TRPCError }
  | { kind: 'answered'; status: number; headers: [string, string][]; body: string };

export interface DirectCall<TRouter extends AnyTRPCRouter> {
  router: TRouter;
  method: string;
  url: URL;
  /** The procedure path, as tRPC's adapter cuts it from the URL. */
  path: string;
  bodyText: () => Promise<string>;
  signal: AbortSignal;
  createContext: () => Promise<unknown>;
  responseMeta: ResponseMetaFn<TRouter>;
}

const METHOD_OF_TYPE: Record<string, string> = { query: 'GET', mutation: 'POST' };

/**
 * One tRPC call (no `?batch=1`): a query by GET or a mutation by POST, to a procedure that exists, with
 * an input that parses. It runs the procedure as tRPC's resolveResponse does (same context, same raw
 * input, same options) and builds the success answer as it does — `{"result":{"data":…}}` through the
 * router's transformer, status 200 unless responseMeta says otherwise, `content-type` and `vary`, the
 * headers in Fetch order — without its per-call Headers, URL, abort signals and Response (~20 % of a
 * tRPC call). Everything else is tRPC's own: a call this path doesn't take has run nothing and goes to
 * resolveResponse whole; an error is handed to resolveResponse to format (its `error` option), so
 * every error answer is tRPC's. apps/server/test/trpc-middleware.test.ts compares answers with the
 * stock adapter byte for byte.
 */
export async function callDirectly<TRouter extends AnyTRPCRouter>(
  call: DirectCall<TRouter>,
): Promise<DirectCallOutcome> {
  const { router, url, path } = call;
  const procedure = procedureAt(router, path);
  const isPlain = !url.searchParams.has('batch') && !url.searchParams.has('connectionParams');
  if (!procedure || !isPlain) {
    return { kind: 'not-taken' };
  }
  const type = procedure._def.type;
  if (METHOD_OF_TYPE[type] !== call.method) return { kind: 'not-taken' };
  const input = await rawInputOf(call, router);
  if (input === UNREADABLE) return { kind: 'not-taken' };

  let ctx: unknown;
  try {
    ctx = await call.createContext();
  } catch (cause) {
    return { kind: 'context-failed', cause };
  }
  let data: unknown;
  try {
    data = await procedure({
      path,
      getRawInput: async () => input,
      ctx,
      type,
      signal: call.signal,
      batchIndex: 0,
    });
  } catch (cause) {
    return { kind: 'failed', ctx, error: getTRPCErrorFromUnknown(cause) };
  }
  if (isDataStream(data)) {
    const error = new TRPCError({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: 'Cannot use stream-like response in non-streaming request - use httpBatchStreamLink',
    });
    return { kind: 'failed', ctx, error };
  }
  return answerOf(call, procedure, ctx, input, data);
}

const UNREADABLE = Symbol('unreadable input');

/** tRPC's JSON input rules for one call: GET `?input=`, POST the body; empty = undefined. */
async function rawInputOf(
  call: Pick<DirectCall<AnyTRPCRouter>, 'method' | 'url' | 'bodyText'>,
  router: AnyTRPCRouter,
): Promise<unknown> {
  try {
    const text = call.method === 'GET' ? call.url.searchParams.get('input') : await call.bodyText();
    if (!text) return undefined;
    return router._def._config.transformer.input.deserialize(JSON.parse(text)) as unknown;
  } catch {
    // Unparsable JSON or a body too large: resolveResponse answers it, as for any call.
    return UNREADABLE;
  }
}

function answerOf<TRouter extends AnyTRPCRouter>(
  call: DirectCall<TRouter>,
  procedure: AnyTRPCProcedure,
  ctx: unknown,
  input: unknown,
  data: unknown,
): DirectCallOutcome {
  const { router, path } = call;
  const type = procedure._def.type;
  const untransformed = { result: { data } };
  const headers = new Map<string, string>([
    ['vary', 'trpc-accept, accept'],
    ['content-type', 'application/json'],
  ]);
  const info = {
    isBatchCall: false,
    accept: null,
    type,
    calls: [{ path, procedure, batchIndex: 0, getRawInput: async () => input, result: () => input }],
    connectionParams: null,
    signal: call.signal,
    url: call.url,
  };
  const meta =
    call.responseMeta({
      ctx: ctx as never,
      info: info as never,
      paths: [path],
      data: [untransformed] as never,
      errors: [],
      eagerGeneration: false,
      type,
    }) ?? {};
  // As resolveResponse's initResponse: a plain object's arrays are appended, its strings set.
  for (const [key, value] of Object.entries(meta.headers ?? {})) {
    const name = key.toLowerCase();
    if (Array.isArray(value)) for (const item of value) appendHeader(headers, name, String(item));
    else if (typeof value === 'string') headers.set(name, value);
  }
  const body = JSON.stringify(transformTRPCResponse(router._def._config, untransformed));
  // A Fetch Headers iterates by name, sorted; the stock adapter writes them in that order.
  const sorted = [...headers].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { kind: 'answered', status: meta.status ?? 200, headers: sorted, body };
}

function appendHeader(headers: Map<string, string>, name: string, value: string): void {
  const existing = headers.get(name);
  headers.set(name, existing === undefined ? value : `${existing}, ${value}`);
}

/**
 * The procedure at a path as sent: only a path tRPC would not decode or re-split (no `%`, the default
 * `.` separator), and own properties only (`__proto__` or `toString` is no procedure).
 */
function procedureAt(router: AnyTRPCRouter, path: string): AnyTRPCProcedure | null {
  const separator = (router._def._config as { pathSeparator?: string }).pathSeparator ?? '.';
  if (path.includes('%') || separator !== '.') return null;
  const procedures = router._def.procedures as Record<string, AnyTRPCProcedure | undefined>;
  return Object.hasOwn(procedures, path) ? (procedures[path] ?? null) : null;
}

/** resolveResponse's isDataStream: an async iterable, or an object with a promise or iterable value. */
function isDataStream(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  if (Symbol.asyncIterator in value) return true;
  return Object.values(value).some(
    (item: unknown) =>
      typeof item === 'object' &&
      item !== null &&
      (Symbol.asyncIterator in item ||
        (typeof (item as { then?: unknown }).then === 'function' &&
          typeof (item as { catch?: unknown }).catch === 'function')),
  );
}
