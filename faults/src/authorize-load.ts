/** One `POST /api/v1/usage/authorize` as the client saw it. */
export interface Attempt {
  userId: string;
  runId: string;
  /** null: no answer (connection refused or reset, or the client's timeout). */
  status: number | null;
  isReplay: boolean | null;
  retryAfter: string | null;
  code: string | null;
  /** ms since the load began (performance.now based). */
  startedAt: number;
  endedAt: number;
  error: string | null;
}

export interface AuthorizeTarget {
  /** Read before each request: a restarted server may listen elsewhere. */
  baseUrl(): string;
  apiKey: string;
}

const CLIENT_TIMEOUT_MS = 30_000;

/** REST (`/api/v1/usage/authorize`) or tRPC (`/api/trpc/usage.authorize`): both must fail the same way. */
export type Transport = 'rest' | 'trpc';

interface AnswerBody {
  isReplay?: unknown;
  error?: { code?: unknown; data?: { code?: unknown } };
  result?: { data?: { isReplay?: unknown } };
}

export async function authorizeOnce(
  target: AuthorizeTarget,
  userId: string,
  runId: string,
  {
    transport = 'rest',
    clock = () => performance.now(),
  }: { transport?: Transport; clock?: () => number } = {},
): Promise<Attempt> {
  const path = transport === 'rest' ? '/api/v1/usage/authorize' : '/api/trpc/usage.authorize';
  return postJson(target.baseUrl(), path, target.apiKey, { userId, runId }, clock);
}

/** POSTs JSON and reads the answer the way both transports shape it. */
export async function postJson(
  baseUrl: string,
  path: string,
  token: string,
  body: Record<string, unknown>,
  clock: () => number = () => performance.now(),
): Promise<Attempt> {
  const startedAt = clock();
  const base = { userId: String(body.userId ?? ''), runId: String(body.runId ?? ''), startedAt };
  try {
    const response = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
    });
    const text = await response.text();
    let answer: AnswerBody = {};
    try {
      answer = JSON.parse(text) as AnswerBody;
    } catch {
      // Not JSON: kept as the code below, so the test shows it.
    }
    const isReplay = answer.result?.data?.isReplay ?? answer.isReplay;
    const code = answer.error?.data?.code ?? answer.error?.code;
    return {
      ...base,
      status: response.status,
      isReplay: typeof isReplay === 'boolean' ? isReplay : null,
      retryAfter: response.headers.get('retry-after'),
      code: typeof code === 'string' ? code : response.ok ? null : text.slice(0, 200),
      endedAt: clock(),
      error: null,
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return {
      ...base,
      status: null,
      isReplay: null,
      retryAfter: null,
      code: null,
      endedAt: clock(),
      error: cause?.code ?? String(error),
    };
  }
}

export interface AuthorizeLoad {
  /** Every attempt so far (the array keeps growing until stop()). */
  readonly attempts: Attempt[];
  /** ms on the load's clock. */
  now(): number;
  /** Stops issuing new runs and waits for the ones in flight. */
  stop(): Promise<Attempt[]>;
}

export interface LoadOptions {
  concurrency: number;
  /** Run ids `<prefix>-r<n>`, users `<prefix>-u<n / runsPerUser>`. */
  prefix: string;
  /** More than the FREE limit (10): each user also gets refusals (402). */
  runsPerUser: number;
  /** Pause after a 5xx, so an outage doesn't burn thousands of run ids per second. */
  pauseAfterFailureMs?: number;
  /** Pause after no answer at all (the server is down): longer, as a client's reconnect backoff. */
  pauseAfterNoAnswerMs?: number;
}

/**
 * `concurrency` clients, each authorizing a new run as soon as its previous one was answered: every
 * run id is sent once here (replays are the test's job afterwards).
 */
export function startAuthorizeLoad(target: AuthorizeTarget, options: LoadOptions): AuthorizeLoad {
  const { concurrency, prefix, runsPerUser, pauseAfterFailureMs = 100, pauseAfterNoAnswerMs = 500 } = options;
  const origin = performance.now();
  const now = () => performance.now() - origin;
  const attempts: Attempt[] = [];
  let next = 0;
  let isStopped = false;

  async function client(): Promise<void> {
    while (!isStopped) {
      const n = next;
      next += 1;
      // One call in four goes through tRPC.
      const transport: Transport = n % 4 === 3 ? 'trpc' : 'rest';
      const userId = `${prefix}-u${Math.floor(n / runsPerUser)}`;
      const attempt = await authorizeOnce(target, userId, `${prefix}-r${n}`, { transport, clock: now });
      attempts.push(attempt);
      const pauseMs =
        attempt.status === null ? pauseAfterNoAnswerMs : attempt.status >= 500 ? pauseAfterFailureMs : 0;
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }

  const clients = Array.from({ length: concurrency }, () => client());
  return {
    attempts,
    now,
    async stop() {
      isStopped = true;
      await Promise.all(clients);
      return attempts;
    },
  };
}
