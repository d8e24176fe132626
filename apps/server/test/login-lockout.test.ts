import {
  LOGIN_FAILURES_PER_ACCOUNT,
  LOGIN_FAILURES_PER_CLIENT,
  LOGIN_LOCKOUT_WINDOW_MS,
} from '@tollgate/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { APP_URL, linkFor, PASSWORD, startEmailTestServer, tokenOf } from './email/email-support';
import { registerUser, request, trpc, uniqueEmail } from './support/http';
import type { TestServer } from './support/test-server';

// Failed sign-ins of one address are limited per client IP (so one IP can't lock the owner out) and
// from all IPs together (so a botnet can't guess without end). The per-IP route limit is set high here:
// only these limits refuse.

let server: TestServer;
beforeAll(async () => {
  server = await startEmailTestServer({ APP_URL, AUTH_RATE_LIMIT_PER_MINUTE: '10000' });
});
afterAll(() => server?.stop());
afterEach(() => server.clock.reset());

let ipCounter = 0;
function freshIp(): string {
  ipCounter += 1;
  return `198.18.${Math.floor(ipCounter / 250) % 250}.${(ipCounter % 250) + 1}`;
}

function login(email: string, password: string, ip: string) {
  return trpc(server.url, 'mutation', 'auth.login', { email, password }, undefined, {
    'x-forwarded-for': ip,
  });
}

async function fail(email: string, times: number, ip: string): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < times; i += 1) statuses.push((await login(email, 'not the password', ip)).status);
  return statuses;
}

/** Failures from as many IPs as it takes, each up to its own limit: the address's whole budget. */
async function failFromEverywhere(email: string): Promise<void> {
  for (let done = 0; done < LOGIN_FAILURES_PER_ACCOUNT; done += LOGIN_FAILURES_PER_CLIENT) {
    expect(await fail(email, LOGIN_FAILURES_PER_CLIENT, freshIp())).toEqual(
      Array<number>(LOGIN_FAILURES_PER_CLIENT).fill(401),
    );
  }
}

const allRefused = (times: number) => Array<number>(times).fill(401);

/** Windows are whole spans of the server's clock: a test starts at the beginning of one. */
function startOfNextWindow(): Date {
  return new Date(Math.ceil(Date.now() / LOGIN_LOCKOUT_WINDOW_MS) * LOGIN_LOCKOUT_WINDOW_MS + 1_000);
}

describe('failed sign-ins of one address', () => {
  it('from one IP: that IP is refused after its limit, even with the right password; the owner elsewhere is not', async () => {
    server.clock.set(startOfNextWindow());
    const email = uniqueEmail('target');
    await registerUser(server.url, email);
    const attacker = freshIp();
    expect(await fail(email, LOGIN_FAILURES_PER_CLIENT, attacker)).toEqual(
      allRefused(LOGIN_FAILURES_PER_CLIENT),
    );
    const locked = await login(email, PASSWORD, attacker);
    expect(locked.status).toBe(429);
    expect(locked.error).toMatchObject({ data: { code: 'TOO_MANY_REQUESTS' } });
    expect(locked.error?.message).toMatch(/Too many failed sign-ins for this address: try again in 15 min/);
    // The wait is in the body too, for clients that don't see the header (the SDK's errors).
    expect((locked.error?.data as { retryAfterSeconds?: number }).retryAfterSeconds).toBe(
      LOGIN_LOCKOUT_WINDOW_MS / 1000 - 1,
    );
    const rest = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': attacker },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    expect(rest.status).toBe(429);
    // The window started 1 s before the test's clock: the rest of it.
    expect(rest.headers.get('retry-after')).toBe(String(LOGIN_LOCKOUT_WINDOW_MS / 1000 - 1));

    // One IP can't lock the owner out: from their own IP they sign in.
    expect((await login(email, PASSWORD, freshIp())).status).toBe(200);
  });

  it('from all IPs together: the address is refused everywhere after its limit, and no other address', async () => {
    server.clock.set(startOfNextWindow());
    const email = uniqueEmail('botnet-target');
    await registerUser(server.url, email);
    await failFromEverywhere(email);
    expect((await login(email, PASSWORD, freshIp())).status).toBe(429);
    const other = uniqueEmail('bystander');
    await registerUser(server.url, other);
    expect((await login(other, PASSWORD, freshIp())).status).toBe(200);
  });

  it('answers an address without an account the same way (a refusal reveals nothing)', async () => {
    server.clock.set(startOfNextWindow());
    const nobody = uniqueEmail('nobody');
    expect(await fail(nobody, LOGIN_FAILURES_PER_CLIENT + 1, freshIp())).toEqual([
      ...allRefused(LOGIN_FAILURES_PER_CLIENT),
      429,
    ]);
  });

  it('counts failures only: a sign-in forgets the ones before it', async () => {
    server.clock.set(startOfNextWindow());
    const email = uniqueEmail('typo');
    await registerUser(server.url, email);
    const ip = freshIp();
    await fail(email, LOGIN_FAILURES_PER_CLIENT - 1, ip);
    expect((await login(email, PASSWORD, ip)).status).toBe(200);
    expect(await fail(email, LOGIN_FAILURES_PER_CLIENT, ip)).toEqual(allRefused(LOGIN_FAILURES_PER_CLIENT));
    expect((await login(email, PASSWORD, ip)).status).toBe(429);
  });

  it('lets the address in again in the next window', async () => {
    server.clock.set(startOfNextWindow());
    const email = uniqueEmail('patient');
    await registerUser(server.url, email);
    await failFromEverywhere(email);
    expect((await login(email, PASSWORD, freshIp())).status).toBe(429);
    server.clock.advance(LOGIN_LOCKOUT_WINDOW_MS);
    expect((await login(email, PASSWORD, freshIp())).status).toBe(200);
  });

  it('is lifted by a password reset: the mailbox owner gets in at once with the new password', async () => {
    server.clock.set(startOfNextWindow());
    const email = uniqueEmail('locked-out');
    await registerUser(server.url, email);
    await failFromEverywhere(email);
    expect((await login(email, PASSWORD, freshIp())).status).toBe(429);

    await request(server.url, 'POST', '/api/v1/auth/password-reset/request', { body: { email } });
    await server.services.passwordReset.settled();
    const token = tokenOf(await linkFor(server, email, 'password_reset'));
    const newPassword = 'a fresh passphrase after the lockout';
    const confirmed = await request(server.url, 'POST', '/api/v1/auth/password-reset/confirm', {
      body: { token, password: newPassword },
    });
    expect(confirmed.status).toBe(200);
    expect((await login(email, newPassword, freshIp())).status).toBe(200);
  });

  it('lets at most the limits through when the guesses arrive all at once', async () => {
    server.clock.set(startOfNextWindow());
    const email = uniqueEmail('burst');
    await registerUser(server.url, email);
    const oneIp = freshIp();
    const fromOneIp = await Promise.all(
      Array.from({ length: 3 * LOGIN_FAILURES_PER_CLIENT }, () => login(email, 'a wrong guess', oneIp)),
    );
    const statuses = fromOneIp.map((result) => result.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(LOGIN_FAILURES_PER_CLIENT);
    expect(statuses.filter((status) => status === 429)).toHaveLength(2 * LOGIN_FAILURES_PER_CLIENT);

    // The rest of the address's budget, from twice as many IPs as it takes, at once.
    const ips = Array.from({ length: (2 * LOGIN_FAILURES_PER_ACCOUNT) / LOGIN_FAILURES_PER_CLIENT }, freshIp);
    const fromMany = await Promise.all(
      ips.flatMap((ip) =>
        Array.from({ length: LOGIN_FAILURES_PER_CLIENT }, () => login(email, 'a wrong guess', ip)),
      ),
    );
    const admitted = fromMany.filter((result) => result.status === 401).length;
    expect(admitted).toBe(LOGIN_FAILURES_PER_ACCOUNT - LOGIN_FAILURES_PER_CLIENT);
  });
});
