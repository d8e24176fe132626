import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ROTATION_RETRY_GRACE_MS } from '@tollgate/api';
import { registerUser, trpc, uniqueEmail, type Tokens } from './support/http';
import { registerOperator } from './support/operators';
import { TEST_JWT_SECRET, startTestServer, type TestServer } from './support/test-server';

const secret = new TextEncoder().encode(TEST_JWT_SECRET);
let server: TestServer;
let jwksServer: Server;
let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

beforeAll(async () => {
  const keys = await generateKeyPair('RS256');
  privateKey = keys.privateKey;
  const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'host-key', alg: 'RS256', use: 'sig' };
  jwksServer = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  const { port } = jwksServer.address() as AddressInfo;
  server = await startTestServer({
    JWT_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    JWT_AUDIENCE: 'tollgate',
    JWT_ISSUER: 'https://host.example',
  });
});
afterAll(async () => {
  await server?.stop();
  jwksServer?.close();
});
beforeEach(() => server.testDb.reset());

const me = (token: string) => trpc(server.url, 'query', 'auth.me', undefined, token);

function hostToken(
  overrides: { sub?: string; aud?: string; iss?: string; exp?: number } = {},
  header: { alg: string; kid?: string } = { alg: 'HS256' },
) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader(header)
    .setSubject(overrides.sub ?? 'host-user-42')
    .setAudience(overrides.aud ?? 'tollgate')
    .setIssuer(overrides.iss ?? 'https://host.example')
    .setIssuedAt(now)
    .setExpirationTime(overrides.exp ?? now + 600);
}

describe('built-in accounts', () => {
  it('registers, logs in with a generic error for bad credentials, and says who is signed in', async () => {
    const email = uniqueEmail();
    const registered = await registerUser(server.url, email);
    expect((await me(registered.accessToken)).data).toMatchObject({ id: registered.user.id, email });

    const duplicate = await trpc(server.url, 'mutation', 'auth.register', {
      email,
      password: 'another password',
    });
    expect(duplicate.status).toBe(409);

    const wrongPassword = await trpc(server.url, 'mutation', 'auth.login', {
      email,
      password: 'wrong password!',
    });
    const unknownEmail = await trpc(server.url, 'mutation', 'auth.login', {
      email: uniqueEmail(),
      password: 'whatever1',
    });
    expect(wrongPassword.status).toBe(401);
    expect(unknownEmail.status).toBe(401);
    expect(wrongPassword.error?.message).toBe(unknownEmail.error?.message);

    const login = await trpc<Tokens>(server.url, 'mutation', 'auth.login', {
      email: email.toUpperCase(),
      password: 'correct horse battery',
    });
    expect(login.status).toBe(200);
    expect(login.data?.user.id).toBe(registered.user.id);
  });

  it('rotates refresh tokens, and a reused refresh token revokes the whole family', async () => {
    const first = await registerUser(server.url);
    const rotated = await trpc<Tokens>(server.url, 'mutation', 'auth.refresh', {
      refreshToken: first.refreshToken,
    });
    expect(rotated.status).toBe(200);
    expect(rotated.data?.refreshToken).not.toBe(first.refreshToken);

    // Past the retry grace: presenting the rotated token again is reuse.
    server.clock.advance(ROTATION_RETRY_GRACE_MS + 1_000);
    try {
      const reuse = await trpc(server.url, 'mutation', 'auth.refresh', { refreshToken: first.refreshToken });
      expect(reuse.status).toBe(401);
      // The thief's reuse also kills the legitimate successor.
      const successor = await trpc(server.url, 'mutation', 'auth.refresh', {
        refreshToken: rotated.data?.refreshToken,
      });
      expect(successor.status).toBe(401);
    } finally {
      server.clock.reset();
    }
  });

  describe('a rotation whose answer was lost', () => {
    const refresh = (refreshToken: string | undefined) =>
      trpc<Tokens>(server.url, 'mutation', 'auth.refresh', { refreshToken });

    it('retried with the old token at once: a new pair, and the lost successor is left behind', async () => {
      const first = await registerUser(server.url);
      const lost = await refresh(first.refreshToken); // the client never saw this answer
      expect(lost.status).toBe(200);
      const retried = await refresh(first.refreshToken);
      expect(retried.status).toBe(200);
      expect(retried.data?.refreshToken).not.toBe(lost.data?.refreshToken);
      const me = await trpc(server.url, 'query', 'auth.me', undefined, retried.data?.accessToken);
      expect(me.status).toBe(200);
      // The session goes on from the retry's pair.
      expect((await refresh(retried.data?.refreshToken)).status).toBe(200);
      // The lost successor was replaced: presented later, it is reuse and ends the family.
      server.clock.advance(ROTATION_RETRY_GRACE_MS + 1_000);
      try {
        expect((await refresh(lost.data?.refreshToken)).status).toBe(401);
      } finally {
        server.clock.reset();
      }
    });

    it('retried again after a second lost answer: the chain is followed to the token in use', async () => {
      const first = await registerUser(server.url);
      const lost = await refresh(first.refreshToken);
      const lostAgain = await refresh(first.refreshToken); // the retry's answer was lost too
      expect([lost.status, lostAgain.status]).toEqual([200, 200]);
      const third = await refresh(first.refreshToken);
      expect(third.status).toBe(200);
      expect((await trpc(server.url, 'query', 'auth.me', undefined, third.data?.accessToken)).status).toBe(
        200,
      );
      expect((await refresh(third.data?.refreshToken)).status).toBe(200);
      // Once the end of the chain was presented, the first token is reuse again: the family ends.
      expect((await refresh(first.refreshToken)).status).toBe(401);
    });

    it('concurrent retries of one token all get a pair, and the session goes on', async () => {
      const first = await registerUser(server.url);
      const answers = await Promise.all(Array.from({ length: 6 }, () => refresh(first.refreshToken)));
      expect(answers.map((answer) => answer.status)).toEqual(Array(6).fill(200));
      // Whichever answer the client kept, its access token works and its refresh token refreshes.
      for (const answer of answers) {
        expect((await trpc(server.url, 'query', 'auth.me', undefined, answer.data?.accessToken)).status).toBe(
          200,
        );
      }
      const kept = answers[2]?.data?.refreshToken;
      expect((await refresh(kept)).status).toBe(200);
    });

    it('a thief replaying an old token stops at the token the client presented: reuse, the family ends', async () => {
      const first = await registerUser(server.url); // copied by a thief
      const client = await refresh(first.refreshToken);
      const thief = await refresh(first.refreshToken); // within the grace, the client's token unused yet
      expect([client.status, thief.status]).toEqual([200, 200]);
      const clientAgain = await refresh(client.data?.refreshToken); // the client presents its token
      expect(clientAgain.status).toBe(200);
      expect((await refresh(first.refreshToken)).status).toBe(401);
      for (const pair of [clientAgain, thief]) {
        expect((await refresh(pair.data?.refreshToken)).status).toBe(401);
        const me = await trpc(server.url, 'query', 'auth.me', undefined, pair.data?.accessToken);
        expect(me.status).toBe(401);
      }
    });

    it('is no grace after a logout at the end of a chain of retries', async () => {
      const first = await registerUser(server.url);
      await refresh(first.refreshToken);
      const retried = await refresh(first.refreshToken);
      await trpc(server.url, 'mutation', 'auth.logout', { refreshToken: retried.data?.refreshToken });
      expect((await refresh(first.refreshToken)).status).toBe(401);
      expect((await refresh(retried.data?.refreshToken)).status).toBe(401);
    });

    it('is no grace once the successor was used: then it is reuse, and the family ends', async () => {
      const first = await registerUser(server.url);
      const second = await refresh(first.refreshToken);
      const third = await refresh(second.data?.refreshToken);
      expect(third.status).toBe(200);
      expect((await refresh(first.refreshToken)).status).toBe(401);
      expect((await refresh(third.data?.refreshToken)).status).toBe(401);
    });

    it('is no grace after a logout: the retry of the rotated token is refused', async () => {
      const first = await registerUser(server.url);
      const second = await refresh(first.refreshToken);
      await trpc(server.url, 'mutation', 'auth.logout', { refreshToken: second.data?.refreshToken });
      expect((await refresh(first.refreshToken)).status).toBe(401);
      expect((await refresh(second.data?.refreshToken)).status).toBe(401);
    });

    it('is no grace past its window', async () => {
      const first = await registerUser(server.url);
      const second = await refresh(first.refreshToken);
      server.clock.advance(ROTATION_RETRY_GRACE_MS + 1_000);
      try {
        expect((await refresh(first.refreshToken)).status).toBe(401);
        expect((await refresh(second.data?.refreshToken)).status).toBe(401);
      } finally {
        server.clock.reset();
      }
    });
  });

  it('logs out by revoking the refresh token', async () => {
    const tokens = await registerUser(server.url);
    expect(
      (await trpc(server.url, 'mutation', 'auth.logout', { refreshToken: tokens.refreshToken })).status,
    ).toBe(200);
    expect(
      (await trpc(server.url, 'mutation', 'auth.refresh', { refreshToken: tokens.refreshToken })).status,
    ).toBe(401);
  });

  it('expires access tokens', async () => {
    const tokens = await registerUser(server.url);
    server.clock.advance(16 * 60_000);
    try {
      // The token was issued "now"; jose checks exp against the real clock, so sign one already expired.
      const expired = await hostToken({ exp: Math.floor(Date.now() / 1000) - 10 }).sign(secret);
      expect((await me(expired)).status).toBe(401);
    } finally {
      server.clock.reset();
    }
    expect((await me(tokens.accessToken)).status).toBe(200);
  });
});

describe('host-platform JWTs', () => {
  it('accepts an HS256 token signed with the shared secret and provisions the user on first use', async () => {
    const token = await hostToken({ sub: 'manus-user-1' }).sign(secret);
    const overview = await trpc(server.url, 'query', 'billing.subscription', undefined, token);
    expect(overview.status).toBe(200);
    expect(overview.data).toMatchObject({ plan: 'FREE', usage: { used: 0, limit: 10 } });
  });

  it('accepts an RS256 token verified through the JWKS URL', async () => {
    const token = await hostToken({ sub: 'manus-user-2' }, { alg: 'RS256', kid: 'host-key' }).sign(
      privateKey,
    );
    expect((await me(token)).data).toMatchObject({ id: 'manus-user-2' });
  });

  it.each([
    [
      'alg none',
      async () =>
        `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'x', aud: 'tollgate', iss: 'https://host.example', exp: 9_999_999_999 })}.`,
    ],
    [
      'a wrong key',
      async () => hostToken().sign(new TextEncoder().encode('another-secret-another-secret-another')),
    ],
    ['an expired token', async () => hostToken({ exp: Math.floor(Date.now() / 1000) - 60 }).sign(secret)],
    ['a wrong audience', async () => hostToken({ aud: 'someone-else' }).sign(secret)],
    ['a wrong issuer', async () => hostToken({ iss: 'https://evil.example' }).sign(secret)],
    ['garbage', async () => 'not.a.jwt'],
  ])('answers 401 for %s', async (_name, makeToken) => {
    const result = await me(await makeToken());
    expect(result.status).toBe(401);
  });
});

describe('service API keys', () => {
  async function admin(): Promise<Tokens> {
    return registerOperator(server);
  }

  it('are created by admins only, shown once, scoped, and revocable', async () => {
    const user = await registerUser(server.url);
    const forbidden = await trpc(
      server.url,
      'mutation',
      'apiKeys.create',
      { name: 'x', scopes: ['runs:authorize'] },
      user.accessToken,
    );
    expect(forbidden.status).toBe(403);

    const { accessToken } = await admin();
    const created = await trpc(
      server.url,
      'mutation',
      'apiKeys.create',
      { name: 'agent backend', scopes: ['runs:authorize'] },
      accessToken,
    );
    expect(created.data.key).toMatch(/^tg_sk_/);
    const listed = await trpc(server.url, 'query', 'apiKeys.list', undefined, accessToken);
    expect(JSON.stringify(listed.data)).not.toContain(created.data.key);
    expect(JSON.stringify(listed.data)).not.toContain('keyHash');

    const key = created.data.key as string;
    const authorized = await trpc(
      server.url,
      'mutation',
      'usage.authorize',
      { userId: user.user.id, runId: 'svc-1' },
      key,
    );
    expect(authorized.data).toMatchObject({ used: 1, limit: 10 });
    // This key lacks subscriptions:read.
    expect(
      (await trpc(server.url, 'query', 'billing.subscription', { userId: user.user.id }, key)).status,
    ).toBe(403);
    // A service must name the user.
    expect((await trpc(server.url, 'mutation', 'usage.authorize', { runId: 'svc-2' }, key)).status).toBe(400);

    await trpc(server.url, 'mutation', 'apiKeys.revoke', { id: created.data.id }, accessToken);
    const revoked = await trpc(
      server.url,
      'mutation',
      'usage.authorize',
      { userId: user.user.id, runId: 'svc-3' },
      key,
    );
    expect(revoked.status).toBe(401);
  });

  it('a user cannot authorize runs for another user', async () => {
    const alice = await registerUser(server.url);
    const bob = await registerUser(server.url);
    const result = await trpc(
      server.url,
      'mutation',
      'usage.authorize',
      { userId: bob.user.id, runId: 'x' },
      alice.accessToken,
    );
    expect(result.status).toBe(403);
  });
});

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
