import { countChargedRuns, getUsage, personalAccountId, updateSubscription } from '@tollgate/db';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registerUser, request, trpc } from './support/http';
import { startTestServer, type TestServer } from './support/test-server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());
beforeEach(() => server.testDb.reset());

const DAY = 86_400_000;

async function createSession(token: string): Promise<string> {
  const created = await request<{ id: string }>(server.url, 'POST', '/api/v1/sessions', {
    token,
    body: { title: 'Work' },
  });
  expect(created.status).toBe(201);
  return created.body.id;
}

describe('metered agent runs', () => {
  it('allows the 10 FREE runs, answers the 11th with the documented 402 body, and keeps free routes open', async () => {
    const { accessToken } = await registerUser(server.url);
    const sessionId = await createSession(accessToken);

    for (let i = 1; i <= 10; i += 1) {
      const run = await request<{ usage: { used: number; remaining: number } }>(
        server.url,
        'POST',
        `/api/v1/sessions/${sessionId}/runs`,
        { token: accessToken, body: { runId: `run-${i}`, message: `task ${i}` } },
      );
      expect(run.status).toBe(201);
      expect(run.body.usage).toMatchObject({ used: i, remaining: 10 - i });
    }

    const denied = await request(server.url, 'POST', `/api/v1/sessions/${sessionId}/runs`, {
      token: accessToken,
      body: { runId: 'run-11', message: 'one too many' },
    });
    expect(denied.status).toBe(402);
    expect(denied.body).toEqual({
      error: {
        code: 'USAGE_LIMIT_REACHED',
        message: expect.stringContaining('10'),
        plan: 'FREE',
        status: 'active',
        used: 10,
        limit: 10,
        resetsAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        upgradeUrl: 'http://app.tollgate.test/settings/subscription?upgrade=1',
        // Out of runs: buying a pack is an answer too, next to upgrading.
        packs: [
          { id: 'PACK_100', name: '100 runs', units: 100, priceCents: 1000, currency: 'usd' },
          { id: 'PACK_1000', name: '1,000 runs', units: 1000, priceCents: 8000, currency: 'usd' },
        ],
        buyRunsUrl: 'http://app.tollgate.test/settings/subscription?buy=1',
      },
    });

    // The same denial through tRPC carries the body in error.data.paymentRequired.
    const viaTrpc = await trpc(
      server.url,
      'mutation',
      'sessions.run',
      { id: sessionId, runId: 'run-12', message: 'x' },
      accessToken,
    );
    expect(viaTrpc.status).toBe(402);
    expect(viaTrpc.error?.data.paymentRequired).toMatchObject({
      code: 'USAGE_LIMIT_REACHED',
      used: 10,
      limit: 10,
    });

    // Listing, viewing and reading billing are never blocked by quota.
    expect((await request(server.url, 'GET', '/api/v1/sessions', { token: accessToken })).status).toBe(200);
    const session = await request<{ runs: unknown[] }>(server.url, 'GET', `/api/v1/sessions/${sessionId}`, {
      token: accessToken,
    });
    expect(session.status).toBe(200);
    expect(session.body.runs).toHaveLength(10);
    const subscription = await trpc(server.url, 'query', 'billing.subscription', undefined, accessToken);
    expect(subscription.data.usage).toMatchObject({ used: 10, limit: 10, remaining: 0 });
  });

  it('charges a retried run id once and answers it with the first authorization', async () => {
    const { accessToken, user } = await registerUser(server.url);
    const sessionId = await createSession(accessToken);
    const body = { runId: 'retried-run', message: 'hello' };
    const first = await request(server.url, 'POST', `/api/v1/sessions/${sessionId}/runs`, {
      token: accessToken,
      body,
    });
    const second = await request(server.url, 'POST', `/api/v1/sessions/${sessionId}/runs`, {
      token: accessToken,
      body,
    });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toMatchObject({ usage: { isReplay: true, used: 1 } });
    // The books, not only the answer: one unit counted, one run charged.
    const overview = await trpc(server.url, 'query', 'billing.subscription', undefined, accessToken);
    const periodStart = new Date(overview.data.usage.periodStart);
    expect(await getUsage(server.testDb.db, personalAccountId(user.id), periodStart)).toBe(1);
    expect(await countChargedRuns(server.testDb.db, personalAccountId(user.id), periodStart)).toBe(1);
  });

  it('does not charge for a session that does not exist', async () => {
    const { accessToken, user } = await registerUser(server.url);
    const missing = await request(server.url, 'POST', `/api/v1/sessions/${crypto.randomUUID()}/runs`, {
      token: accessToken,
      body: { runId: 'r1', message: 'x' },
    });
    expect(missing.status).toBe(404);
    const overview = await trpc(server.url, 'query', 'billing.subscription', undefined, accessToken);
    expect(overview.data.usage.used).toBe(0);
    expect(
      await getUsage(server.testDb.db, personalAccountId(user.id), new Date(overview.data.usage.periodStart)),
    ).toBe(0);
  });

  it('200 concurrent authorizations against a limit of 100 admit exactly 100; replaying them changes nothing', async () => {
    const { accessToken, user } = await registerUser(server.url);
    const periodStart = new Date(Date.now() - DAY);
    await updateSubscription(server.testDb.db, personalAccountId(user.id), {
      plan: 'BASIC',
      status: 'active',
      currentPeriodStart: periodStart,
      currentPeriodEnd: new Date(periodStart.getTime() + 30 * DAY),
    });
    const runIds = Array.from({ length: 200 }, (_, i) => `concurrent-${i}`);
    const authorizeAll = () =>
      Promise.all(
        runIds.map((runId) => trpc(server.url, 'mutation', 'usage.authorize', { runId }, accessToken)),
      );

    const results = await authorizeAll();
    const allowed = results.filter((r) => r.status === 200);
    const denied = results.filter((r) => r.status === 402);
    expect(allowed).toHaveLength(100);
    expect(denied).toHaveLength(100);
    expect(denied.every((r) => r.error?.data.paymentRequired?.code === 'USAGE_LIMIT_REACHED')).toBe(true);
    expect(await getUsage(server.testDb.db, personalAccountId(user.id), periodStart)).toBe(100);
    expect(await countChargedRuns(server.testDb.db, personalAccountId(user.id), periodStart)).toBe(100);

    const replayed = await authorizeAll();
    expect(replayed.filter((r) => r.status === 200)).toHaveLength(100);
    expect(replayed.filter((r) => r.status === 200).every((r) => r.data.isReplay === true)).toBe(true);
    expect(await getUsage(server.testDb.db, personalAccountId(user.id), periodStart)).toBe(100);
    expect(await countChargedRuns(server.testDb.db, personalAccountId(user.id), periodStart)).toBe(100);
  });

  it('a run a user reserved and never started is given back by the sweeper after RUN_START_TIMEOUT, never by the user', async () => {
    const alice = await registerUser(server.url);
    await trpc(server.url, 'mutation', 'usage.authorize', { runId: 'a-1' }, alice.accessToken);
    await trpc(server.url, 'mutation', 'usage.authorize', { runId: 'a-2' }, alice.accessToken);
    const started = await trpc(server.url, 'mutation', 'usage.start', { runId: 'a-2' }, alice.accessToken);
    expect(started.data).toMatchObject({ runId: 'a-2', state: 'started' });

    const released = await trpc(server.url, 'mutation', 'usage.release', { runId: 'a-1' }, alice.accessToken);
    expect(released.status).toBe(403);
    server.clock.advance(301_000);
    try {
      // At most the one: the server's own sweeper may have released it meanwhile (usage below says so).
      expect(await server.services.usage.sweepUnstarted()).toBeLessThanOrEqual(1);
      const overview = await trpc(server.url, 'query', 'billing.subscription', undefined, alice.accessToken);
      expect(overview.data.usage.used).toBe(1);
      // A released run id can't be reserved or started again.
      const reuse = await trpc(
        server.url,
        'mutation',
        'usage.authorize',
        { runId: 'a-1' },
        alice.accessToken,
      );
      expect([reuse.status, reuse.error?.data.appCode]).toEqual([409, 'RUN_RELEASED']);
    } finally {
      server.clock.reset();
    }
  });

  it('rejects malformed run input with 400 and field messages', async () => {
    const { accessToken } = await registerUser(server.url);
    const bad = await trpc(server.url, 'mutation', 'usage.authorize', { runId: 'has spaces!' }, accessToken);
    expect(bad.status).toBe(400);
    expect(bad.error?.data.fieldErrors?.runId?.[0]).toMatch(/letters, digits/);
    const sessionId = await createSession(accessToken);
    const noMessage = await request<{ error: { fieldErrors: Record<string, string[]> } }>(
      server.url,
      'POST',
      `/api/v1/sessions/${sessionId}/runs`,
      { token: accessToken, body: { runId: 'ok-1' } },
    );
    expect(noMessage.status).toBe(400);
    expect(noMessage.body.error.fieldErrors.message).toBeDefined();
    // PostgreSQL text can't hold NUL: refused as bad input on every transport, never a 500.
    const nul = await trpc(
      server.url,
      'mutation',
      'sessions.run',
      { id: sessionId, runId: 'ok-2', message: 'a\u0000b' },
      accessToken,
    );
    expect(nul.status).toBe(400);
    expect(nul.error?.data.fieldErrors?.message).toEqual(['must not contain NUL characters']);
    const brokenJson = await request(server.url, 'POST', '/api/v1/sessions', {
      token: accessToken,
      body: '{"title":',
    });
    expect(brokenJson.status).toBe(400);
  });
});
