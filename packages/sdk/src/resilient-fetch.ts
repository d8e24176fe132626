export interface ResilientFetchOptions {
  /** The underlying fetch (a test can wrap it to drop responses). */
  fetch: typeof fetch;
  /** Per attempt: each retry gets a fresh timeout. */
  timeoutMs: number;
  /** Extra attempts after a network error or a timeout; HTTP error answers are never retried. */
  retries: number;
  /** Returns the Authorization header value for the next attempt (null: send none). */
  getAuthorization: () => Promise<string | null>;
  /** Called once after a 401; true means the credentials were renewed and the request is resent once. */
  onUnauthorized?: () => Promise<boolean>;
  /** Requests whose 401 must not trigger onUnauthorized (the refresh call itself, login, …). */
  isAuthRequest?: (url: string) => boolean;
}

const BASE_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 2_000;

/**
 * A fetch for tRPC's httpLink that adds the credentials, a timeout per attempt, and retries of network
 * errors and timeouts. Retrying a request the server may already have processed is safe for Tollgate:
 * authorize is idempotent on its run id, and reads have no effect. The body is read here, inside the
 * retried block, so a connection that breaks mid-answer is retried too.
 */
export function createResilientFetch(options: ResilientFetchOptions): typeof fetch {
  const refreshOnce = singleFlight(options.onUnauthorized);

  return async function resilientFetch(input, init) {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const callerSignal = init?.signal ?? undefined;

    const send = () => fetchWithRetries(input, init, callerSignal, options);
    const response = await send();
    const canRefresh = refreshOnce && !(options.isAuthRequest?.(url) ?? false);
    if (response.status !== 401 || !canRefresh) return response;
    return (await refreshOnce()) ? send() : response;
  };
}

async function fetchWithRetries(
  input: Parameters<typeof fetch>[0],
  init: RequestInit | undefined,
  callerSignal: AbortSignal | undefined,
  options: ResilientFetchOptions,
): Promise<Response> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await fetchOnce(input, init, callerSignal, options);
    } catch (error) {
      // The caller gave up: retrying would do work nobody waits for.
      if (callerSignal?.aborted || attempt >= options.retries) throw error;
      await sleep(backoffMs(attempt));
    }
  }
}

async function fetchOnce(
  input: Parameters<typeof fetch>[0],
  init: RequestInit | undefined,
  callerSignal: AbortSignal | undefined,
  options: ResilientFetchOptions,
): Promise<Response> {
  const headers = new Headers(init?.headers);
  const authorization = await options.getAuthorization();
  if (authorization) headers.set('authorization', authorization);
  else headers.delete('authorization');

  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout;
  const response = await options.fetch(input, { ...init, headers, signal });
  const body = await response.arrayBuffer();
  return new Response(isNullBodyStatus(response.status) ? null : body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

/** Concurrent 401s share one refresh instead of each rotating the refresh token. */
function singleFlight(task: (() => Promise<boolean>) | undefined): (() => Promise<boolean>) | null {
  if (!task) return null;
  let inFlight: Promise<boolean> | null = null;
  return () => {
    inFlight ??= task()
      .catch(() => false)
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  };
}

function backoffMs(attempt: number): number {
  const exponential = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** attempt);
  // Jitter keeps many clients that lost the same connection from retrying in lockstep.
  return exponential / 2 + Math.random() * (exponential / 2);
}

function isNullBodyStatus(status: number): boolean {
  return status === 204 || status === 205 || status === 304;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
