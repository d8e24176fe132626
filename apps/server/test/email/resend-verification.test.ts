import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server';
import { registerUser, request, trpc, uniqueEmail } from '../support/http';
import type { TestServer } from '../support/test-server';
import { linkFor, outboxFor, startEmailTestServer, startSecondServer, tokenOf } from './email-support';

let server: TestServer;
let second: RunningServer;
beforeAll(async () => {
  server = await startEmailTestServer();
  second = await startSecondServer(server);
});
afterAll(async () => {
  await second?.close();
  await server?.stop();
});

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

interface Resent {
  status: number;
  retryAfter: string | null;
  body: { sent?: boolean; error?: { code: string; message: string } };
}

/** POST /api/v1/auth/resend-verification on `url` (the first server unless told). */
async function resend(token: string, url = server.url): Promise<Resent> {
  const response = await fetch(`${url}/api/v1/auth/resend-verification`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as Resent['body'],
  };
}

describe('resending the verification link', () => {
  it('needs a signed-in user', async () => {
    expect((await request(server.url, 'POST', '/api/v1/auth/resend-verification')).status).toBe(401);
  });

  it('at most one per minute (429 + Retry-After), counted across server processes', async () => {
    const email = uniqueEmail('resend');
    const user = await registerUser(server.url, email);
    // The sign-up email was just sent: a resend right away waits for the minute to pass.
    const tooSoon = await resend(user.accessToken);
    expect(tooSoon.status).toBe(429);
    expect(tooSoon.body.error?.code).toBe('TOO_MANY_REQUESTS');
    expect(Number(tooSoon.retryAfter)).toBeGreaterThan(50);
    expect(Number(tooSoon.retryAfter)).toBeLessThanOrEqual(60);

    server.clock.advance(61_000);
    try {
      expect(await resend(user.accessToken)).toMatchObject({ status: 200, body: { sent: true } });
      // The other process shares nothing in memory with this one: the limit is in the database.
      const elsewhere = await resend(user.accessToken, second.url);
      expect(elsewhere.status).toBe(429);
      expect(elsewhere.retryAfter).not.toBeNull();
      expect(await outboxFor(server, email, 'verify_email')).toHaveLength(2);
    } finally {
      server.clock.reset();
    }
  });

  it('at most five per day (the sign-up email included), then Retry-After until the oldest ages out', async () => {
    const email = uniqueEmail('daily');
    const user = await registerUser(server.url, email);
    try {
      for (let i = 1; i <= 4; i += 1) {
        server.clock.advance(2 * MINUTE);
        expect((await resend(user.accessToken)).status, `resend ${i}`).toBe(200);
      }
      server.clock.advance(2 * MINUTE);
      const sixth = await resend(user.accessToken);
      expect(sixth.status).toBe(429);
      expect(sixth.body.error?.message).toContain('5 verification emails today');
      // The sign-up email was 10 minutes ago: the next one may go in 24 h - 10 min.
      const retryAfter = Number(sixth.retryAfter);
      expect(retryAfter).toBeGreaterThan(23 * 3600);
      expect(retryAfter).toBeLessThanOrEqual(24 * 3600 - 10 * 60);
      expect(await outboxFor(server, email, 'verify_email')).toHaveLength(5);

      server.clock.advance(24 * HOUR);
      expect((await resend(user.accessToken)).status).toBe(200);
    } finally {
      server.clock.reset();
    }
  });

  it('a resent link works, and the earlier one still does until one is used', async () => {
    const email = uniqueEmail('both');
    const user = await registerUser(server.url, email);
    const first = tokenOf(await linkFor(server, email, 'verify_email'));
    server.clock.advance(2 * MINUTE);
    try {
      expect((await resend(user.accessToken)).status).toBe(200);
      const second = tokenOf(await linkFor(server, email, 'verify_email'));
      expect(second).not.toBe(first);
      const verified = await trpc(server.url, 'mutation', 'auth.verifyEmail', { token: first });
      expect(verified.data).toEqual({ verified: true, email });
    } finally {
      server.clock.reset();
    }
  });

  it('an already verified user gets sent: false and no email', async () => {
    const email = uniqueEmail('done');
    const user = await registerUser(server.url, email);
    const token = tokenOf(await linkFor(server, email, 'verify_email'));
    expect((await trpc(server.url, 'mutation', 'auth.verifyEmail', { token })).status).toBe(200);
    const result = await trpc(server.url, 'mutation', 'auth.resendVerification', undefined, user.accessToken);
    expect(result.data).toEqual({ sent: false });
    expect(await outboxFor(server, email, 'verify_email')).toHaveLength(1);
  });

  it('concurrent resends send one email', async () => {
    const email = uniqueEmail('burst');
    const user = await registerUser(server.url, email);
    server.clock.advance(2 * MINUTE);
    try {
      const results = await Promise.all([
        resend(user.accessToken),
        resend(user.accessToken, second.url),
        resend(user.accessToken),
        resend(user.accessToken, second.url),
      ]);
      expect(results.map((result) => result.status).sort()).toEqual([200, 429, 429, 429]);
      expect(await outboxFor(server, email, 'verify_email')).toHaveLength(2);
    } finally {
      server.clock.reset();
    }
  });
});
