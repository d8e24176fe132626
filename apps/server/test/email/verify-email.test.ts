import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, request, trpc, uniqueEmail } from '../support/http';
import type { TestServer } from '../support/test-server';
import { APP_URL, linkFor, outboxFor, startEmailTestServer, tokenOf } from './email-support';

let server: TestServer;
beforeAll(async () => {
  server = await startEmailTestServer();
});
afterAll(() => server?.stop());

const HOUR = 3_600_000;

async function me(token: string) {
  const result = await trpc<{ email: string; emailVerified: boolean }>(
    server.url,
    'query',
    'auth.me',
    undefined,
    token,
  );
  expect(result.status).toBe(200);
  return result.data;
}

function verify(body: unknown) {
  return request<{ verified?: true; email?: string; error?: { code: string } }>(
    server.url,
    'POST',
    '/api/v1/auth/verify-email',
    { body },
  );
}

describe('sign-up sends a verification link', () => {
  it('register enqueues one verify_email email to the address, with a 24 h link on APP_URL', async () => {
    const email = uniqueEmail('verify');
    const user = await registerUser(server.url, email);
    const rows = await outboxFor(server, email);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: 'verify_email', userId: user.user.id, status: 'pending' });
    expect(rows[0]?.data).toMatchObject({ expiresInHours: 24 });
    const link = await linkFor(server, email, 'verify_email');
    expect(link.startsWith(`${APP_URL}/verify-email#token=`)).toBe(true);
    tokenOf(link);
    expect(await me(user.accessToken)).toMatchObject({ email, emailVerified: false });
  });

  it('the link verifies the address (REST), once; me says so', async () => {
    const email = uniqueEmail('verify');
    const user = await registerUser(server.url, email);
    const token = tokenOf(await linkFor(server, email, 'verify_email'));

    const first = await verify({ token });
    expect(first).toEqual({ status: 200, body: { verified: true, email } });
    expect(await me(user.accessToken)).toMatchObject({ emailVerified: true });

    const again = await verify({ token });
    expect(again.status).toBe(400);
    expect(again.body.error?.code).toBe('TOKEN_INVALID');
  });

  it('works over tRPC too; a wrong token is 400 TOKEN_INVALID', async () => {
    const email = uniqueEmail('verify');
    await registerUser(server.url, email);
    const token = tokenOf(await linkFor(server, email, 'verify_email'));
    const wrong = await trpc(server.url, 'mutation', 'auth.verifyEmail', {
      token: `${token.slice(0, -2)}AA`,
    });
    expect(wrong.status).toBe(400);
    expect(wrong.error?.data.appCode).toBe('TOKEN_INVALID');
    const right = await trpc(server.url, 'mutation', 'auth.verifyEmail', { token });
    expect(right.data).toEqual({ verified: true, email });
  });

  it('an expired link (after 24 h) is TOKEN_INVALID and leaves the user unverified', async () => {
    const email = uniqueEmail('expired');
    const user = await registerUser(server.url, email);
    const token = tokenOf(await linkFor(server, email, 'verify_email'));
    server.clock.advance(24 * HOUR + 1000);
    try {
      const result = await verify({ token });
      expect(result.status).toBe(400);
      expect(result.body.error?.code).toBe('TOKEN_INVALID');
      expect(await me(user.accessToken)).toMatchObject({ emailVerified: false });
    } finally {
      server.clock.reset();
    }
  });

  it('two concurrent clicks: one verifies, the other is TOKEN_INVALID, never a 500', async () => {
    const email = uniqueEmail('race');
    const user = await registerUser(server.url, email);
    const token = tokenOf(await linkFor(server, email, 'verify_email'));
    const results = await Promise.all([verify({ token }), verify({ token }), verify({ token })]);
    const statuses = results.map((result) => result.status).sort();
    expect(statuses).toEqual([200, 400, 400]);
    expect(await me(user.accessToken)).toMatchObject({ emailVerified: true });
  });

  it('using one link voids the others (an older resend can no longer be replayed)', async () => {
    const email = uniqueEmail('void');
    await registerUser(server.url, email);
    const first = tokenOf(await linkFor(server, email, 'verify_email'));
    server.clock.advance(61_000);
    try {
      const tokens = await registerAndResend(email);
      expect((await verify({ token: tokens })).status).toBe(200);
      const stale = await verify({ token: first });
      expect(stale.status).toBe(400);
    } finally {
      server.clock.reset();
    }
  });

  it('bad input is a 400, never a 500', async () => {
    const cases: unknown[] = [
      {},
      { token: '' },
      { token: 'x'.repeat(10_000) },
      { token: 42 },
      { token: null },
      { token: ['a'] },
      { token: 'has spaces and é' },
      'not json',
    ];
    for (const body of cases) {
      const result = await verify(body);
      expect(result.status, JSON.stringify(body)).toBe(400);
    }
    const trpcCase = await trpc(server.url, 'mutation', 'auth.verifyEmail', { token: { $ne: null } });
    expect(trpcCase.status).toBe(400);
  });
});

/** Logs in as `email` and asks for a new link; the newest link's token. */
async function registerAndResend(email: string): Promise<string> {
  const login = await trpc<{ accessToken: string }>(server.url, 'mutation', 'auth.login', {
    email,
    password: 'correct horse battery',
  });
  const sent = await trpc(
    server.url,
    'mutation',
    'auth.resendVerification',
    undefined,
    login.data?.accessToken,
  );
  expect(sent.data).toEqual({ sent: true });
  return tokenOf(await linkFor(server, email, 'verify_email'));
}

describe('through the mailbox (the outbox worker and the dev inbox)', () => {
  it('the sent email carries the same link, and following it verifies the address', async () => {
    const email = uniqueEmail('mailbox');
    const user = await registerUser(server.url, email);
    const stored = await linkFor(server, email, 'verify_email');
    await server.emailWorker.drain();
    const inbox = server.devInbox;
    if (!inbox) throw new Error('the test server has no dev inbox');
    const message = await inbox.waitFor((candidate) => candidate.to.includes(email), { timeoutMs: 10_000 });
    expect(message.text).toContain(stored);
    expect((await verify({ token: tokenOf(stored) })).status).toBe(200);
    expect(await me(user.accessToken)).toMatchObject({ emailVerified: true });
  });
});
