import { webcrypto } from 'node:crypto';
import {
  SignJWT,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyOptions,
} from 'jose';
import { isUuid } from '@tollgate/db';
import { accountRoleSchema, type AccountRole } from '@tollgate/domain';
import type { ApiConfig } from '../config';
import { userIdSchema } from '../text-schemas';
import { createVerifiedTokenCache, validityWindowOf } from './verified-token-cache';

/**
 * Who vouches for the user: `tollgate` = one of Tollgate's own access tokens (a built-in account);
 * `host` = the host platform's token (its `sub` is the user id, and never a built-in account's).
 */
export type TokenSource = 'tollgate' | 'host';

export interface VerifiedToken {
  userId: string;
  email: string | null;
  source: TokenSource;
  /**
   * Tollgate's own tokens: the session (refresh-token family) they were issued for, checked on every
   * request (SessionLiveness), so a logout or a password reset ends them too. Null for a host token.
   */
  sessionId: string | null;
  /** A host token's organization claim (JWT_ORG_CLAIM) and the role it gives the user there. */
  hostOrg: HostOrgClaim | null;
}

export interface HostOrgClaim {
  orgId: string;
  role: AccountRole;
}

type JwtConfig = ApiConfig['jwt'];

/** The claim that marks Tollgate's own access tokens; a host platform's token may not carry it. */
const ACCESS_TYPE = 'access';
const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'];
const REQUIRED_CLAIMS = ['exp', 'sub', 'iat'];

/** A payload jose accepted, and whether it was checked with the HS256 secret (then it may be cached). */
interface Accepted {
  payload: JWTPayload;
  isHs256: boolean;
}

/**
 * Verifies Tollgate's own HS256 access tokens and a host platform's tokens (HS256 with the shared secret,
 * or asymmetric through its JWKS). The issuer decides which rules apply: a token whose `iss` is Tollgate's
 * must be one of Tollgate's access tokens (HS256, `typ: access`); any other token is a host token, which
 * must not carry `typ: access`, must match JWT_ISSUER/JWT_AUDIENCE when set, and must be younger than
 * the host token max age. Every token needs `exp`, `sub` and `iat`. `alg: none` and any algorithm not
 * listed are refused by jose.
 */
export function createAccessTokenVerifier(config: JwtConfig) {
  // Imported once: jose would otherwise import the raw secret again on every verification.
  const secretKey = config.secret ? importHmacKey(config.secret, 'verify') : null;
  const jwks = config.jwksUrl ? createRemoteJWKSet(new URL(config.jwksUrl)) : null;
  const ownOptions: JWTVerifyOptions = {
    issuer: config.tokenIssuer,
    algorithms: ['HS256'],
    requiredClaims: REQUIRED_CLAIMS,
  };
  const hostOptions: JWTVerifyOptions = {
    ...(config.issuer ? { issuer: config.issuer } : {}),
    ...(config.audience ? { audience: config.audience } : {}),
    requiredClaims: REQUIRED_CLAIMS,
    maxTokenAge: config.hostTokenMaxAgeSeconds,
  };

  async function verifyOwn(token: string): Promise<Accepted | null> {
    if (!secretKey) return null;
    const { payload } = await jwtVerify(token, await secretKey, ownOptions);
    // Without its session a token couldn't be ended by a logout: refused (the client refreshes).
    const hasSession = typeof payload.sid === 'string' && isUuid(payload.sid);
    return payload.typ === ACCESS_TYPE && hasSession ? { payload, isHs256: true } : null;
  }

  async function verifyHost(token: string): Promise<Accepted | null> {
    const { alg } = decodeProtectedHeader(token);
    const isHs256 = alg === 'HS256' && secretKey !== null;
    let payload: JWTPayload;
    if (isHs256) {
      ({ payload } = await jwtVerify(token, await secretKey, { ...hostOptions, algorithms: ['HS256'] }));
    } else if (jwks) {
      ({ payload } = await jwtVerify(token, jwks, { ...hostOptions, algorithms: ASYMMETRIC_ALGORITHMS }));
    } else {
      return null;
    }
    // A Tollgate token (or a host token dressed as one) is never accepted as the host's.
    if (payload.iss === config.tokenIssuer || payload.typ === ACCESS_TYPE || payload.typ === 'refresh') {
      return null;
    }
    return { payload, isHs256 };
  }

  // Only tokens that verified go in, with the window their time claims allow (verified-token-cache.ts).
  const verified = createVerifiedTokenCache<VerifiedToken>();

  return async function verifyAccessToken(token: string): Promise<VerifiedToken | null> {
    // jose's clock: whole seconds of Date.now().
    const cached = verified.get(token, Math.floor(Date.now() / 1000));
    if (cached) return cached;
    try {
      // Unverified, only to pick the rules; the chosen verification checks the issuer again.
      const source: TokenSource = decodeJwt(token).iss === config.tokenIssuer ? 'tollgate' : 'host';
      const accepted = source === 'tollgate' ? await verifyOwn(token) : await verifyHost(token);
      // `sub` becomes the users row's id: the same rules as a userId in a request (1–200 characters, no
      // NUL, well-formed Unicode), so a host's odd `sub` is a 401, not a failed INSERT or a merged account.
      const userId = userIdSchema.safeParse(accepted?.payload.sub);
      if (!accepted || !userId.success) return null;
      const { payload } = accepted;
      const result: VerifiedToken = Object.freeze({
        userId: userId.data,
        email: typeof payload.email === 'string' ? payload.email : null,
        source,
        sessionId: source === 'tollgate' ? String(payload.sid) : null,
        hostOrg: source === 'host' ? hostOrgOf(payload, config) : null,
      });
      if (accepted.isHs256) {
        const maxAge = source === 'host' ? config.hostTokenMaxAgeSeconds : null;
        verified.set(token, result, validityWindowOf(payload, maxAge));
      }
      return result;
    } catch (error) {
      if (error instanceof errors.JOSEError || error instanceof TypeError) return null;
      throw error;
    }
  };
}

function importHmacKey(secret: string, usage: 'sign' | 'verify'): Promise<webcrypto.CryptoKey> {
  return webcrypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    [usage],
  );
}

/**
 * One of Tollgate's own access tokens: `iss` = TOKEN_ISSUER, `typ: access`, HS256 with JWT_SECRET, and
 * `sid`, the session (refresh-token family) it belongs to: valid while that session is signed in.
 */
export async function signAccessToken(
  config: JwtConfig,
  user: { id: string; email: string | null },
  sessionId: string,
  now: Date,
): Promise<string> {
  if (!config.secret) throw new Error('JWT_SECRET is required to issue access tokens');
  const issuedAt = Math.floor(now.getTime() / 1000);
  const claims = { typ: ACCESS_TYPE, sid: sessionId, ...(user.email ? { email: user.email } : {}) };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(config.tokenIssuer)
    .setSubject(user.id)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + config.accessTtlSeconds)
    .sign(new TextEncoder().encode(config.secret));
}

/**
 * The organization a host token names (JWT_ORG_CLAIM), with the role JWT_ORG_ROLE_CLAIM gives (default
 * `member`; an unknown role is `member`). The signed claim is the host's word: it grants membership
 * of that organization's team account only.
 */
function hostOrgOf(payload: JWTPayload, config: JwtConfig): HostOrgClaim | null {
  if (!config.orgClaim) return null;
  const orgId = payload[config.orgClaim];
  if (typeof orgId !== 'string' || !userIdSchema.safeParse(orgId).success) return null;
  const claimedRole = config.orgRoleClaim ? accountRoleSchema.safeParse(payload[config.orgRoleClaim]) : null;
  // Frozen like the answer that holds it: a remembered answer is shared by every later request.
  return Object.freeze({ orgId, role: claimedRole?.success ? claimedRole.data : 'member' });
}
