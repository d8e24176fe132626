/**
 * A stand-in for Tollgate's HTTP API that speaks tRPC's wire format (httpLink, no transformer), so
 * component tests run the real SDK client, stores and components against answers they choose.
 */
export interface FakeCall {
  path: string;
  input: unknown;
  authorization: string | null;
  /** The X-Tollgate-Account header: the team account the call acts on (null: personal). */
  account: string | null;
}

export type FakeHandler = (input: unknown, call: FakeCall) => unknown;

/** Thrown by a handler to answer with a tRPC error. */
export class FakeTrpcError extends Error {
  constructor(
    readonly code: string,
    readonly httpStatus: number,
    message: string,
    readonly data: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface FakeTrpc {
  fetch: typeof fetch;
  calls: FakeCall[];
  callsTo(path: string): FakeCall[];
  handlers: Record<string, FakeHandler>;
}

export function createFakeTrpc(handlers: Record<string, FakeHandler>): FakeTrpc {
  const calls: FakeCall[] = [];

  const fakeFetch: typeof fetch = async (input, init) => {
    const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const url = new URL(href, 'http://localhost');
    const path = url.pathname.replace(/^\/api\/trpc\//, '');
    const raw = init?.method === 'POST' ? init.body : url.searchParams.get('input');
    const call: FakeCall = {
      path,
      input: typeof raw === 'string' && raw !== '' ? JSON.parse(raw) : undefined,
      authorization: new Headers(init?.headers).get('authorization'),
      account: new Headers(init?.headers).get('x-tollgate-account'),
    };
    calls.push(call);
    const handler = fake.handlers[path];
    if (!handler) return errorResponse(new FakeTrpcError('NOT_FOUND', 404, `No fake handler for ${path}`));
    try {
      return jsonResponse(200, { result: { data: await handler(call.input, call) } });
    } catch (error) {
      if (error instanceof FakeTrpcError) return errorResponse(error);
      throw error;
    }
  };

  const fake: FakeTrpc = {
    fetch: fakeFetch,
    calls,
    callsTo: (path) => calls.filter((call) => call.path === path),
    handlers: { ...handlers },
  };
  return fake;
}

function errorResponse(error: FakeTrpcError): Response {
  return jsonResponse(error.httpStatus, {
    error: {
      message: error.message,
      code: -32000,
      data: { code: error.code, httpStatus: error.httpStatus, ...error.data },
    },
  });
}

function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}
