import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trpc, uniqueEmail } from './support/http';
import { startTestServer, type TestServer } from './support/test-server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ AUTH_RATE_LIMIT_PER_MINUTE: '5' });
});
afterAll(() => server?.stop());

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

describe('auth rate limit', () => {
  it('limits login attempts per client IP (as forwarded by the trusted proxy)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i += 1) statuses.push((await login('203.0.113.7')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    // Another client is not affected.
    expect((await login('198.51.100.9')).status).toBe(401);
  });

  it('allows attempts again in the next window', async () => {
    for (let i = 0; i < 6; i += 1) await login('203.0.113.8');
    expect((await login('203.0.113.8')).status).toBe(429);
    server.clock.advance(61_000);
    try {
      expect((await login('203.0.113.8')).status).toBe(401);
    } finally {
      server.clock.reset();
    }
  });
});
