import { SESSION_CHECK_TTL_MS, signAccessToken } from '@tollgate/api';
import { queryRows } from '@tollgate/db';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server';
import { registerUser, request, trpc, uniqueEmail, type Tokens } from '../support/http';
import type { TestServer } from '../support/test-server';
import { linkFor, PASSWORD, startEmailTestServer, startSecondServer, tokenOf } from './email-support';

// An access token lives ACCESS_TOKEN_TTL_SECONDS (15 min). It names its session (the refresh-token
// family), and a session a logout, a password reset or a detected reuse ended refuses it: at once on
// the server that ended it, within SESSION_CHECK_TTL_MS on another replica.

let server: TestServer;
let replica: RunningServer;
beforeAll(async () => {
  server = await startEmailTestServer();
  replica = await startSecondServer(server);
});
afterAll(async () => {
  await replica?.close();
  await server?.stop();
});
afterEach(() => server.clock.reset());

/** GET /auth/me and auth.me with this token: both statuses. */
async function me(token: string, url = server.url): Promise<[number, number]> {
  const rest = await request(url, 'GET', '/api/v1/auth/me', { token });
  const viaTrpc = await trpc(url, 'query', 'auth.me', undefined, token);
  return [rest.status, viaTrpc.status];
}

async function signIn(email: string): Promise<Tokens> {
  const signedIn = await request<Tokens>(server.url, 'POST', '/api/v1/auth/login', {
    body: { email, password: PASSWORD },
  });
  expect(signedIn.status).toBe(200);
  return signedIn.body;
}

const logout = (refreshToken: string) =>
  request(server.url, 'POST', '/api/v1/auth/logout', { body: { refreshToken } });

async function refresh(refreshToken: string): Promise<{ status: number; tokens: Tokens }> {
  const answer = await request<Tokens>(server.url, 'POST', '/api/v1/auth/refresh', {
    body: { refreshToken },
  });
  return { status: answer.status, tokens: answer.body };
}

describe('an access token after its session ended', () => {
  it('is refused at once after a logout (REST and tRPC); the same user’s other session keeps working', async () => {
    const email = uniqueEmail('logout');
    const first = await registerUser(server.url, email);
    const second = await signIn(email);
    expect(await me(first.accessToken)).toEqual([200, 200]);

    expect((await logout(first.refreshToken)).status).toBe(200);

    expect(await me(first.accessToken)).toEqual([401, 401]);
    expect(await me(second.accessToken)).toEqual([200, 200]);
  });

  it('is refused for every session after a password reset, and a fresh sign-in works', async () => {
    const email = uniqueEmail('reset');
    const sessions = [await registerUser(server.url, email), await signIn(email)];
    for (const session of sessions) expect(await me(session.accessToken)).toEqual([200, 200]);
    await request(server.url, 'POST', '/api/v1/auth/password-reset/request', { body: { email } });
    await server.services.passwordReset.settled();
    const token = tokenOf(await linkFor(server, email, 'password_reset'));

    const reset = await request(server.url, 'POST', '/api/v1/auth/password-reset/confirm', {
      body: { token, password: 'a brand new passphrase' },
    });
    expect(reset.status).toBe(200);

    for (const session of sessions) expect(await me(session.accessToken)).toEqual([401, 401]);
    const fresh = await request<Tokens>(server.url, 'POST', '/api/v1/auth/login', {
      body: { email, password: 'a brand new passphrase' },
    });
    expect(await me(fresh.body.accessToken)).toEqual([200, 200]);
  });

  it('is refused when a reused refresh token ends its family (the thief’s copy and the owner’s)', async () => {
    const owner = await registerUser(server.url);
    const rotated = await refresh(owner.refreshToken);
    const again = await refresh(rotated.tokens.refreshToken);
    expect([rotated.status, again.status]).toEqual([200, 200]);
    expect(await me(again.tokens.accessToken)).toEqual([200, 200]);

    // The first token once more, after its successor was used: reuse.
    expect((await refresh(owner.refreshToken)).status).toBe(401);

    for (const tokens of [owner, rotated.tokens, again.tokens]) {
      expect(await me(tokens.accessToken)).toEqual([401, 401]);
    }
  });

  it('keeps working across a refresh: the new access token belongs to the same live session', async () => {
    const owner = await registerUser(server.url);
    const rotated = await refresh(owner.refreshToken);
    // The old access token too: its session is the same family, still signed in.
    expect(await me(owner.accessToken)).toEqual([200, 200]);
    expect(await me(rotated.tokens.accessToken)).toEqual([200, 200]);
  });

  it('is refused by another replica within SESSION_CHECK_TTL_MS of a logout', async () => {
    server.clock.set(new Date());
    const session = await registerUser(server.url);
    expect(await me(session.accessToken, replica.url)).toEqual([200, 200]);

    await logout(session.refreshToken);

    expect(await me(session.accessToken)).toEqual([401, 401]);
    // The replica found it signed in moments ago and takes that answer for a few seconds more...
    expect(await me(session.accessToken, replica.url)).toEqual([200, 200]);
    server.clock.advance(SESSION_CHECK_TTL_MS);
    // ...then reads again.
    expect(await me(session.accessToken, replica.url)).toEqual([401, 401]);
  });

  it("is refused when it names another user's session (a live one), or a session that never was", async () => {
    const victim = await registerUser(server.url);
    const other = await registerUser(server.url);
    const [family] = await queryRows<{ family_id: string }>(
      server.testDb.db,
      sql`select family_id from refresh_tokens where user_id = ${other.user.id} limit 1`,
    );
    if (!family) throw new Error('no session of the other user');
    const jwt = server.deps.config.jwt;
    const crossed = await signAccessToken(
      jwt,
      { id: victim.user.id, email: null },
      family.family_id,
      new Date(),
    );
    expect(await me(crossed)).toEqual([401, 401]);
    const unknown = await signAccessToken(jwt, victim.user, crypto.randomUUID(), new Date());
    expect(await me(unknown)).toEqual([401, 401]);
    // The victim's and the other user's own tokens still work.
    expect(await me(victim.accessToken)).toEqual([200, 200]);
    expect(await me(other.accessToken)).toEqual([200, 200]);
  });

  it('a signed-out token gets no run: 401 on REST and tRPC, nothing reserved; a forged sid fails its signature', async () => {
    const session = await registerUser(server.url);
    const authorize = (token: string, runId: string) =>
      request(server.url, 'POST', '/api/v1/usage/authorize', { token, body: { runId } });
    expect((await authorize(session.accessToken, 'before-logout')).status).toBe(200);

    await logout(session.refreshToken);

    expect((await authorize(session.accessToken, 'after-logout')).status).toBe(401);
    const viaTrpc = await trpc(
      server.url,
      'mutation',
      'usage.authorize',
      { runId: 'after-logout-2' },
      session.accessToken,
    );
    expect(viaTrpc.status).toBe(401);
    // The token's payload edited to name another session (no secret to sign it again): refused.
    const [header, payload, signature] = session.accessToken.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, sid: crypto.randomUUID() })).toString('base64url');
    expect((await authorize(`${header}.${forged}.${signature}`, 'forged')).status).toBe(401);

    const [ledger] = await queryRows<{ n: number }>(
      server.testDb.db,
      sql`select count(*)::int as n from usage_ledger where user_id = ${session.user.id}`,
    );
    expect(ledger?.n).toBe(1);
  });
});
