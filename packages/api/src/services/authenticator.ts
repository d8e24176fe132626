import { createAccessTokenVerifier } from '../auth/access-token';
import { isApiKey } from '../auth/api-key-format';
import type { ApiDeps } from '../config';
import type { Actor } from '../context';
import type { ApiKeyService } from './api-key-service';

/**
 * Resolves `Authorization: Bearer <credential>` to an actor. A credential that is present but invalid
 * resolves to null like a missing one: procedures that need an actor answer 401.
 */
export function createAuthenticator(deps: ApiDeps, apiKeys: ApiKeyService) {
  const verifyAccessToken = createAccessTokenVerifier(deps.config.jwt);
  const adminEmails = new Set(deps.config.adminEmails.map((email) => email.toLowerCase()));

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
    const email = token.email?.toLowerCase() ?? null;
    return { kind: 'user', userId: token.userId, email, isAdmin: email !== null && adminEmails.has(email) };
  };
}
