import { queryRows } from '@tollgate/db';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { trpc, uniqueEmail } from './support/http';
import { startTestServer, type TestServer } from './support/test-server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ AUTH_RATE_LIMIT_PER_MINUTE: '5' });
});
afterAll(() => server?.stop());
afterEach(() => server.clock.reset());

const login = (ip: string) =>
  trpc(
    server.url,
    'mutation',
    'auth.login',
    { email: uniqueEmail(), password: 'wrong password' },
    undefined,
    {
      'x-forwarded-for': ip,
    },
  );

/** Windows are whole minutes of the server's clock: start a test at the beginning of one. */
function startOfNextWindow(): Date {
  return new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 1_000);
}

describe('auth rate limit', () => {
  it('limits login attempts per client IP (as forwarded by the trusted proxy)', async () => {
    server.clock.set(startOfNextWindow());
    const statuses: number[] = [];
    for (let i = 0; i < 7; i += 1) statuses.push((await login('203.0.113.7')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    // Another client is not affected.
    expect((await login('198.51.100.9')).status).toBe(401);
  });

  it('counts an IPv6 client by its /64: new addresses of one network get no fresh budget', async () => {
    server.clock.set(startOfNextWindow());
    const statuses: number[] = [];
    for (let i = 1; i <= 7; i += 1) statuses.push((await login(`2001:db8:7:7::${i.toString(16)}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    // The next /64 is another client.
    expect((await login('2001:db8:7:8::1')).status).toBe(401);
  });

  it('answers 429 with the message it always had', async () => {
    server.clock.set(startOfNextWindow());
    for (let i = 0; i < 5; i += 1) await login('203.0.113.9');
    const refused = await login('203.0.113.9');
    expect(refused.status).toBe(429);
    expect(refused.error).toMatchObject({
      message: 'Too many attempts: wait a minute and try again',
      data: { code: 'TOO_MANY_REQUESTS' },
    });
  });

  it('allows attempts again in the next window', async () => {
    server.clock.set(startOfNextWindow());
    for (let i = 0; i < 6; i += 1) await login('203.0.113.8');
    expect((await login('203.0.113.8')).status).toBe(429);
    server.clock.advance(61_000);
    expect((await login('203.0.113.8')).status).toBe(401);
  });

  it('counts in memory on PGlite (one process) and in a shared table on PostgreSQL', async () => {
    const [row] = await queryRows<{ table: string | null }>(
      server.testDb.db,
      sql`select to_regclass('auth_rate_limits')::text as table`,
    );
    expect(row?.table ?? null).toBe(server.testDb.driver === 'postgres' ? 'auth_rate_limits' : null);
  });
});
