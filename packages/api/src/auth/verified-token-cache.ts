import type { JWTPayload } from 'jose';

/** The most tokens one process remembers as verified (about 1 KB each). */
export const VERIFIED_TOKENS_MAX = 10_000;

/** The seconds (epoch) between which a verified token stays valid, by the same rules jose applied. */
export interface ValidityWindow {
  /** `nbf`, when the token has one; jose refuses it while now < nbf. */
  notBefore: number;
  /** `exp`, or earlier (a host token's iat + HOST_TOKEN_MAX_AGE_SECONDS); valid while now < notAfter. */
  notAfter: number;
}

interface Entry<Value> {
  value: Value;
  window: ValidityWindow;
}

/**
 * Tokens this process has already verified, so a token sent again (each call of a signed-in session
 * sends the same one) costs a Map lookup, not a base64 decode, an HMAC and a claims check: about a tenth
 * of an authorize call's CPU before (bench). Safe because the signature covers every byte of the
 * token: the same string verifies the same way for as long as the key is the same and its time claims
 * allow, and those are checked again on every hit. Only what verified with the process's HS256 secret
 * is kept (it can't change without a restart); a JWKS key can be withdrawn, so those tokens are
 * verified every time. Only verified tokens are kept, so nobody without the key can fill the cache;
 * bounded all the same, the oldest entry dropped first.
 */
export function createVerifiedTokenCache<Value>(maxEntries = VERIFIED_TOKENS_MAX) {
  const entries = new Map<string, Entry<Value>>();

  function get(token: string, nowSeconds: number): Value | undefined {
    const entry = entries.get(token);
    if (!entry) return undefined;
    if (nowSeconds >= entry.window.notAfter) {
      entries.delete(token);
      return undefined;
    }
    // Before nbf (a clock set back): not valid yet, but it will be.
    return nowSeconds >= entry.window.notBefore ? entry.value : undefined;
  }

  function set(token: string, value: Value, window: ValidityWindow): void {
    if (entries.size >= maxEntries && !entries.has(token)) {
      const oldest = entries.keys().next();
      if (!oldest.done) entries.delete(oldest.value);
    }
    entries.set(token, { value, window });
  }

  return { get, set, size: () => entries.size };
}

export type VerifiedTokenCache<Value> = ReturnType<typeof createVerifiedTokenCache<Value>>;

/**
 * jose's time rules for a payload it has just accepted (`now` is whole seconds): valid while now < exp
 * and now ≥ nbf; with a max age (host tokens) also while now − iat ≤ max age and now ≥ iat.
 */
export function validityWindowOf(payload: JWTPayload, maxAgeSeconds: number | null): ValidityWindow {
  const exp = typeof payload.exp === 'number' ? payload.exp : Number.POSITIVE_INFINITY;
  const nbf = typeof payload.nbf === 'number' ? payload.nbf : Number.NEGATIVE_INFINITY;
  if (maxAgeSeconds === null || typeof payload.iat !== 'number') return { notBefore: nbf, notAfter: exp };
  return {
    notBefore: Math.max(nbf, payload.iat),
    notAfter: Math.min(exp, Math.floor(payload.iat + maxAgeSeconds) + 1),
  };
}
