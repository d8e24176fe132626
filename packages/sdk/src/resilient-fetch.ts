export interface ResilientFetchOptions {
  /** The underlying fetch (a test can wrap it to drop responses). */
  fetch: typeof fetch;
  /** Per attempt: each retry gets a fresh timeout. */
  timeoutMs: number;
  /** Extra attempts after a network error or a timeout; HTTP error answers are never retried. */
  retries: number;
  /** Whether resending this request is harmless even if the server already processed it. */
  isRetrySafe: (url: string, method: string) => boolean;
  /** Returns the Authorization header value for the next request (null: send none). */
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
 * errors and timeouts for requests that are safe to resend (a lost answer may hide a processed
 * request: fine for reads and for authorize, which is idempotent on its run id). The body is read
 * here, inside the retried block, so a connection that breaks mid-answer is retried too.
 */
export function createResilientFetch(options: ResilientFetchOptions): typeof fetch {
  const refreshOnce = singleFlight(options.onUnauthorized);

  return async function resilientFetch(input, init) {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = (init?.method ?? 'GET').toUpperCase();
    const retries = options.isRetrySafe(url, method) ? options.retries : 0;

    const send = async () => {
      const headers = new Headers(init?.headers);
      const authorization = await options.getAuthorization();
      if (authorization) headers.set('authorization', authorization);
      else headers.delete('authorization');
      return fetchWithRetries(input, { ...init, headers }, retries, options);
    };
    const response = await send();
    const canRefresh = refreshOnce && !(options.isAuthRequest?.(url) ?? false);
    if (response.status !== 401 || !canRefresh) return response;
    return (await refreshOnce()) ? send() : response;
  };
}

async function fetchWithRetries(
  input: Parameters<typeof fetch>[0],
  init: RequestInit,
  retries: number,
  options: ResilientFetchOptions,
): Promise<Response> {
  const callerSignal = init.signal ?? undefined;
  for (let attempt = 0; ; attempt += 1) {
    const deadline = attemptDeadline(callerSignal, options.timeoutMs);
    try {
      const response = await options.fetch(input, { ...init, signal: deadline.signal });
      const body = await response.arrayBuffer();
      return new Response(isNullBodyStatus(response.status) ? null : body, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    } catch (error) {
      // The caller gave up: retrying would do work nobody waits for.
      if (callerSignal?.aborted || attempt >= retries) throw error;
      await sleep(backoffMs(attempt));
    } finally {
      deadline.clear();
    }
  }
}

/**
 * One attempt's signal: aborted with a TimeoutError after `timeoutMs`, or when the caller aborts.
 * A plain timer, not AbortSignal.any([caller, AbortSignal.timeout()]): Node's timeout signal is held
 * only weakly by its timer, and the combined signal doesn't keep its sources alive, so a garbage
 * collection during the wait dropped it and the attempt hung until the caller gave up (on Node 20, a
 * hanging server and a GC every few ms: never aborted). `clear` stops the timer and detaches from the caller once the attempt is over.
 */
function attemptDeadline(callerSignal: AbortSignal | undefined, timeoutMs: number) {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException('The operation timed out.', 'TimeoutError')),
    timeoutMs,
  );
  const onCallerAbort = () => controller.abort(callerSignal?.reason);
  if (callerSignal?.aborted) onCallerAbort();
  else callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
    },
  };
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
