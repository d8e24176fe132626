import { ensureHostOrgAccount, ensureHostUserAccount, findUserById } from '@tollgate/db';
import type { HostOrgClaim } from '../auth/access-token';
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
   * A host platform's user gets its users row (auth_source `host`) and its personal account before
   * anything references them; a host token naming a built-in account (auth_source `password`) is refused.
   */
  async function isHostUser(userId: string): Promise<boolean> {
    const known = knownHostUsers.get(userId);
    if (known !== undefined) return known;
    const existing = await findUserById(deps.db, userId);
    if (!existing) await ensureHostUserAccount(deps.db, userId, deps.now());
    const row = existing ?? (await findUserById(deps.db, userId));
    const isHost = row?.authSource === 'host';
    if (knownHostUsers.size >= KNOWN_HOST_USERS_MAX) {
      const oldest = knownHostUsers.keys().next();
      if (!oldest.done) knownHostUsers.delete(oldest.value);
    }
    knownHostUsers.set(userId, isHost);
    return isHost;
  }

  // orgId + userId + role → the organization's account id, once per process (the membership was
  // written then); bounded like knownHostUsers.
  const knownOrgMemberships = new Map<string, string>();

  /** The host organization's team account, with the user a member in the claimed role. */
  async function hostOrgAccount(userId: string, org: HostOrgClaim): Promise<string> {
    const key = JSON.stringify([org.orgId, userId, org.role]);
    const known = knownOrgMemberships.get(key);
    if (known !== undefined) return known;
    const accountId = await ensureHostOrgAccount(deps.db, { ...org, userId, now: deps.now() });
    if (knownOrgMemberships.size >= KNOWN_HOST_USERS_MAX) {
      const oldest = knownOrgMemberships.keys().next();
      if (!oldest.done) knownOrgMemberships.delete(oldest.value);
    }
    knownOrgMemberships.set(key, accountId);
    return accountId;
  }

  return async function authenticate(authorization: string | undefined): Promise<Actor | null> {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    const credential = match?.[1];
    if (!credential) return null;

    if (isApiKey(credential)) {
      const key = await apiKeys.verify(credential);
      return key ? { kind: 'service', apiKeyId: key.id, scopes: key.scopes, accountId: key.accountId } : null;
    }

    const token = await verifyAccessToken(credential);
    if (!token) return null;
    if (token.source === 'host' && !(await isHostUser(token.userId))) return null;
    const hostAccountId = token.hostOrg ? await hostOrgAccount(token.userId, token.hostOrg) : null;
    return { kind: 'user', userId: token.userId, email: token.email?.toLowerCase() ?? null, hostAccountId };
  };
}
