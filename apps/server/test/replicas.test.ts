import { silentLogger } from '@tollgate/api';
import { createDb, queryRows, type DbHandle } from '@tollgate/db';
import { createScratchDatabase, testPostgresServerUrl, type ScratchDatabase } from '@tollgate/db/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseEnv } from '../src/env';
import { startServer, type RunningServer } from '../src/server';
import { registerUser, request, trpc, uniqueEmail } from './support/http';
import { grantOperator } from './support/operators';
import { TEST_JWT_SECRET } from './support/test-server';

// Two Tollgate servers on one PostgreSQL database, as replicas behind nginx: the auth rate limit is one
// budget, the periodic passes run in one of them at a time, and runs stay exact whichever replica
// answers. PostgreSQL only (PGlite is one process by construction).

const serverUrl = testPostgresServerUrl();
const RATE_LIMIT = 5;
const LEADERSHIP_CHECK_MS = 200;

let scratch: ScratchDatabase;
const handles: DbHandle[] = [];
let a: RunningServer;
let b: RunningServer;
const closed = new Set<RunningServer>();
/** Both replicas' clock: a fixed time while a test needs one. */
let fixedNow: Date | null = null;

async function startReplica(): Promise<RunningServer> {
  const db = await createDb({ databaseUrl: scratch.url, poolSize: 5 });
  handles.push(db);
  return startServer(
    parseEnv({
      PORT: '0',
      HOST: '127.0.0.1',
      JWT_SECRET: TEST_JWT_SECRET,
      APP_URL: 'http://app.tollgate.test',
      LOG_REQUESTS: 'false',
      AUTH_RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT),
      // The sweeper ticks every second (a quarter of this, at least 1 s); so does the notification clock.
      RUN_START_TIMEOUT_SECONDS: '4',
      NOTIFICATION_CLOCK_INTERVAL_SECONDS: '1',
      METER_REPORT_INTERVAL_SECONDS: '0',
    }),
    {
      db,
      logger: silentLogger,
      billing: null,
      now: () => fixedNow ?? new Date(),
      leadershipCheckMs: LEADERSHIP_CHECK_MS,
    },
  );
}

async function close(server: RunningServer) {
  if (closed.has(server)) return;
  closed.add(server);
  await server.close();
}

describe.skipIf(!serverUrl)('two replicas on one PostgreSQL database', () => {
  beforeAll(async () => {
    scratch = await createScratchDatabase(serverUrl ?? '');
    a = await startReplica();
    b = await startReplica();
  });
  afterAll(async () => {
    await Promise.all([a, b].filter(Boolean).map(close));
    await Promise.all(handles.map((handle) => handle.close()));
    await scratch?.drop();
  });

  it('shares the auth rate limit: attempts split across both hit 429 right after the maximum', async () => {
    // The start of a window, so the attempts below fall in one.
    fixedNow = new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 1_000);
    try {
      const login = (server: RunningServer, ip: string) =>
        trpc(
          server.url,
          'mutation',
          'auth.login',
          { email: uniqueEmail(), password: 'wrong password' },
          undefined,
          { 'x-forwarded-for': ip },
        );
      const statuses: number[] = [];
      for (let i = 0; i < RATE_LIMIT + 3; i += 1) {
        statuses.push((await login(i % 2 === 0 ? a : b, '203.0.113.21')).status);
      }
      expect(statuses).toEqual([...Array<number>(RATE_LIMIT).fill(401), 429, 429, 429]);
      // Another client has its own budget, on either replica.
      expect((await login(b, '198.51.100.21')).status).toBe(401);
      // The next window starts afresh on both.
      fixedNow = new Date(fixedNow.getTime() + 60_000);
      expect((await login(b, '203.0.113.21')).status).toBe(401);
      expect((await login(a, '203.0.113.21')).status).toBe(401);
      // The route's limit per IP: one counter per window (the addresses' own failed sign-in counts,
      // login-address:…, live in the same table).
      const [row] = await queryRows<{ count: number }>(
        a.db.db,
        sql`select count(*)::int as count from auth_rate_limits
            where key like ${'%login:203.0.113.21@%'}`,
      );
      expect(row?.count).toBe(2);
    } finally {
      fixedNow = null;
    }
  });

  it('keeps a run exact when it is authorized on one replica and started or released on the other', async () => {
    const user = await registerUser(a.url);
    const operator = await registerUser(b.url);
    await grantOperator(a, operator.user.id);
    const created = await trpc<{ key: string }>(
      b.url,
      'mutation',
      'apiKeys.create',
      { name: 'replicas', scopes: ['runs:authorize', 'runs:release'] },
      operator.accessToken,
    );
    const key = created.data?.key ?? '';
    expect(key).not.toBe('');
    const api = (server: RunningServer, path: string, body: Record<string, unknown>) =>
      request<Record<string, unknown>>(server.url, 'POST', `/api/v1${path}`, {
        token: key,
        body: { userId: user.user.id, ...body },
      });

    for (let i = 0; i < 6; i += 1)
      expect((await api(a, '/usage/authorize', { runId: `r-${i}` })).status).toBe(200);
    for (let i = 0; i < 3; i += 1)
      expect((await api(b, '/usage/start', { runId: `r-${i}` })).status).toBe(200);
    for (let i = 3; i < 6; i += 1) {
      const released = await api(b, '/usage/release', { runId: `r-${i}` });
      expect(released.body).toEqual({ runId: `r-${i}`, released: true, isReplay: false });
    }
    // The other replica knows: a replay there, and a released run doesn't start.
    expect((await api(a, '/usage/release', { runId: 'r-3' })).body).toMatchObject({ isReplay: true });
    expect((await api(a, '/usage/start', { runId: 'r-4' })).status).toBe(409);

    // FREE allows 10 runs: 3 are used, so of 12 new ones sent to both at once, exactly 7 pass.
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => api(i % 2 ? a : b, '/usage/authorize', { runId: `n-${i}` })),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(7);
    expect(statuses.filter((status) => status === 402)).toHaveLength(5);
    for (const server of [a, b]) {
      const balance = await request<{ allowance: { used: number; remaining: number } }>(
        server.url,
        'GET',
        '/api/v1/usage/balance',
        { token: user.accessToken },
      );
      expect(balance.body.allowance).toMatchObject({ used: 10, remaining: 0 });
    }
  });

  it('runs each periodic pass in one replica per interval, and hands over when it stops', async () => {
    const leaders = [a, b].filter((server) => server.leadership.isLeader());
    expect(leaders).toHaveLength(1);
    const [leader] = leaders;
    if (!leader) throw new Error('no leader');
    const follower = leader === a ? b : a;
    const counters = (server: RunningServer) => ({
      sweeps: vi.spyOn(server.services.usage, 'sweepUnstarted'),
      clock: vi.spyOn(server.services.billingReminders, 'runOnce'),
    });
    const led = counters(leader);
    const followed = counters(follower);
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    // One pass a second, in the leader only (both would make about twice as many).
    expect(led.sweeps.mock.calls.length).toBeGreaterThanOrEqual(2);
    expect(led.sweeps.mock.calls.length).toBeLessThanOrEqual(4);
    expect(led.clock.mock.calls.length).toBeGreaterThanOrEqual(2);
    expect(led.clock.mock.calls.length).toBeLessThanOrEqual(4);
    expect(followed.sweeps).not.toHaveBeenCalled();
    expect(followed.clock).not.toHaveBeenCalled();

    // The leader stops (a deploy, a crash): its lock goes, and the other replica takes over.
    await close(leader);
    const stoppedAt = led.sweeps.mock.calls.length;
    await vi.waitFor(() => expect(follower.leadership.isLeader()).toBe(true), { timeout: 2_000 });
    await vi.waitFor(() => expect(followed.sweeps.mock.calls.length).toBeGreaterThanOrEqual(2), {
      timeout: 4_000,
    });
    expect(followed.clock.mock.calls.length).toBeGreaterThanOrEqual(1);
    expect(led.sweeps.mock.calls.length).toBe(stoppedAt);
  });
});
