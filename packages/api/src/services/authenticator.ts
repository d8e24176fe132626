import { ensureHostOrgAccount, ensureHostUserAccount, findUserById } from '@tollgate/db';
import type { HostOrgClaim } from '../auth/access-token';
import { createAccessTokenVerifier } from '../auth/access-token';
import type { SessionLiveness } from '../auth/session-liveness';
import { isApiKey } from '../auth/api-key-format';
import { setBounded } from '../bounded-map';
import type { ApiDeps } from '../config';
import type { Actor } from '../actor';
import type { ApiKeyService } from './api-key-service';

/** Host user ids this process has already checked (row present, not a built-in account). */
const KNOWN_HOST_USERS_MAX = 10_000;
/**
 * How long a host org role this process wrote is taken as the database's: the longest a role another
 * replica wrote since (a promotion) can outlive a claim that changes it back here.
 */
const KNOWN_ORG_ROLE_TTL_MS = 30_000;

/**
 * Resolves `Authorization: Bearer <credential>` to an actor. A credential that is present but invalid
 * resolves to null like a missing one: procedures that need an actor answer 401.
 */
export function createAuthenticator(deps: ApiDeps, apiKeys: ApiKeyService, sessions: SessionLiveness) {
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
    setBounded(knownHostUsers, userId, isHost, KNOWN_HOST_USERS_MAX);
    return isHost;
  }

  // orgId + userId → the organization's account id and the role this process last wrote for the user,
  // so a claim that didn't change costs no transaction. Keyed without the role: a claim going back to
  // a role seen before (member → admin → member) is written again. Another replica may have written
  // since, so an entry is trusted for KNOWN_ORG_ROLE_TTL_MS only. Bounded like knownHostUsers.
  const knownOrgMemberships = new Map<string, { accountId: string; role: string; at: number }>();

  /** The host organization's team account, with the user a member in the claimed role. */
  async function hostOrgAccount(userId: string, org: HostOrgClaim): Promise<string> {
    const key = JSON.stringify([org.orgId, userId]);
    const at = deps.now().getTime();
    const known = knownOrgMemberships.get(key);
    if (known?.role === org.role && at - known.at < KNOWN_ORG_ROLE_TTL_MS) return known.accountId;
    const accountId = await ensureHostOrgAccount(deps.db, { ...org, userId, now: deps.now() });
    setBounded(knownOrgMemberships, key, { accountId, role: org.role, at }, KNOWN_HOST_USERS_MAX);
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
    // Tollgate signs tokens for built-in accounts only: turned off, the host platform is the identity.
    if (token.source === 'tollgate' && !deps.config.isBuiltInAccountsEnabled) return null;
    // Tollgate's own token is good while its session is signed in (a logout or a reset ends it).
    if (token.sessionId !== null && !(await sessions.isLive(token.sessionId, token.userId))) return null;
    if (token.source === 'host' && !(await isHostUser(token.userId))) return null;
    const hostAccountId = token.hostOrg ? await hostOrgAccount(token.userId, token.hostOrg) : null;
    return { kind: 'user', userId: token.userId, email: token.email?.toLowerCase() ?? null, hostAccountId };
  };
}
