import { SignJWT, decodeJwt, type JWTPayload } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findUserById } from '@tollgate/db';
import { registerUser, request, trpc, type Tokens } from './support/http';
import { TEST_JWT_SECRET, startTestServer, type TestServer } from './support/test-server';

// The attacker knows what a host platform that shares the HS256 secret can sign (the tests hold the
// secret to play that platform), and holds Tollgate tokens of their own. No JWT_ISSUER/JWT_AUDIENCE
// here: the deployment accepts host tokens from any issuer but Tollgate's, the loosest setting.
const secret = new TextEncoder().encode(TEST_JWT_SECRET);
const HOUR = 3600;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());
beforeEach(() => server.testDb.reset());

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A JWT with exactly these claims (nothing added), HS256 with the shared secret. */
function sign(claims: JWTPayload): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secret);
}

function hostClaims(overrides: JWTPayload = {}): JWTPayload {
  const now = nowSeconds();
  return { iss: 'https://host.example', sub: 'host-user-1', iat: now, exp: now + HOUR, ...overrides };
}

const me = (token: string) => trpc(server.url, 'query', 'auth.me', undefined, token);
const subscriptionOf = (token: string) => trpc(server.url, 'query', 'billing.subscription', undefined, token);
const restMe = (token: string) => request(server.url, 'GET', '/api/v1/auth/me', { token });

describe("Tollgate's own tokens", () => {
  it('carry iss = TOKEN_ISSUER and typ access; login and refresh keep working', async () => {
    const registered: Tokens = await registerUser(server.url);
    expect(decodeJwt(registered.accessToken)).toMatchObject({
      iss: 'tollgate',
      typ: 'access',
      sub: registered.user.id,
      exp: expect.any(Number),
      iat: expect.any(Number),
    });
    expect((await me(registered.accessToken)).data).toMatchObject({ id: registered.user.id });
    const refreshed = await trpc<Tokens>(server.url, 'mutation', 'auth.refresh', {
      refreshToken: registered.refreshToken,
    });
    expect(refreshed.status).toBe(200);
    expect((await me(refreshed.data?.accessToken ?? '')).data).toMatchObject({ id: registered.user.id });
    const login = await trpc<Tokens>(server.url, 'mutation', 'auth.login', {
      email: registered.user.email,
      password: 'correct horse battery',
    });
    expect((await restMe(login.data?.accessToken ?? '')).status).toBe(200);
  });

  it('are refused without exp, or without typ access (a host token claiming to be Tollgate’s)', async () => {
    const { user } = await registerUser(server.url);
    const now = nowSeconds();
    const noExp = await sign({ iss: 'tollgate', typ: 'access', sub: user.id, iat: now });
    expect((await me(noExp)).status).toBe(401);
    // Signed by the host platform with Tollgate's issuer but without the access type: both for a host
    // user id and for a built-in account's.
    for (const sub of ['host-user-9', user.id]) {
      const impostor = await sign({ iss: 'tollgate', sub, iat: now, exp: now + HOUR });
      expect((await me(impostor)).status).toBe(401);
      expect((await restMe(impostor)).status).toBe(401);
    }
  });
});

describe('host platform tokens', () => {
  it('a fresh host token works and provisions a host user (auth_source host)', async () => {
    const token = await sign(hostClaims({ sub: 'host-user-fresh' }));
    expect((await me(token)).data).toMatchObject({ id: 'host-user-fresh', platformRole: null });
    expect((await findUserById(server.deps.db, 'host-user-fresh'))?.authSource).toBe('host');
  });

  it('without exp → 401 (it would never expire)', async () => {
    const { exp: _exp, ...claims } = hostClaims({ sub: 'host-user-forever' });
    const token = await sign(claims);
    expect((await me(token)).status).toBe(401);
    expect((await subscriptionOf(token)).status).toBe(401);
    expect((await restMe(token)).status).toBe(401);
  });

  it('without sub, or without iat → 401', async () => {
    const { sub: _sub, ...noSub } = hostClaims();
    const { iat: _iat, ...noIat } = hostClaims({ sub: 'host-user-no-iat' });
    expect((await me(await sign(noSub))).status).toBe(401);
    expect((await me(await sign(noIat))).status).toBe(401);
  });

  it('older than HOST_TOKEN_MAX_AGE_SECONDS (default 24 h) → 401, whatever its exp', async () => {
    const now = nowSeconds();
    const old = await sign(hostClaims({ sub: 'host-user-old', iat: now - 86_400 - 120, exp: now + HOUR }));
    expect((await me(old)).status).toBe(401);
    const young = await sign(hostClaims({ sub: 'host-user-old', iat: now - 86_400 + 120, exp: now + HOUR }));
    expect((await me(young)).status).toBe(200);
  });

  it("a Tollgate access token dressed as the host's (typ access, another issuer) → 401", async () => {
    const { accessToken, user } = await registerUser(server.url);
    const ours = decodeJwt(accessToken);
    // The same claims under the host's issuer (or none), for the built-in account and for a host id.
    for (const claims of [
      { ...ours, iss: 'https://host.example' },
      { ...ours, iss: undefined },
      { ...ours, iss: 'https://host.example', sub: 'host-user-dressed' },
    ]) {
      const token = await sign(JSON.parse(JSON.stringify(claims)) as JWTPayload);
      expect((await me(token)).status).toBe(401);
      expect((await subscriptionOf(token)).status).toBe(401);
    }
    expect((await me(accessToken)).data).toMatchObject({ id: user.id });
  });

  it("a host token whose sub is a built-in account's id → 401: the host can't act as our users", async () => {
    const victim = await registerUser(server.url);
    const token = await sign(hostClaims({ sub: victim.user.id }));
    expect((await me(token)).status).toBe(401);
    expect((await subscriptionOf(token)).status).toBe(401);
    expect((await restMe(token)).status).toBe(401);
    expect((await trpc(server.url, 'mutation', 'usage.authorize', { runId: 'forged-1' }, token)).status).toBe(
      401,
    );
    // Still a built-in account, untouched.
    expect((await findUserById(server.deps.db, victim.user.id))?.authSource).toBe('password');
    expect((await subscriptionOf(victim.accessToken)).data).toMatchObject({ usage: { used: 0 } });
  });
});
