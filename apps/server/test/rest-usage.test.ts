import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { restOperations } from '../src/routes/rest-api';
import { request, trpc, uniqueEmail, type HttpResult } from './support/http';
import { grantOperator } from './support/operators';
import { startTestServer, type TestServer } from './support/test-server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());
beforeEach(() => server.testDb.reset());

const PASSWORD = 'correct horse battery';

function expectDocumented<T>(operationId: string, result: HttpResult<T>): T {
  const operation = restOperations.find((candidate) => candidate.operationId === operationId);
  if (!operation) throw new Error(`no operation ${operationId}`);
  expect(result.status, JSON.stringify(result.body)).toBe(operation.successStatus);
  operation.response.schema.parse(result.body);
  return result.body;
}

// Response bodies are checked against the strict response schemas, so tests read them loosely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function api<T = any>(method: string, path: string, token?: string, body?: unknown) {
  return request<T>(server.url, method, `/api/v1${path}`, { token, body });
}

async function signUp(email = uniqueEmail('rest')) {
  return expectDocumented(
    'register',
    await api('POST', '/auth/register', undefined, { email, password: PASSWORD }),
  );
}

/** API keys are created by operators over tRPC (no REST route for them). */
async function serviceKey(adminToken: string, scopes: string[]): Promise<string> {
  const created = await trpc(
    server.url,
    'mutation',
    'apiKeys.create',
    { name: 'agent backend', scopes },
    adminToken,
  );
  if (!created.data) throw new Error(JSON.stringify(created.error));
  return created.data.key;
}

describe('auth over REST', () => {
  it('registers (201), logs in, reads /me, rotates the refresh token and logs out', async () => {
    const email = uniqueEmail('auth');
    const registered = await signUp(email);
    expect(registered.user.email).toBe(email);

    const duplicate = await api('POST', '/auth/register', undefined, { email, password: PASSWORD });
    expect(duplicate.status).toBe(409);

    const wrong = await api('POST', '/auth/login', undefined, { email, password: 'not the password' });
    expect(wrong.status).toBe(401);
    const login = expectDocumented(
      'login',
      await api('POST', '/auth/login', undefined, { email, password: PASSWORD }),
    );

    const me = expectDocumented('me', await api('GET', '/auth/me', login.accessToken));
    expect(me).toMatchObject({ id: registered.user.id, email, platformRole: null });

    const refreshed = expectDocumented(
      'refresh',
      await api('POST', '/auth/refresh', undefined, { refreshToken: login.refreshToken }),
    );
    expect(refreshed.refreshToken).not.toBe(login.refreshToken);
    // A used refresh token is refused once its successor was used (rotation; before that, within
    // 30 s, it is a retry whose answer was lost: accounts.test.ts).
    const next = expectDocumented(
      'refresh',
      await api('POST', '/auth/refresh', undefined, { refreshToken: refreshed.refreshToken }),
    );
    expect(next.refreshToken).not.toBe(refreshed.refreshToken);
    expect((await api('POST', '/auth/refresh', undefined, { refreshToken: login.refreshToken })).status).toBe(
      401,
    );
    // That reuse ended the whole login chain, the newest token too.
    expect((await api('POST', '/auth/refresh', undefined, { refreshToken: next.refreshToken })).status).toBe(
      401,
    );

    const again = expectDocumented(
      'login',
      await api('POST', '/auth/login', undefined, { email, password: PASSWORD }),
    );
    expectDocumented(
      'logout',
      await api('POST', '/auth/logout', undefined, { refreshToken: again.refreshToken }),
    );
    expect((await api('POST', '/auth/refresh', undefined, { refreshToken: again.refreshToken })).status).toBe(
      401,
    );
    expect((await api('GET', '/auth/me')).status).toBe(401);
  });
});

describe('usage authorize/release over REST', () => {
  it('authorizes the 10 FREE runs, replays idempotently, answers the 11th with the 402 body; a user can’t release', async () => {
    const { accessToken, user } = await signUp();
    for (let i = 1; i <= 10; i += 1) {
      const run = expectDocumented(
        'authorizeRun',
        await api('POST', '/usage/authorize', accessToken, { runId: `run-${i}` }),
      );
      expect(run).toMatchObject({ runId: `run-${i}`, isReplay: false, used: i, remaining: 10 - i });
    }
    const replay = expectDocumented(
      'authorizeRun',
      await api('POST', '/usage/authorize', accessToken, { runId: 'run-3' }),
    );
    expect(replay).toMatchObject({ isReplay: true, used: 10 });

    const denied = await api('POST', '/usage/authorize', accessToken, { runId: 'run-11', userId: user.id });
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
        // The runs are used up: packs would let them through again.
        packs: [
          { id: 'PACK_100', name: '100 runs', units: 100, priceCents: 1000, currency: 'usd' },
          { id: 'PACK_1000', name: '1,000 runs', units: 1000, priceCents: 8000, currency: 'usd' },
        ],
        buyRunsUrl: 'http://app.tollgate.test/settings/subscription?buy=1',
      },
    });
    const paymentRequired = restOperations.find((operation) => operation.operationId === 'authorizeRun');
    expect(paymentRequired?.errors).toContain(402);

    // Releasing gives units back: a service's act, never an end user's.
    const released = await api('POST', '/usage/release', accessToken, { runId: 'run-10' });
    expect(released.status).toBe(403);
    expect((await api('POST', '/usage/authorize', accessToken, { runId: 'run-12' })).status).toBe(402);
    // The user may mark their own reserved run started (once).
    const started = expectDocumented(
      'markRunStarted',
      await api('POST', '/usage/start', accessToken, { runId: 'run-10' }),
    );
    expect(started).toMatchObject({ runId: 'run-10', state: 'started', isReplay: false });
    expect((await api('POST', '/usage/start', accessToken, { runId: 'run-10' })).status).toBe(409);
  });

  it('lets a user act only for themself', async () => {
    const alice = await signUp();
    const bob = await signUp();
    const forged = await api('POST', '/usage/authorize', alice.accessToken, {
      runId: 'r-1',
      userId: bob.user.id,
    });
    expect(forged.status).toBe(403);
    const peek = await api('GET', `/billing/subscription?userId=${bob.user.id}`, alice.accessToken);
    expect(peek.status).toBe(403);
  });

  it('serves services holding an API key: userId required, scopes enforced, bad keys 401', async () => {
    const { user } = await signUp();
    const admin = await signUp();
    await grantOperator(server, admin.user.id);
    const runsKey = await serviceKey(admin.accessToken, ['runs:authorize', 'runs:release']);

    const run = expectDocumented(
      'authorizeRun',
      await api('POST', '/usage/authorize', runsKey, { userId: user.id, runId: 'svc-1' }),
    );
    expect(run.used).toBe(1);
    const noUser = await api('POST', '/usage/authorize', runsKey, { runId: 'svc-2' });
    expect(noUser.status).toBe(400);
    expect(noUser.body.error.message).toBe('userId is required with a service API key');
    const nulUser = await api('POST', '/usage/authorize', runsKey, { userId: 'a\u0000b', runId: 'svc-3' });
    expect(nulUser.status).toBe(400);
    // The key's scope is decided before its input: without subscriptions:read, 403 whatever the userId.
    expect((await api('GET', '/billing/subscription?userId=a%00b', runsKey)).status).toBe(403);
    const released = expectDocumented(
      'releaseRun',
      await api('POST', '/usage/release', runsKey, { userId: user.id, runId: 'svc-1' }),
    );
    expect(released).toEqual({ runId: 'svc-1', released: true, isReplay: false });
    const twice = await api('POST', '/usage/release', runsKey, { userId: user.id, runId: 'svc-1' });
    expect(twice.body).toEqual({ runId: 'svc-1', released: true, isReplay: true });
    expect(
      (await api('POST', '/usage/release', runsKey, { userId: user.id, runId: 'never-seen' })).status,
    ).toBe(404);

    // This key lacks subscriptions:read.
    expect((await api('GET', `/billing/subscription?userId=${user.id}`, runsKey)).status).toBe(403);
    const readKey = await serviceKey(admin.accessToken, ['subscriptions:read']);
    const overview = expectDocumented(
      'getSubscription',
      await api('GET', `/billing/subscription?userId=${user.id}`, readKey),
    );
    expect(overview.usage).toMatchObject({ used: 0, limit: 10 });
    expect((await api('GET', '/billing/subscription?userId=a%00b', readKey)).status).toBe(400);

    const forged = await api('POST', '/usage/authorize', `${runsKey.slice(0, -4)}AAAA`, {
      userId: user.id,
      runId: 'x',
    });
    expect(forged.status).toBe(401);
    // A service key is not a user: user-only routes refuse it.
    expect((await api('GET', '/sessions', runsKey)).status).toBe(401);
  });
});

describe('estimates, settle and the balance over REST', () => {
  it('reserves an estimate, settles the actual cost with a runs:settle key, and reads the balance', async () => {
    const { accessToken, user } = await signUp();
    const admin = await signUp();
    await grantOperator(server, admin.user.id);
    const key = await serviceKey(admin.accessToken, ['runs:authorize', 'runs:settle']);

    const run = expectDocumented(
      'authorizeRun',
      await api('POST', '/usage/authorize', key, { userId: user.id, runId: 'est-1', estimate: 5 }),
    );
    expect(run).toMatchObject({ reserved: 5, used: 5, remaining: 5, credits: 0 });
    expect(
      (await api('POST', '/usage/settle', key, { userId: user.id, runId: 'est-1', actual: 3 })).status,
    ).toBe(409);
    expectDocumented(
      'markRunStarted',
      await api('POST', '/usage/start', key, { userId: user.id, runId: 'est-1' }),
    );
    const settled = expectDocumented(
      'settleRun',
      await api('POST', '/usage/settle', key, { userId: user.id, runId: 'est-1', actual: 3 }),
    );
    expect(settled).toMatchObject({ estimate: 5, actual: 3, charged: 3, isReplay: false });

    const balance = expectDocumented('getBalance', await api('GET', '/usage/balance', accessToken));
    expect(balance).toMatchObject({
      unit: { singular: 'run', plural: 'runs' },
      allowance: { plan: 'FREE', used: 3, limit: 10, remaining: 7 },
      grants: [],
      creditsRemaining: 0,
      totalRemaining: 7,
    });
    // The balance is the signed-in account's: a service key is not a user.
    expect((await api('GET', '/usage/balance', key)).status).toBe(401);
    expect((await api('GET', '/usage/balance')).status).toBe(401);
    // An estimate outside 1..100000 is refused before anything is reserved.
    for (const estimate of [0, 100_001, 2.5]) {
      const refused = await api('POST', '/usage/authorize', key, {
        userId: user.id,
        runId: 'est-2',
        estimate,
      });
      expect(refused.status, String(estimate)).toBe(400);
      expect(refused.body.error.fieldErrors).toHaveProperty('estimate');
    }
  });
});

describe('bad input', () => {
  it('answers 400 with the messages per field', async () => {
    const { accessToken } = await signUp();
    const badRun = await api('POST', '/usage/authorize', accessToken, { runId: 'has spaces' });
    expect(badRun.status).toBe(400);
    expect(badRun.body.error).toEqual({
      code: 'BAD_REQUEST',
      message: 'Invalid input: runId: runId may contain letters, digits and . _ : - only',
      fieldErrors: { runId: ['runId may contain letters, digits and . _ : - only'] },
    });

    const badAccount = await api('POST', '/auth/register', undefined, { email: 'nope', password: 'short' });
    expect(badAccount.status).toBe(400);
    expect(badAccount.body.error.fieldErrors).toEqual({
      email: ['must be an email address'],
      password: ['must be at least 8 characters'],
    });

    const badSession = await api('GET', '/sessions/not-a-uuid', accessToken);
    expect(badSession.status).toBe(400);
    expect(badSession.body.error.fieldErrors).toEqual({ id: ['must be a UUID'] });

    const session = expectDocumented(
      'createSession',
      await api('POST', '/sessions', accessToken, { title: 'Work' }),
    );
    const emptyMessage = await api('POST', `/sessions/${session.id}/runs`, accessToken, {
      runId: 'r-1',
      message: '  ',
    });
    expect(emptyMessage.status).toBe(400);
    expect(Object.keys(emptyMessage.body.error.fieldErrors)).toEqual(['message']);

    // PostgreSQL text can't hold NUL: refused up front instead of failing in the database.
    const nul = await api('POST', `/sessions/${session.id}/runs`, accessToken, {
      runId: 'r-2',
      message: 'a\u0000b',
    });
    expect(nul.status).toBe(400);
    expect(nul.body.error.fieldErrors).toEqual({ message: ['must not contain NUL characters'] });
  });
});
