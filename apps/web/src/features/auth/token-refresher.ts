import { UnauthorizedError, toTollgateError } from '@tollgate/sdk';
import type { AuthSession, SessionUser } from './auth-session';

export interface RefreshedTokens {
  accessToken: string;
  refreshToken: string;
  user: SessionUser;
}

export interface TokenRefresherOptions {
  session: AuthSession;
  /** auth.refresh: rotates the refresh token. */
  refresh(refreshToken: string): Promise<RefreshedTokens>;
  /** Web Locks serialize refreshes across tabs; null where the browser lacks them. */
  locks: Pick<LockManager, 'request'> | null;
}

const LOCK_NAME = 'tollgate.token-refresh';

/**
 * The client's onUnauthorized: renews the access token with the refresh token, at most one refresh at
 * a time across every tab. Refresh tokens rotate and reusing an old one revokes the whole family, so
 * two tabs refreshing with the same token would sign the user out: the lock, and re-reading the
 * storage inside it, prevent that. Resolves true when a fresh access token is stored.
 */
export function createTokenRefresher(options: TokenRefresherOptions): () => Promise<boolean> {
  const { session } = options;

  async function refreshInsideLock(failedAccessToken: string): Promise<boolean> {
    const current = session.get();
    if (!current) return false;
    // Another tab refreshed while this one waited for the lock: its new token is ours too.
    if (current.accessToken !== failedAccessToken) return true;
    try {
      const tokens = await options.refresh(current.refreshToken);
      session.set({ accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, user: tokens.user });
      return true;
    } catch (error) {
      // The refresh token itself was refused (expired or revoked): a real end of the session. A
      // network failure keeps the tokens, so coming back online doesn't mean signing in again.
      if (toTollgateError(error) instanceof UnauthorizedError) session.clear();
      return false;
    }
  }

  return async () => {
    const failed = session.get();
    if (!failed) return false;
    if (!options.locks) return refreshInsideLock(failed.accessToken);
    return options.locks.request(LOCK_NAME, () => refreshInsideLock(failed.accessToken));
  };
}
