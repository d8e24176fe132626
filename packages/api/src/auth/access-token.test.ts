import { SignJWT, type JWTPayload } from 'jose';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ApiConfig } from '../config';
import { createAccessTokenVerifier } from './access-token';
import { createVerifiedTokenCache, validityWindowOf } from './verified-token-cache';

const SECRET = 'a-secret-that-is-at-least-32-characters-long';
const MAX_AGE = 10;
const jwt: ApiConfig['jwt'] = {
  secret: SECRET,
  jwksUrl: null,
  issuer: null,
  audience: null,
  tokenIssuer: 'tollgate',
  hostTokenMaxAgeSeconds: MAX_AGE,
  accessTtlSeconds: 900,
  refreshTtlSeconds: 2_592_000,
};
const T0 = 1_800_000_000;
const SID = '6f1c2a4e-8d1b-4c3e-9a57-2b0e4d6f8a10';

function sign(claims: JWTPayload): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
}

function at(seconds: number): void {
  vi.setSystemTime(seconds * 1000 + 400);
}

beforeEach(() => vi.useFakeTimers({ toFake: ['Date'] }));
afterEach(() => vi.useRealTimers());

// The verifier remembers tokens it accepted (verified-token-cache.ts): a remembered answer must be
// exactly jose's at every moment, or an expired token would keep working.
describe('a remembered token', () => {
  const cases: [string, JWTPayload][] = [
    ['own token, exp', { iss: 'tollgate', typ: 'access', sid: SID, sub: 'u1', iat: T0, exp: T0 + 5 }],
    [
      'own token, fractional exp',
      { iss: 'tollgate', typ: 'access', sid: SID, sub: 'u1', iat: T0, exp: T0 + 5.5 },
    ],
    ['host token, nbf then exp', { iss: 'https://host', sub: 'h1', iat: T0, nbf: T0 + 2, exp: T0 + 7 }],
    ['host token, max age before exp', { iss: 'https://host', sub: 'h1', iat: T0, exp: T0 + 3600 }],
    ['host token, fractional iat', { iss: 'https://host', sub: 'h1', iat: T0 + 0.5, exp: T0 + 3600 }],
  ];

  it.each(cases)('%s: accepted exactly when a fresh verification accepts it', async (_name, claims) => {
    const token = await sign(claims);
    const remembering = createAccessTokenVerifier(jwt);
    const answers: [number, boolean, boolean][] = [];
    for (let second = T0 - 1; second <= T0 + MAX_AGE + 3; second += 1) {
      at(second);
      const fresh = await createAccessTokenVerifier(jwt)(token);
      // Asked twice: the second answer comes from the cache whenever the first was a yes.
      await remembering(token);
      const remembered = await remembering(token);
      answers.push([second - T0, fresh !== null, remembered !== null]);
    }
    expect(answers.filter(([, fresh, remembered]) => fresh !== remembered)).toEqual([]);
    // The case does cover both answers: valid for a while, refused afterwards.
    expect(answers.some(([, fresh]) => fresh)).toBe(true);
    expect(answers.at(-1)?.[1]).toBe(false);
  });

  it('is remembered by its exact bytes: a token one character off is verified (and refused) on its own', async () => {
    at(T0);
    const verify = createAccessTokenVerifier(jwt);
    const token = await sign({ iss: 'tollgate', typ: 'access', sid: SID, sub: 'u1', iat: T0, exp: T0 + 60 });
    expect(await verify(token)).toMatchObject({ userId: 'u1', source: 'tollgate' });
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    expect(await verify(`${token.slice(0, -1)}${last}`)).toBeNull();
    expect(await verify(`${token}.`)).toBeNull();
  });

  it("comes back frozen: a caller can't change what the next request is told", async () => {
    at(T0);
    const verify = createAccessTokenVerifier(jwt);
    const token = await sign({ iss: 'tollgate', typ: 'access', sid: SID, sub: 'u1', iat: T0, exp: T0 + 60 });
    const first = await verify(token);
    expect(Object.isFrozen(first)).toBe(true);
    expect(await verify(token)).toBe(first);
  });

  it("a host token's organization claim comes back frozen too", async () => {
    at(T0);
    const verify = createAccessTokenVerifier({ ...jwt, orgClaim: 'org_id', orgRoleClaim: 'org_role' });
    const token = await sign({
      iss: 'host',
      sub: 'u1',
      iat: T0,
      exp: T0 + 60,
      org_id: 'acme',
      org_role: 'admin',
    });
    const first = await verify(token);
    expect(first?.hostOrg).toEqual({ orgId: 'acme', role: 'admin' });
    expect(Object.isFrozen(first?.hostOrg)).toBe(true);
    expect((await verify(token))?.hostOrg).toBe(first?.hostOrg);
  });
});

describe("Tollgate's own token names its session", () => {
  it('is accepted with a session id, and tells it', async () => {
    at(T0);
    const token = await sign({ iss: 'tollgate', typ: 'access', sid: SID, sub: 'u1', iat: T0, exp: T0 + 60 });
    expect(await createAccessTokenVerifier(jwt)(token)).toMatchObject({ userId: 'u1', sessionId: SID });
  });

  it.each([
    ['no sid', {}],
    ['a sid that is not a uuid', { sid: 'session-1' }],
    ['a numeric sid', { sid: 42 }],
  ])('is refused with %s (a logout could never end it)', async (_name, extra) => {
    at(T0);
    const token = await sign({ iss: 'tollgate', typ: 'access', sub: 'u1', iat: T0, exp: T0 + 60, ...extra });
    expect(await createAccessTokenVerifier(jwt)(token)).toBeNull();
  });

  it('a host token has none (the host platform ends its own sessions)', async () => {
    at(T0);
    const token = await sign({ iss: 'https://host', sid: SID, sub: 'h1', iat: T0, exp: T0 + 60 });
    expect(await createAccessTokenVerifier(jwt)(token)).toMatchObject({ source: 'host', sessionId: null });
  });
});

describe('createVerifiedTokenCache', () => {
  const always = { notBefore: 0, notAfter: Number.POSITIVE_INFINITY };

  it('keeps at most its bound, dropping the oldest entry first', () => {
    const cache = createVerifiedTokenCache<string>(2);
    cache.set('a', 'A', always);
    cache.set('b', 'B', always);
    cache.set('c', 'C', always);
    expect([cache.get('a', 1), cache.get('b', 1), cache.get('c', 1)]).toEqual([undefined, 'B', 'C']);
    expect(cache.size()).toBe(2);
  });

  it('a token already kept is replaced in place when full: nothing else is dropped', () => {
    const cache = createVerifiedTokenCache<string>(2);
    cache.set('a', 'A', always);
    cache.set('b', 'B', always);
    cache.set('a', 'A2', always);
    expect([cache.get('a', 1), cache.get('b', 1)]).toEqual(['A2', 'B']);
    expect(cache.size()).toBe(2);
  });

  it('forgets an entry once its window has passed', () => {
    const cache = createVerifiedTokenCache<string>();
    cache.set('a', 'A', { notBefore: 10, notAfter: 20 });
    expect([cache.get('a', 9), cache.get('a', 10), cache.get('a', 19)]).toEqual([undefined, 'A', 'A']);
    expect(cache.get('a', 20)).toBeUndefined();
    expect(cache.size()).toBe(0);
  });
});

// A window wider than jose's would keep an expired token working; a narrower one only costs a fresh
// verification, which the tests above can't see. So the window itself is pinned here, claim by claim.
describe('validityWindowOf', () => {
  const ANY = Number.POSITIVE_INFINITY;

  it('own tokens: from nbf (or always) until exp (or forever)', () => {
    expect(validityWindowOf({ exp: T0 + 900 }, null)).toEqual({ notBefore: -ANY, notAfter: T0 + 900 });
    expect(validityWindowOf({ nbf: T0, exp: T0 + 900, iat: T0 - 5 }, null)).toEqual({
      notBefore: T0,
      notAfter: T0 + 900,
    });
    expect(validityWindowOf({}, null)).toEqual({ notBefore: -ANY, notAfter: ANY });
  });

  it('host tokens: from the later of iat and nbf until the earlier of exp and iat + max age + 1', () => {
    expect(validityWindowOf({ iat: T0, exp: T0 + 900 }, MAX_AGE)).toEqual({
      notBefore: T0,
      notAfter: T0 + MAX_AGE + 1,
    });
    expect(validityWindowOf({ iat: T0, nbf: T0 + 3, exp: T0 + 5 }, MAX_AGE)).toEqual({
      notBefore: T0 + 3,
      notAfter: T0 + 5,
    });
    // jose counts whole seconds: a fractional iat's age is floored.
    expect(validityWindowOf({ iat: T0 + 0.5 }, MAX_AGE)).toEqual({
      notBefore: T0 + 0.5,
      notAfter: T0 + MAX_AGE + 1,
    });
  });

  it('a host token without iat has no age to check: only exp and nbf', () => {
    expect(validityWindowOf({ nbf: T0, exp: T0 + 900 }, MAX_AGE)).toEqual({
      notBefore: T0,
      notAfter: T0 + 900,
    });
  });
});
