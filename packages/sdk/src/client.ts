import { createTRPCClient, httpLink, type TRPCClient } from '@trpc/client';
import { toTollgateError } from './errors';
import { createResilientFetch } from './resilient-fetch';
import {
  toBalance,
  toRunAuthorization,
  toSettledRun,
  toSubscriptionOverview,
  type Balance,
  type RunAuthorization,
  type SettledRun,
  type SubscriptionOverview,
} from './results';
import type { AppRouter } from './router-types';

interface CommonClientOptions {
  /** Tollgate's origin, e.g. `https://billing.example.com`; tRPC is served under `/api/trpc`. */
  url: string;
  /** Per attempt, default 10 s. */
  timeoutMs?: number;
  /**
   * Extra attempts after a network error or timeout (never after an HTTP answer), default 2. Only for
   * queries and the mutations that are safe to resend (usage.authorize, usage.start, usage.release,
   * usage.settle).
   */
  retries?: number;
  fetch?: typeof fetch;
}

/** A backend service: acts for any user with a scoped service API key (`tg_sk_…`). */
export interface ServiceClientOptions extends CommonClientOptions {
  apiKey: string;
}

/** A user context (browser, CLI): acts for the signed-in user only. */
export interface UserClientOptions extends CommonClientOptions {
  getToken: () => string | null | Promise<string | null>;
  /**
   * Called on a 401 (not for the auth.* calls themselves), e.g. to refresh the access token;
   * resolve true to resend the request once with the new token. Concurrent 401s share one call.
   */
  onUnauthorized?: () => Promise<boolean>;
  /**
   * The billing account the signed-in user acts on (a team it belongs to), sent as the
   * `X-Tollgate-Account` header on every call; null or omitted: the user's personal account. E.g. the
   * web app's account switcher. A call that also names an `accountId` must name the same one (else 400).
   */
  getAccountId?: () => string | null | Promise<string | null>;
}

export type TollgateClientOptions = ServiceClientOptions | UserClientOptions;

/**
 * Whom a call is for. A service key names the member (`userId`) and, for a team, the account
 * (`accountId`); `userId` alone is that user's personal account. A user token acts for itself: it may
 * omit `userId` (or name itself only) and name one of its teams with `accountId` (or the client's
 * `getAccountId`).
 */
export interface AccountTarget {
  /** Required with a service key (on a team account: the member the run is recorded for). */
  userId?: string;
  /** The billing account that pays (a team account's id); omitted: the user's personal account. */
  accountId?: string;
}

export interface RunInput extends AccountTarget {
  /** The caller's id for this run: usable once, so retrying authorize never charges twice. */
  runId: string;
}

export interface AuthorizeRunInput extends RunInput {
  /**
   * Optional: a hash of what this run is for. The same runId with another requestHash is refused
   * (409 RUN_ID_REUSED) instead of being answered as a retry of the first request.
   */
  requestHash?: string;
  /**
   * Optional: the units this run may cost, reserved now (a whole number, 1 to 100 000; default 1). They
   * come from the plan's allowance first, then packs and grants; `settleRun` charges the actual cost
   * afterwards (runs never settled are settled at the estimate). Part of the request: the same runId
   * with another estimate is refused (409 RUN_ID_REUSED).
   */
  estimate?: number;
}

export interface StartRunInput extends RunInput {
  /** One per start call, resent on retry (generated when omitted): a lost answer can be asked again. */
  attemptId?: string;
}

/** Releasing is a service's act for the member (and account) it names (end-user tokens get 403). */
export interface ReleaseRunInput {
  userId: string;
  /** The team account the run was reserved on; omitted: the user's personal account. */
  accountId?: string;
  runId: string;
}

/** Settling is a service's act, like releasing: the key that reserved the run names the same member. */
export interface SettleRunInput {
  userId: string;
  /** The team account the run was reserved on; omitted: the user's personal account. */
  accountId?: string;
  runId: string;
  /**
   * What the run finally cost, in units (a whole number, 1 to 100 000: a started run did work). Below the
   * estimate the rest goes back; above it the overrun is charged up to what the balance still holds.
   */
  actual: number;
}

export interface StartedRun {
  runId: string;
  state: 'started';
  startedAt: Date;
  /** True when this attemptId had already started the run (a retried call). */
  isReplay: boolean;
}

export interface TollgateClient {
  /** The typed tRPC client for every procedure; its errors are TRPCClientError (see toTollgateError). */
  trpc: TRPCClient<AppRouter>;
  /**
   * Reserves one run. Denied → PaymentRequiredError; the same runId and requestHash again counts
   * nothing (`isReplay`, and `state` says whether its work may still start).
   */
  authorizeRun(input: AuthorizeRunInput): Promise<RunAuthorization>;
  /**
   * Records that the run's work starts now: once per run id. Start the work only after this resolved;
   * it rejects with RUN_ALREADY_STARTED / RUN_RELEASED when the work must not start.
   */
  startRun(input: StartRunInput): Promise<StartedRun>;
  /**
   * Gives back a reserved run whose work never started (a service key with the runs:release scope,
   * the one that reserved it). Unreleased runs that never start are released by Tollgate itself after
   * its RUN_START_TIMEOUT_SECONDS.
   */
  releaseRun(input: ReleaseRunInput): Promise<{ runId: string; released: true; isReplay: boolean }>;
  /**
   * Says what a started run finally cost (a service key with the runs:settle scope, the one that
   * reserved the run): `charged` is `actual`, or less when an overrun went past the balance. The same
   * actual again is answered again (`isReplay`); another one → RUN_ALREADY_SETTLED; a run not started →
   * RUN_NOT_STARTED. Runs never settled are settled at their estimate after RUN_SETTLE_TIMEOUT_SECONDS.
   */
  settleRun(input: SettleRunInput): Promise<SettledRun>;
  /**
   * Everything the active account can spend (a user context: the signed-in user's account, or the team
   * `getAccountId` names): the plan's allowance this period, then each pack and grant in draw order.
   */
  getBalance(): Promise<Balance>;
  /**
   * The subscription and usage of an account: a user id (its personal account, as before), or
   * `{ userId, accountId }` (a team account, read for one of its members); a user token may omit it.
   */
  getSubscription(target?: string | AccountTarget): Promise<SubscriptionOverview>;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_RETRIES = 2;
/**
 * Mutations whose effect can't happen twice, so resending one after a lost answer is safe: authorize
 * is idempotent on its run id (and fingerprint), a start is answered again for its attemptId, a run is
 * released at most once, and a settle with the same actual is answered again. Other mutations
 * (sessions.create, auth.register, …) are not retried: a lost answer may hide a processed request.
 */
const RETRY_SAFE_MUTATIONS = new Set(['usage.authorize', 'usage.start', 'usage.release', 'usage.settle']);
// Their 401 means "wrong credentials", not "token expired": refreshing would not help (or would loop).
const AUTH_PROCEDURE = /\/auth\.(login|register|refresh|logout)(\?|$)/;

export function createTollgateClient(options: TollgateClientOptions): TollgateClient {
  const baseUrl = options.url.replace(/\/+$/, '');
  const resilientFetch = createResilientFetch({
    fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    retries: Math.max(0, options.retries ?? DEFAULT_RETRIES),
    isRetrySafe: (url, method) => method === 'GET' || RETRY_SAFE_MUTATIONS.has(procedurePathOf(url)),
    getAuthorization: authorizationOf(options),
    onUnauthorized: 'getToken' in options ? options.onUnauthorized : undefined,
    isAuthRequest: (url) => AUTH_PROCEDURE.test(url),
  });
  // httpLink, not httpBatchLink: one request per call, so a retry resends exactly one procedure.
  const trpc = createTRPCClient<AppRouter>({
    links: [
      httpLink({ url: `${baseUrl}/api/trpc`, fetch: resilientFetch, headers: accountHeaderOf(options) }),
    ],
  });

  return {
    trpc,
    async authorizeRun(input) {
      const output = await mapErrors(trpc.usage.authorize.mutate(input));
      return toRunAuthorization(output);
    },
    async startRun(input) {
      const attemptId = input.attemptId ?? randomAttemptId();
      const output = await mapErrors(trpc.usage.start.mutate({ ...input, attemptId }));
      return { ...output, startedAt: new Date(output.startedAt) };
    },
    releaseRun(input) {
      return mapErrors(trpc.usage.release.mutate(input));
    },
    async settleRun(input) {
      return toSettledRun(await mapErrors(trpc.usage.settle.mutate(input)));
    },
    async getBalance() {
      return toBalance(await mapErrors(trpc.usage.balance.query()));
    },
    async getSubscription(target) {
      const input = typeof target === 'string' ? { userId: target } : { ...target };
      const output = await mapErrors(trpc.billing.subscription.query(input));
      return toSubscriptionOverview(output);
    },
  };
}

/** Browsers and Node ≥ 19 have crypto.randomUUID; the SDK needs nothing else. */
function randomAttemptId(): string {
  return globalThis.crypto.randomUUID();
}

/** `…/api/trpc/usage.authorize?…` → `usage.authorize`. */
function procedurePathOf(url: string): string {
  const path = url.split('?')[0] ?? '';
  return path.slice(path.lastIndexOf('/') + 1);
}

function authorizationOf(options: TollgateClientOptions): () => Promise<string | null> {
  if ('apiKey' in options) {
    const header = `Bearer ${options.apiKey}`;
    return async () => header;
  }
  return async () => {
    const token = await options.getToken();
    return token ? `Bearer ${token}` : null;
  };
}

/** Tollgate reads the account a user's call acts on from this header (absent: its personal account). */
const ACCOUNT_HEADER = 'X-Tollgate-Account';

function accountHeaderOf(options: TollgateClientOptions): () => Promise<Record<string, string>> {
  const getAccountId = 'getToken' in options ? options.getAccountId : undefined;
  if (!getAccountId) return async () => ({});
  return async () => {
    const accountId = await getAccountId();
    const headers: Record<string, string> = {};
    if (accountId) headers[ACCOUNT_HEADER] = accountId;
    return headers;
  };
}

async function mapErrors<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw toTollgateError(error);
  }
}
