import { ensureUser } from '@tollgate/db';
import { createAccessTokenVerifier } from '../auth/access-token';
import { isApiKey } from '../auth/api-key-format';
import type { ApiDeps } from '../config';
import type { Actor } from '../actor';
import type { ApiKeyService } from './api-key-service';

/** Host user ids this process has already checked (row present, not a built-in account). */
const KNOWN_HOST_USERS_MAX = 10_000;

/**
 * Resolves `Authorization: Bearer <credential>` to an actor. A credential that is present but invalid
 * resolves to null like a missing one: procedures that need an actor answer 401.
 */
export function createAuthenticator(deps: ApiDeps, apiKeys: ApiKeyService) {
  const verifyAccessToken = createAccessTokenVerifier(deps.config.jwt);
  // userId → is a host user. A user's auth source never changes, so the answer can be kept: one
  // database round trip per host user and process, not per request. Bounded (oldest dropped first).
  const knownHostUsers = new Map<string, boolean>();

  /**
   * A host platform's user gets its users row (auth_source `host`) before anything references it; a
   * host token naming a built-in account (auth_source `password`) is refused.
   */
  async function isHostUser(userId: string): Promise<boolean> {
    const known = knownHostUsers.get(userId);
    if (known !== undefined) return known;
    const row = await ensureUser(deps.db, userId, deps.now());
    const isHost = row.authSource === 'host';
    if (knownHostUsers.size >= KNOWN_HOST_USERS_MAX) {
      const oldest = knownHostUsers.keys().next();
      if (!oldest.done) knownHostUsers.delete(oldest.value);
    }
    knownHostUsers.set(userId, isHost);
    return isHost;
  }

  return async function authenticate(authorization: string | undefined): Promise<Actor | null> {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    const credential = match?.[1];
    if (!credential) return null;

    if (isApiKey(credential)) {
      const key = await apiKeys.verify(credential);
      return key ? { kind: 'service', apiKeyId: key.id, scopes: key.scopes } : null;
    }

    const token = await verifyAccessToken(credential);
    if (!token) return null;
    if (token.source === 'host' && !(await isHostUser(token.userId))) return null;
    return { kind: 'user', userId: token.userId, email: token.email?.toLowerCase() ?? null };
  };
}
