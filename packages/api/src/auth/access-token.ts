import { SignJWT, createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import type { ApiConfig } from '../config';

export interface VerifiedToken {
  userId: string;
  email: string | null;
}

type JwtConfig = ApiConfig['jwt'];

const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'];

/**
 * Verifies Tollgate's own HS256 access tokens and a host platform's tokens (HS256 with the shared secret,
 * or asymmetric through its JWKS). `alg: none` and any algorithm not listed are refused by jose.
 */
export function createAccessTokenVerifier(config: JwtConfig) {
  const secret = config.secret ? new TextEncoder().encode(config.secret) : null;
  const jwks = config.jwksUrl ? createRemoteJWKSet(new URL(config.jwksUrl)) : null;
  const claims = {
    ...(config.issuer ? { issuer: config.issuer } : {}),
    ...(config.audience ? { audience: config.audience } : {}),
  };

  return async function verifyAccessToken(token: string): Promise<VerifiedToken | null> {
    try {
      const { alg } = decodeProtectedHeader(token);
      let payload: JWTPayload;
      if (alg === 'HS256' && secret) {
        ({ payload } = await jwtVerify(token, secret, { ...claims, algorithms: ['HS256'] }));
      } else if (jwks) {
        ({ payload } = await jwtVerify(token, jwks, { ...claims, algorithms: ASYMMETRIC_ALGORITHMS }));
      } else {
        return null;
      }
      if (typeof payload.sub !== 'string' || payload.sub.length === 0) return null;
      if (payload.typ === 'refresh') return null;
      return { userId: payload.sub, email: typeof payload.email === 'string' ? payload.email : null };
    } catch (error) {
      if (error instanceof errors.JOSEError || error instanceof TypeError) return null;
      throw error;
    }
  };
}

export async function signAccessToken(
  config: JwtConfig,
  user: { id: string; email: string | null },
  now: Date,
): Promise<string> {
  if (!config.secret) throw new Error('JWT_SECRET is required to issue access tokens');
  const issuedAt = Math.floor(now.getTime() / 1000);
  let jwt = new SignJWT(user.email ? { email: user.email } : {})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(user.id)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + config.accessTtlSeconds);
  if (config.issuer) jwt = jwt.setIssuer(config.issuer);
  if (config.audience) jwt = jwt.setAudience(config.audience);
  return jwt.sign(new TextEncoder().encode(config.secret));
}
