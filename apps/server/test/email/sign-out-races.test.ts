import { queryRows } from '@tollgate/db';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, request, uniqueEmail, type Tokens } from '../support/http';
import type { TestServer } from '../support/test-server';
import { linkFor, PASSWORD, startEmailTestServer, tokenOf } from './email-support';

// A stolen refresh token is rotated by its thief as fast as it likes; a password reset ("signs out
// every session") and a logout must still end it when a rotation races them. The window is between a
// rotation's revoke of the old token and its insert of the new one: on PostgreSQL it is hit within a
// few rounds without the user's row lock; on PGlite (one connection) it can't be, and this passes.
const ROUNDS = 8;
const SESSIONS = 6;

let server: TestServer;
beforeAll(async () => {
  server = await startEmailTestServer();
});
afterAll(() => server?.stop());

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function liveRefreshTokens(userId: string): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    server.testDb.db,
    sql`select count(*)::int as n from refresh_tokens where user_id = ${userId} and revoked_at is null`,
  );
  return row?.n ?? 0;
}

async function signIn(email: string): Promise<Tokens> {
  const signedIn = await request<Tokens>(server.url, 'POST', '/api/v1/auth/login', {
    body: { email, password: PASSWORD },
  });
  expect(signedIn.status).toBe(200);
  return signedIn.body;
}

/** Each session's token rotated at a staggered moment while `end` runs. */
async function rotateDuring(sessions: Tokens[], end: () => Promise<unknown>): Promise<void> {
  await Promise.all([
    end(),
    ...sessions.map(async (session, i) => {
      await pause(i * 3);
      await server.services.accounts.refresh(session.refreshToken).catch(() => null);
    }),
  ]);
}

describe('signing out while a stolen refresh token is rotated', () => {
  it('a password reset leaves no refresh token alive, whatever rotations raced it', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const email = uniqueEmail('reset-race');
      const { user } = await registerUser(server.url, email);
      const sessions = await Promise.all(Array.from({ length: SESSIONS }, () => signIn(email)));
      await request(server.url, 'POST', '/api/v1/auth/password-reset/request', { body: { email } });
      await server.services.passwordReset.settled();
      const token = tokenOf(await linkFor(server, email, 'password_reset'));

      await rotateDuring(sessions, () =>
        server.services.passwordReset.reset({ token, password: 'a brand new passphrase' }, '127.0.0.1'),
      );
      expect(await liveRefreshTokens(user.id), `round ${round}`).toBe(0);
    }
  });

  it('a logout ends its session, whatever rotation of the same token raced it', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const email = uniqueEmail('logout-race');
      const first = await registerUser(server.url, email);
      await rotateDuring([first], () => server.services.accounts.logout(first.refreshToken));
      expect(await liveRefreshTokens(first.user.id), `round ${round}`).toBe(0);
    }
  });

  it('a sign-in with the old password racing a reset gets no session that outlives it', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const email = uniqueEmail('login-race');
      await registerUser(server.url, email);
      await request(server.url, 'POST', '/api/v1/auth/password-reset/request', { body: { email } });
      await server.services.passwordReset.settled();
      const token = tokenOf(await linkFor(server, email, 'password_reset'));

      // The reset commits while the sign-in's password check (argon2id, slow) is running.
      const resetting = request(server.url, 'POST', '/api/v1/auth/password-reset/confirm', {
        body: { token, password: 'a brand new passphrase' },
      });
      await pause(round % 3);
      const signingIn = request<Tokens>(server.url, 'POST', '/api/v1/auth/login', {
        body: { email, password: PASSWORD },
      });
      const [reset, signedIn] = await Promise.all([resetting, signingIn]);
      expect(reset.status).toBe(200);
      if (signedIn.status !== 200) {
        expect(signedIn.status, `round ${round}`).toBe(401);
        continue;
      }
      // Signed in before the reset: the reset ended that session too.
      const me = await request(server.url, 'GET', '/api/v1/auth/me', { token: signedIn.body.accessToken });
      const refreshed = await request(server.url, 'POST', '/api/v1/auth/refresh', {
        body: { refreshToken: signedIn.body.refreshToken },
      });
      expect([me.status, refreshed.status], `round ${round}`).toEqual([401, 401]);
    }
  });
});
