import { createTollgateClient, type TollgateClient } from '@tollgate/sdk';
import { inject, type App, type InjectionKey } from 'vue';
import type { AuthSession } from '../features/auth/auth-session';
import { createTokenRefresher } from '../features/auth/token-refresher';

/** Which account the calls act on: the accounts store sets it, every request sends it. */
export interface ActiveAccountHeader {
  get(): string | null;
  /** A team account's id, or null for the personal account (no header: as before accounts existed). */
  set(accountId: string | null): void;
}

/** What every feature's `<feature>.api.ts` builds on: the typed client and the stored tokens. */
export interface Api {
  client: TollgateClient;
  session: AuthSession;
  account: ActiveAccountHeader;
}

export interface ApiPlugin extends Api {
  install(app: App): void;
}

export interface CreateApiOptions {
  /** Tollgate's origin; the built app is served by Tollgate itself, so usually location.origin. */
  url: string;
  session: AuthSession;
  fetch?: typeof fetch;
  locks?: Pick<LockManager, 'request'> | null;
  timeoutMs?: number;
  retries?: number;
}

const API_KEY: InjectionKey<Api> = Symbol('tollgate-api');

export function createApi(options: CreateApiOptions): ApiPlugin {
  const { session } = options;
  let accountId: string | null = null;
  const account: ActiveAccountHeader = {
    get: () => accountId,
    set: (next) => {
      accountId = next;
    },
  };
  // The refresher calls auth.refresh through this same client; the SDK never routes auth.* 401s back
  // to onUnauthorized, so this cannot loop.
  const refresher = createTokenRefresher({
    session,
    locks: options.locks ?? null,
    refresh: async (refreshToken) => {
      const tokens = await client.trpc.auth.refresh.mutate({ refreshToken });
      return { ...tokens, user: { id: tokens.user.id, email: tokens.user.email } };
    },
  });
  const client: TollgateClient = createTollgateClient({
    url: options.url,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.retries === undefined ? {} : { retries: options.retries }),
    getToken: () => session.get()?.accessToken ?? null,
    // The SDK sends it as X-Tollgate-Account (none for the personal account: as before accounts existed).
    getAccountId: () => accountId,
    onUnauthorized: refresher,
  });
  const api: Api = { client, session, account };
  return {
    ...api,
    install(app) {
      app.provide(API_KEY, api);
    },
  };
}

/** The app's Api (in components and setup stores, which Pinia runs inside the app's context). */
export function useApi(): Api {
  const api = inject(API_KEY, null);
  if (!api) throw new Error('useApi(): install the plugin from createApi() first');
  return api;
}
