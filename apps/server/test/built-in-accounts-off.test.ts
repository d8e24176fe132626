import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server';
import { registerUser, request, trpc, uniqueEmail, type Tokens } from './support/http';
import { startServerOnDatabaseOf, startTestServer, type TestServer } from './support/test-server';

// An operator turns built-in accounts off (BUILT_IN_ACCOUNTS=false: the host platform now owns
// identity) on a database that has built-in users: their sessions end, not only their next sign-in.
let before: TestServer;
let hostOnly: RunningServer;
beforeAll(async () => {
  before = await startTestServer();
  hostOnly = await startServerOnDatabaseOf(before, { BUILT_IN_ACCOUNTS: 'false' });
});
afterAll(async () => {
  await hostOnly?.close();
  await before?.stop();
});

describe('BUILT_IN_ACCOUNTS=false on a database with built-in users', () => {
  it('refuses their sign-in (403), their refresh token (403) and the access token they hold (401)', async () => {
    const email = uniqueEmail('built-in');
    const tokens: Tokens = await registerUser(before.url, email);
    const login = await trpc(hostOnly.url, 'mutation', 'auth.login', {
      email,
      password: 'correct horse battery',
    });
    expect(login.status).toBe(403);
    const refreshed = await trpc(hostOnly.url, 'mutation', 'auth.refresh', {
      refreshToken: tokens.refreshToken,
    });
    expect(refreshed.status).toBe(403);
    const me = await request(hostOnly.url, 'GET', '/api/v1/auth/me', { token: tokens.accessToken });
    expect(me.status).toBe(401);
    // The server that still has them is unchanged.
    expect((await request(before.url, 'GET', '/api/v1/auth/me', { token: tokens.accessToken })).status).toBe(
      200,
    );
  });
});
