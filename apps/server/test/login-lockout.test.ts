import { LOGIN_FAILURES_PER_ACCOUNT, LOGIN_LOCKOUT_WINDOW_MS } from '@tollgate/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { APP_URL, linkFor, PASSWORD, startEmailTestServer, tokenOf } from './email/email-support';
import { registerUser, request, trpc, uniqueEmail } from './support/http';
import type { TestServer } from './support/test-server';

// A botnet guessing one account's password comes from many IPs: the per-IP limit alone never stops it.
// Every attempt here comes from its own IP, so only the per-address limit can refuse it.

let server: TestServer;
beforeAll(async () => {
  server = await startEmailTestServer({ APP_URL, AUTH_RATE_LIMIT_PER_MINUTE: '1000' });
});
afterAll(() => server?.stop());
afterEach(() => server.clock.reset());

let ipCounter = 0;
function nextIp(): string {
  ipCounter += 1;
  return `198.18.${Math.floor(ipCounter / 250) % 250}.${(ipCounter % 250) + 1}`;
}

function login(email: string, password: string) {
  return trpc(server.url, 'mutation', 'auth.login', { email, password }, undefined, {
    'x-forwarded-for': nextIp(),
  });
}

async function fail(email: string, times: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < times; i += 1) statuses.push((await login(email, 'not the password')).status);
  return statuses;
}

/** Windows are whole spans of the server's clock: a test starts at the beginning of one. */
function startOfNextWindow(): Date {
  return new Date(Math.ceil(Date.now() / LOGIN_LOCKOUT_WINDOW_MS) * LOGIN_LOCKOUT_WINDOW_MS + 1_000);
}

describe('failed sign-ins per address, whatever the IP', () => {
  it('refuses the address after the limit, even with the right password, and no other address', async () => {
    server.clock.set(startOfNextWindow());
    const email = uniqueEmail('target');
    await registerUser(server.url, email);
    expect(await fail(email, LOGIN_FAILURES_PER_ACCOUNT)).toEqual(
      Array<number>(LOGIN_FAILURES_PER_ACCOUNT).fill(401),
    );

    const locked = await login(email, PASSWORD);
    expect(locked.status).toBe(429);
    expect(locked.error).toMatchObject({ data: { code: 'TOO_MANY_REQUESTS' } });
    expect(locked.error?.message).toMatch(/Too many failed sign-ins for this address: try again in 15 min/);
    // The wait is in the body too, for clients that don't see the header (the SDK's errors).
    expect((locked.error?.data as { retryAfterSeconds?: number }).retryAfterSeconds).toBe(
      LOGIN_LOCKOUT_WINDOW_MS / 1000 - 1,
    );

    const rest = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': nextIp() },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    expect(rest.status).toBe(429);
    // The window started 1 s before the test's clock: the rest of it.
    expect(rest.headers.get('retry-after')).toBe(String(LOGIN_LOCKOUT_WINDOW_MS / 1000 - 1));

    const other = uniqueEmail('bystander');
    await registerUser(server.url, other);
    expect((await login(other, PASSWORD)).status).toBe(200);
  });

  it('answers an address without an account the same way (a refusal reveals nothing)', async () => {
    server.clock.set(startOfNextWindow());
    const nobody = uniqueEmail('nobody');
    expect(await fail(nobody, LOGIN_FAILURES_PER_ACCOUNT + 1)).toEqual([
      ...Array<number>(LOGIN_FAILURES_PER_ACCOUNT).fill(401),
      429,
    ]);
  });

  it('counts failures only: a sign-in forgets the ones before it', async () => {
    server.clock.set(startOfNextWindow());
    const email = uniqueEmail('typo');
    await registerUser(server.url, email);
    await fail(email, LOGIN_FAILURES_PER_ACCOUNT - 1);
    expect((await login(email, PASSWORD)).status).toBe(200);
    expect(await fail(email, LOGIN_FAILURES_PER_ACCOUNT)).toEqual(
      Array<number>(LOGIN_FAILURES_PER_ACCOUNT).fill(401),
    );
    expect((await login(email, PASSWORD)).status).toBe(429);
  });

  it('lets the address in again in the next window', async () => {
    server.clock.set(startOfNextWindow());
    const email = uniqueEmail('patient');
    await registerUser(server.url, email);
    await fail(email, LOGIN_FAILURES_PER_ACCOUNT);
    expect((await login(email, PASSWORD)).status).toBe(429);
    server.clock.advance(LOGIN_LOCKOUT_WINDOW_MS);
    expect((await login(email, PASSWORD)).status).toBe(200);
  });

  it('is lifted by a password reset: the mailbox owner gets in at once with the new password', async () => {
    server.clock.set(startOfNextWindow());
    const email = uniqueEmail('locked-out');
    await registerUser(server.url, email);
    await fail(email, LOGIN_FAILURES_PER_ACCOUNT);
    expect((await login(email, PASSWORD)).status).toBe(429);

    await request(server.url, 'POST', '/api/v1/auth/password-reset/request', { body: { email } });
    await server.services.passwordReset.settled();
    const token = tokenOf(await linkFor(server, email, 'password_reset'));
    const newPassword = 'a fresh passphrase after the lockout';
    const confirmed = await request(server.url, 'POST', '/api/v1/auth/password-reset/confirm', {
      body: { token, password: newPassword },
    });
    expect(confirmed.status).toBe(200);
    expect((await login(email, newPassword)).status).toBe(200);
  });

  it('lets at most the limit through when the guesses arrive all at once', async () => {
    server.clock.set(startOfNextWindow());
    const email = uniqueEmail('burst');
    await registerUser(server.url, email);
    const statuses = await Promise.all(
      Array.from({ length: 3 * LOGIN_FAILURES_PER_ACCOUNT }, () => login(email, 'a wrong guess')),
    ).then((results) => results.map((result) => result.status));
    expect(statuses.filter((status) => status === 401)).toHaveLength(LOGIN_FAILURES_PER_ACCOUNT);
    expect(statuses.filter((status) => status === 429)).toHaveLength(2 * LOGIN_FAILURES_PER_ACCOUNT);
  });
});
