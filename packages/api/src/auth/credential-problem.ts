import { decodeJwt } from 'jose';
import { isApiKey } from './api-key-format';

/**
 * Why a request has no actor: nothing was sent, or what was sent was refused. Procedures that need a
 * credential answer 401 with a message saying which (an expired token is refreshed, an invalid one
 * means signing in again, a bad API key is a configuration error), never with a misleading one.
 */
export type CredentialProblem = 'missing' | 'expired_token' | 'invalid_token' | 'invalid_api_key';

/**
 * Called only once authentication refused the credential. The token's claims are read unverified and
 * only to word the 401: nothing is granted from them.
 */
export function credentialProblemOf(
  authorization: string | undefined,
  now: Date,
  hostTokenMaxAgeSeconds: number,
): CredentialProblem {
  const credential = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (!credential) return 'missing';
  if (isApiKey(credential)) return 'invalid_api_key';
  let claims: { exp?: unknown; iat?: unknown };
  try {
    claims = decodeJwt(credential);
  } catch {
    return 'invalid_token';
  }
  const nowSeconds = now.getTime() / 1000;
  if (typeof claims.exp === 'number' && claims.exp <= nowSeconds) return 'expired_token';
  // A host platform's token is refused once older than HOST_TOKEN_MAX_AGE_SECONDS, whatever its `exp`.
  if (typeof claims.iat === 'number' && claims.iat + hostTokenMaxAgeSeconds <= nowSeconds) {
    return 'expired_token';
  }
  return 'invalid_token';
}

/** The 401 message for a procedure that needs `expected` and got no actor because of `problem`. */
export function unauthorizedMessage(
  problem: CredentialProblem,
  expected: 'user' | 'service' | 'user_or_service',
): string {
  switch (problem) {
    case 'expired_token':
      return 'Your access token has expired: refresh it or sign in again';
    case 'invalid_token':
      return 'Your access token is invalid: sign in again';
    case 'invalid_api_key':
      return 'This API key is invalid or has been revoked';
    case 'missing':
      return expected === 'user'
        ? 'Sign in first'
        : expected === 'service'
          ? 'A service API key is required'
          : 'Sign in, or send a service API key';
  }
}
