import { createUser, personalAccountId } from '@tollgate/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, request, trpc, uniqueEmail, type Tokens } from '../support/http';
import { verifyEmail, type TestServer } from '../support/test-server';
import { APP_URL, PASSWORD, linkFor, outboxFor, startEmailTestServer, tokenOf } from './email-support';

let server: TestServer;
beforeAll(async () => {
  server = await startEmailTestServer();
});
afterAll(() => server?.stop());

const NEW_PASSWORD = 'a brand new passphrase';

/** Asks for a reset link; returns the raw response (status, headers, bytes) and waits for the work. */
async function askReset(body: unknown) {
  const response = await fetch(`${server.url}/api/v1/auth/password-reset/request`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  // The email is enqueued after the answer (so the answer's timing says nothing): wait for it.
  await server.services.passwordReset.settled();
  return { status: response.status, text, headers: response.headers };
}

function confirm(body: unknown) {
  return request<{ reset?: true; error?: { code: string } }>(
    server.url,
    'POST',
    '/api/v1/auth/password-reset/confirm',
    { body },
  );
}

function login(email: string, password: string) {
  return trpc<Tokens>(server.url, 'mutation', 'auth.login', { email, password });
}

/** The headers that must not differ between a known and an unknown address (dates and ids may). */
function stableHeaders(headers: Headers): Record<string, string> {
  const varying = new Set(['date', 'x-request-id', 'etag']);
  return Object.fromEntries([...headers.entries()].filter(([name]) => !varying.has(name)));
}

describe('asking for a password reset', () => {
  it('answers byte-identically for a known and an unknown address; only the known one gets a link', async () => {
    const email = uniqueEmail('known');
    await registerUser(server.url, email);
    const unknown = uniqueEmail('nobody');
    const known = await askReset({ email });
    const missing = await askReset({ email: unknown });
    expect(known.status).toBe(200);
    expect(known.text).toBe('{"accepted":true}');
    expect(missing.text).toBe(known.text);
    expect(missing.status).toBe(known.status);
    expect(stableHeaders(missing.headers)).toEqual(stableHeaders(known.headers));

    const rows = await outboxFor(server, email, 'password_reset');
    expect(rows).toHaveLength(1);
    expect(rows[0]?.data).toMatchObject({ expiresInMinutes: 60 });
    expect(
      (await linkFor(server, email, 'password_reset')).startsWith(`${APP_URL}/reset-password#token=`),
    ).toBe(true);
    expect(await outboxFor(server, unknown)).toHaveLength(0);
  });

  it('sends at most 3 per hour per user, still answering accepted', async () => {
    const email = uniqueEmail('many');
    await registerUser(server.url, email);
    for (let i = 0; i < 5; i += 1) {
      const result = await askReset({ email: email.toUpperCase() });
      expect(result.text).toBe('{"accepted":true}');
    }
    expect(await outboxFor(server, email, 'password_reset')).toHaveLength(3);
    server.clock.advance(61 * 60_000);
    try {
      await askReset({ email });
      expect(await outboxFor(server, email, 'password_reset')).toHaveLength(4);
    } finally {
      server.clock.reset();
    }
  });

  it('a user without a password (a host platform user) gets no email', async () => {
    const email = uniqueEmail('host');
    await createUser(server.testDb.db, { email });
    expect((await askReset({ email })).text).toBe('{"accepted":true}');
    expect(await outboxFor(server, email)).toHaveLength(0);
  });

  it('bad input is a 400 (tRPC too), never a 500', async () => {
    for (const body of [{}, { email: 'not-an-email' }, { email: 42 }, { email: 'a'.repeat(10_000) }]) {
      expect((await askReset(body)).status, JSON.stringify(body)).toBe(400);
    }
    const viaTrpc = await trpc(server.url, 'mutation', 'auth.requestPasswordReset', { email: ['x'] });
    expect(viaTrpc.status).toBe(400);
  });
});

describe('resetting the password with the link', () => {
  it('sets the new password, signs out every session, and is single use', async () => {
    const email = uniqueEmail('reset');
    const user = await registerUser(server.url, email);
    const otherSession = (await login(email, PASSWORD)).data;
    await askReset({ email });
    const token = tokenOf(await linkFor(server, email, 'password_reset'));

    expect(await confirm({ token, password: NEW_PASSWORD })).toEqual({ status: 200, body: { reset: true } });

    for (const refreshToken of [user.refreshToken, otherSession?.refreshToken]) {
      const refreshed = await trpc(server.url, 'mutation', 'auth.refresh', { refreshToken });
      expect(refreshed.status).toBe(401);
    }
    expect((await login(email, PASSWORD)).status).toBe(401);
    const fresh = await login(email, NEW_PASSWORD);
    expect(fresh.status).toBe(200);

    const reused = await confirm({ token, password: 'yet another passphrase' });
    expect(reused.status).toBe(400);
    expect(reused.body.error?.code).toBe('TOKEN_INVALID');
    expect((await login(email, NEW_PASSWORD)).status).toBe(200);
  });

  it('two concurrent confirms with one token: exactly one wins, the other is TOKEN_INVALID', async () => {
    const email = uniqueEmail('race');
    await registerUser(server.url, email);
    await askReset({ email });
    const token = tokenOf(await linkFor(server, email, 'password_reset'));
    const results = await Promise.all([
      confirm({ token, password: 'first concurrent passphrase' }),
      confirm({ token, password: 'second concurrent passphrase' }),
    ]);
    expect(results.map((result) => result.status).sort()).toEqual([200, 400]);
    const winner = results[0]?.status === 200 ? 'first' : 'second';
    expect((await login(email, `${winner} concurrent passphrase`)).status).toBe(200);
  });

  it('using one link voids the other reset links; an expired link is TOKEN_INVALID', async () => {
    const email = uniqueEmail('void');
    await registerUser(server.url, email);
    await askReset({ email });
    const first = tokenOf(await linkFor(server, email, 'password_reset'));
    await askReset({ email });
    const second = tokenOf(await linkFor(server, email, 'password_reset'));
    expect((await confirm({ token: second, password: NEW_PASSWORD })).status).toBe(200);
    expect((await confirm({ token: first, password: 'something else entirely' })).status).toBe(400);

    await askReset({ email });
    const late = tokenOf(await linkFor(server, email, 'password_reset'));
    server.clock.advance(61 * 60_000);
    try {
      const expired = await confirm({ token: late, password: 'something else entirely' });
      expect(expired.status).toBe(400);
      expect(expired.body.error?.code).toBe('TOKEN_INVALID');
    } finally {
      server.clock.reset();
    }
  });

  it('the link proves the mailbox: an unverified user is verified by it', async () => {
    const email = uniqueEmail('proves');
    await registerUser(server.url, email);
    await askReset({ email });
    const token = tokenOf(await linkFor(server, email, 'password_reset'));
    expect((await confirm({ token, password: NEW_PASSWORD })).status).toBe(200);
    const signedIn = await login(email, NEW_PASSWORD);
    const me = await trpc(server.url, 'query', 'auth.me', undefined, signedIn.data?.accessToken);
    expect(me.data).toMatchObject({ emailVerified: true });
  });

  describe("the mailbox's owner taking back an address someone else registered", () => {
    // Anyone may register any address: a squatter registers the owner's, makes an account key on its
    // personal account and tries to invite an accomplice to a team (refused while the address is
    // unverified: 403 EMAIL_NOT_VERIFIED). The owner can't register (409): they reset the password
    // through the link, which reaches only their mailbox.
    async function makeGrants(token: string, userId: string, isVerified = false) {
      const accountId = personalAccountId(userId);
      const key = await request<{ key: string }>(
        server.url,
        'POST',
        `/api/v1/accounts/${accountId}/api-keys`,
        {
          token,
          body: { name: 'kept', scopes: ['runs:authorize', 'subscriptions:read'] },
        },
      );
      expect(key.status).toBe(201);
      const team = await request<{ id: string }>(server.url, 'POST', '/api/v1/accounts', {
        token,
        body: { name: 'Squat' },
      });
      const invited = await request(server.url, 'POST', `/api/v1/accounts/${team.body.id}/invitations`, {
        token,
        body: { email: uniqueEmail('accomplice'), role: 'admin' },
      });
      expect(invited.status).toBe(isVerified ? 201 : 403);
      return { userId, key: key.body.key, teamId: team.body.id };
    }
    async function reset(email: string) {
      await askReset({ email });
      const token = tokenOf(await linkFor(server, email, 'password_reset'));
      expect((await confirm({ token, password: NEW_PASSWORD })).status).toBe(200);
    }
    /** Whether the key still acts, and how many invitations are pending, once the owner is back. */
    async function grantsLeft(grants: { userId: string; key: string; teamId: string }, email: string) {
      const read = `/api/v1/billing/subscription?userId=${grants.userId}`;
      const keyStatus = (await request(server.url, 'GET', read, { token: grants.key })).status;
      const owner = await login(email, NEW_PASSWORD);
      const listed = await request<unknown[]>(
        server.url,
        'GET',
        `/api/v1/accounts/${grants.teamId}/invitations`,
        {
          token: owner.data?.accessToken,
        },
      );
      return { isKeyWorking: keyStatus === 200, pendingInvitations: listed.body.length };
    }

    it('a reset ends the keys made before the address was verified (invitations were refused)', async () => {
      const email = uniqueEmail('squatted');
      const squatter = await registerUser(server.url, email);
      const grants = await makeGrants(squatter.accessToken, squatter.user.id);
      await reset(email);
      expect(await grantsLeft(grants, email)).toEqual({ isKeyWorking: false, pendingInvitations: 0 });
    });

    it('also when the owner first clicked the sign-up verification link the squatter caused', async () => {
      const email = uniqueEmail('squatted-verified');
      const squatter = await registerUser(server.url, email);
      const grants = await makeGrants(squatter.accessToken, squatter.user.id);
      const link = tokenOf(await linkFor(server, email, 'verify_email'));
      expect(
        (await request(server.url, 'POST', '/api/v1/auth/verify-email', { body: { token: link } })).status,
      ).toBe(200);
      await reset(email);
      expect(await grantsLeft(grants, email)).toEqual({ isKeyWorking: false, pendingInvitations: 0 });
    });

    it('what a verified owner made stays: a reset only changes their password', async () => {
      const email = uniqueEmail('verified');
      const owner = await registerUser(server.url, email);
      await verifyEmail(server, owner.user.id);
      server.clock.advance(1_000);
      const grants = await makeGrants(owner.accessToken, owner.user.id, true);
      await reset(email);
      expect(await grantsLeft(grants, email)).toEqual({ isKeyWorking: true, pendingInvitations: 1 });
    });
  });

  it('a verification token is not a reset token (and the reverse)', async () => {
    const email = uniqueEmail('purpose');
    await registerUser(server.url, email);
    const verifyToken = tokenOf(await linkFor(server, email, 'verify_email'));
    expect((await confirm({ token: verifyToken, password: NEW_PASSWORD })).status).toBe(400);
    await askReset({ email });
    const resetToken = tokenOf(await linkFor(server, email, 'password_reset'));
    const asVerify = await trpc(server.url, 'mutation', 'auth.verifyEmail', { token: resetToken });
    expect(asVerify.status).toBe(400);
  });

  it('bad input is a 400, never a 500 (a weak password is refused before the token is used)', async () => {
    const email = uniqueEmail('weak');
    await registerUser(server.url, email);
    await askReset({ email });
    const token = tokenOf(await linkFor(server, email, 'password_reset'));
    const cases: unknown[] = [
      {},
      { token },
      { password: NEW_PASSWORD },
      { token: '', password: NEW_PASSWORD },
      { token: 'x'.repeat(10_000), password: NEW_PASSWORD },
      { token: 7, password: NEW_PASSWORD },
      { token, password: 'short' },
      { token, password: 12345678 },
    ];
    for (const body of cases) expect((await confirm(body)).status, JSON.stringify(body)).toBe(400);
    expect((await confirm({ token, password: NEW_PASSWORD })).status).toBe(200);
  });
});
