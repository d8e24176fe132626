/** Minimal HTTP helpers: tests speak to the server exactly as clients do, over the wire. */
export interface HttpResult<T = unknown> {
  status: number;
  body: T;
}

export async function request<T = unknown>(
  baseUrl: string,
  method: string,
  path: string,
  { token, body, headers = {} }: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<HttpResult<T>> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
}

interface TrpcEnvelope<T> {
  result?: { data: T };
  error?: {
    message: string;
    data: {
      code: string;
      httpStatus: number;
      appCode: string | null;
      fieldErrors: Record<string, string[]> | null;
      paymentRequired: Record<string, unknown> | null;
    };
  };
}

export interface TrpcResult<T> {
  status: number;
  data: T | undefined;
  error: TrpcEnvelope<T>['error'];
}

/** Calls a tRPC procedure over HTTP (queries as GET, mutations as POST), unbatched. */
export async function trpc<T = any>( // eslint-disable-line @typescript-eslint/no-explicit-any
  baseUrl: string,
  kind: 'query' | 'mutation',
  path: string,
  input?: unknown,
  token?: string,
  headers: Record<string, string> = {},
): Promise<TrpcResult<T>> {
  const url =
    kind === 'query'
      ? `${baseUrl}/api/trpc/${path}${input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`}`
      : `${baseUrl}/api/trpc/${path}`;
  const response = await fetch(url, {
    method: kind === 'query' ? 'GET' : 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: kind === 'mutation' && input !== undefined ? JSON.stringify(input) : undefined,
  });
  const envelope = (await response.json()) as TrpcEnvelope<T>;
  return { status: response.status, data: envelope.result?.data, error: envelope.error };
}

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  user: { id: string; email: string | null };
}

let counter = 0;
export function uniqueEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}@example.test`;
}

export async function registerUser(baseUrl: string, email = uniqueEmail()): Promise<Tokens> {
  const result = await trpc<Tokens>(baseUrl, 'mutation', 'auth.register', {
    email,
    password: 'correct horse battery',
  });
  if (!result.data) throw new Error(`register failed: ${JSON.stringify(result.error)}`);
  return result.data;
}
