import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  PaymentRequiredError,
  TollgateError,
  UnauthorizedError,
  createTollgateClient,
  toTollgateError,
  type TollgateClient,
} from '../src';
import {
  APP_URL,
  newRunId,
  newServiceUserId,
  startTestTollgate,
  type TestTollgate,
} from './support/tollgate-server';

let tollgate: TestTollgate;
let service: TollgateClient;

beforeAll(async () => {
  tollgate = await startTestTollgate();
  const { key } = await tollgate.createApiKey(['runs:authorize', 'runs:release', 'subscriptions:read']);
  service = createTollgateClient({ url: tollgate.url, apiKey: key });
});
afterAll(() => tollgate?.stop());

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('authorizeRun', () => {
  it('consumes runs up to the FREE limit, then throws a typed PaymentRequiredError', async () => {
    const userId = newServiceUserId();
    const authorizations = [];
    for (let run = 1; run <= 10; run += 1) {
      authorizations.push(await service.authorizeRun({ userId, runId: newRunId() }));
    }
    expect(authorizations.map((auth) => auth.used)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const last = authorizations[9];
    expect(last).toMatchObject({ plan: 'FREE', status: 'active', limit: 10, remaining: 0, isReplay: false });
    expect(last?.resetsAt).toBeInstanceOf(Date);

    const denial = await rejectionOf(service.authorizeRun({ userId, runId: newRunId() }));
    expect(denial).toBeInstanceOf(PaymentRequiredError);
    expect(denial).toBeInstanceOf(TollgateError);
    const error = denial as PaymentRequiredError;
    expect(error).toMatchObject({
      code: 'USAGE_LIMIT_REACHED',
      httpStatus: 402,
      plan: 'FREE',
      status: 'active',
      used: 10,
      limit: 10,
      upgradeUrl: `${APP_URL}/settings/subscription?upgrade=1`,
    });
    expect(error.resetsAt).toBeInstanceOf(Date);
    expect(error.resetsAt.getTime()).toBe(last?.resetsAt.getTime());
    expect(error.body.error).toMatchObject({
      code: 'USAGE_LIMIT_REACHED',
      resetsAt: error.resetsAt.toISOString(),
    });
    expect(error.message).toBe(error.body.error.message);
  });

  it('retries a run whose answer was lost after the server processed it, and charges it once', async () => {
    const userId = newServiceUserId();
    const { key } = await tollgate.createApiKey(['runs:authorize']);
    let authorizeRequests = 0;
    const dropFirstAnswer: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!String(input).includes('usage.authorize')) return response;
      authorizeRequests += 1;
      if (authorizeRequests === 1) {
        await response.body?.cancel();
        throw new TypeError('fetch failed: connection reset after the answer (simulated)');
      }
      return response;
    };
    const flaky = createTollgateClient({ url: tollgate.url, apiKey: key, fetch: dropFirstAnswer });

    const authorization = await flaky.authorizeRun({ userId, runId: newRunId() });

    expect(authorizeRequests).toBe(2);
    // The retry found the run the lost request had already consumed.
    expect(authorization).toMatchObject({ isReplay: true, used: 1, remaining: 9 });
    expect((await service.getSubscription(userId)).usage.used).toBe(1);
  });

  it('reports a network failure without retries as a transport error; the caller may retry the same run id', async () => {
    const userId = newServiceUserId();
    const runId = newRunId();
    let calls = 0;
    const dropFirstAnswer: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      calls += 1;
      if (calls > 1) return response;
      await response.body?.cancel();
      throw new TypeError('fetch failed (simulated)');
    };
    const { key } = await tollgate.createApiKey(['runs:authorize']);
    const noRetries = createTollgateClient({
      url: tollgate.url,
      apiKey: key,
      fetch: dropFirstAnswer,
      retries: 0,
    });

    const error = await rejectionOf(noRetries.authorizeRun({ userId, runId }));
    expect(error).toBeInstanceOf(TollgateError);
    expect(error).toMatchObject({ code: 'NETWORK_ERROR', httpStatus: null, isTransportError: true });

    await expect(noRetries.authorizeRun({ userId, runId })).resolves.toMatchObject({
      isReplay: true,
      used: 1,
    });
  });

  it('answers a wrong or revoked API key with UnauthorizedError', async () => {
    const wrongKey = createTollgateClient({ url: tollgate.url, apiKey: 'tg_sk_this-key-does-not-exist' });
    const wrong = await rejectionOf(wrongKey.authorizeRun({ userId: newServiceUserId(), runId: newRunId() }));
    expect(wrong).toBeInstanceOf(UnauthorizedError);
    expect(wrong).toMatchObject({ code: 'UNAUTHORIZED', httpStatus: 401 });

    const { id, key } = await tollgate.createApiKey(['runs:authorize']);
    const soonRevoked = createTollgateClient({ url: tollgate.url, apiKey: key });
    await expect(
      soonRevoked.authorizeRun({ userId: newServiceUserId(), runId: newRunId() }),
    ).resolves.toMatchObject({
      used: 1,
    });
    await tollgate.revokeApiKey(id);
    const revoked = await rejectionOf(
      soonRevoked.authorizeRun({ userId: newServiceUserId(), runId: newRunId() }),
    );
    expect(revoked).toBeInstanceOf(UnauthorizedError);
  });

  it("lets a user token authorize its own runs but not another user's (FORBIDDEN)", async () => {
    const user = await tollgate.registerUser();
    const other = await tollgate.registerUser();
    const asUser = createTollgateClient({ url: tollgate.url, getToken: () => user.accessToken });

    await expect(asUser.authorizeRun({ runId: newRunId() })).resolves.toMatchObject({ used: 1 });
    const forbidden = await rejectionOf(asUser.authorizeRun({ userId: other.id, runId: newRunId() }));
    expect(forbidden).toBeInstanceOf(TollgateError);
    expect(forbidden).not.toBeInstanceOf(UnauthorizedError);
    expect(forbidden).toMatchObject({ code: 'FORBIDDEN', httpStatus: 403 });
    expect((await service.getSubscription(other.id)).usage.used).toBe(0);
  });

  it('maps an invalid run id to BAD_REQUEST with field errors', async () => {
    const error = await rejectionOf(
      service.authorizeRun({ userId: newServiceUserId(), runId: 'not a run id!' }),
    );
    expect(error).toBeInstanceOf(TollgateError);
    expect(error).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400 });
    expect((error as TollgateError).fieldErrors?.runId?.[0]).toMatch(/runId may contain/);
  });
});

describe('startRun and releaseRun', () => {
  it('starts a run once; a retried start with the same attemptId is answered again, another is refused', async () => {
    const userId = newServiceUserId();
    const runId = newRunId();
    await service.authorizeRun({ userId, runId });
    const started = await service.startRun({ userId, runId, attemptId: 'attempt-1' });
    expect(started).toMatchObject({ runId, state: 'started', isReplay: false });
    expect(started.startedAt).toBeInstanceOf(Date);
    await expect(service.startRun({ userId, runId, attemptId: 'attempt-1' })).resolves.toMatchObject({
      isReplay: true,
    });
    await expect(service.startRun({ userId, runId })).rejects.toMatchObject({
      code: 'RUN_ALREADY_STARTED',
      httpStatus: 409,
    });
    await expect(service.releaseRun({ userId, runId })).rejects.toMatchObject({
      code: 'RELEASE_NOT_ALLOWED',
    });
  });

  it('a user token can reserve and start its own runs but never release them', async () => {
    const user = await tollgate.registerUser();
    const asUser = createTollgateClient({ url: tollgate.url, getToken: () => user.accessToken });
    const runId = newRunId();
    await asUser.authorizeRun({ runId });
    await expect(asUser.releaseRun({ userId: user.id, runId })).rejects.toMatchObject({ httpStatus: 403 });
    await expect(asUser.startRun({ runId })).resolves.toMatchObject({ state: 'started' });
  });

  it('releases a reserved run once; releasing it again answers the same and refunds nothing', async () => {
    const userId = newServiceUserId();
    const runId = newRunId();
    await service.authorizeRun({ userId, runId });
    await service.authorizeRun({ userId, runId: newRunId() });

    await expect(service.releaseRun({ userId, runId })).resolves.toEqual({
      runId,
      released: true,
      isReplay: false,
    });
    expect((await service.getSubscription(userId)).usage.used).toBe(1);
    await expect(service.releaseRun({ userId, runId })).resolves.toEqual({
      runId,
      released: true,
      isReplay: true,
    });
    expect((await service.getSubscription(userId)).usage.used).toBe(1);
  });
});

describe('getSubscription', () => {
  it('reads any user with a subscriptions:read service key, with dates as Date objects', async () => {
    const user = await tollgate.registerUser();
    const asUser = createTollgateClient({ url: tollgate.url, getToken: () => user.accessToken });
    await asUser.authorizeRun({ runId: newRunId() });
    await asUser.authorizeRun({ runId: newRunId() });

    const overview = await service.getSubscription(user.id);
    expect(overview).toMatchObject({
      plan: 'FREE',
      status: 'active',
      planDetails: { id: 'FREE', runLimit: 10 },
    });
    expect(overview.usage).toMatchObject({ used: 2, limit: 10, remaining: 8 });
    expect(overview.usage.resetsAt).toBeInstanceOf(Date);
    expect(overview.usage.periodStart.getTime()).toBeLessThan(overview.usage.resetsAt.getTime());
    await expect(asUser.getSubscription()).resolves.toMatchObject({ usage: { used: 2 } });
  });

  it('refuses a key without the subscriptions:read scope', async () => {
    const { key } = await tollgate.createApiKey(['runs:authorize']);
    const runsOnly = createTollgateClient({ url: tollgate.url, apiKey: key });
    await expect(runsOnly.getSubscription(newServiceUserId())).rejects.toMatchObject({
      code: 'FORBIDDEN',
      httpStatus: 403,
    });
  });
});

describe('user tokens', () => {
  it('calls onUnauthorized once on a 401 and resends the request with the renewed token', async () => {
    const user = await tollgate.registerUser();
    let token = 'an-expired-or-garbage-token';
    let refreshes = 0;
    const client = createTollgateClient({
      url: tollgate.url,
      getToken: () => token,
      onUnauthorized: async () => {
        refreshes += 1;
        const renewed = await anonymousClient().trpc.auth.refresh.mutate({ refreshToken: user.refreshToken });
        token = renewed.accessToken;
        return true;
      },
    });

    const [first, second] = await Promise.all([client.getSubscription(), client.trpc.auth.me.query()]);
    expect(first.plan).toBe('FREE');
    expect(second.id).toBe(user.id);
    // Concurrent 401s share one refresh: a second one would reuse a rotated refresh token.
    expect(refreshes).toBe(1);
  });

  it('gives up with UnauthorizedError when the refresh fails', async () => {
    const client = createTollgateClient({
      url: tollgate.url,
      getToken: () => 'garbage',
      onUnauthorized: async () => false,
    });
    await expect(client.getSubscription()).rejects.toBeInstanceOf(UnauthorizedError);
  });
});

describe('retries', () => {
  it('does not resend a mutation that could take effect twice (sessions.create)', async () => {
    const user = await tollgate.registerUser();
    let createRequests = 0;
    const dropCreateAnswers: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!String(input).includes('sessions.create')) return response;
      createRequests += 1;
      await response.body?.cancel();
      throw new TypeError('fetch failed (simulated)');
    };
    const client = createTollgateClient({
      url: tollgate.url,
      getToken: () => user.accessToken,
      fetch: dropCreateAnswers,
      retries: 3,
    });

    const error = await rejectionOf(client.trpc.sessions.create.mutate({ title: 'once' }));
    expect(toTollgateError(error)).toMatchObject({ code: 'NETWORK_ERROR', httpStatus: null });
    expect(createRequests).toBe(1);
    expect(await client.trpc.sessions.list.query()).toHaveLength(1);
  });
});

describe('transport', () => {
  let hanging: Server;
  let hangingUrl: string;
  let connectionsSeen = 0;

  beforeAll(async () => {
    hanging = createServer(() => {}); // never answers
    // Counted per connection, not per parsed request: on a loaded machine an attempt may be aborted
    // before this process parses its request line, but its connection is still accepted.
    hanging.on('connection', () => {
      connectionsSeen += 1;
    });
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    hangingUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    hanging.closeAllConnections();
    hanging.close();
  });

  it('times out each attempt and retries up to `retries` times', async () => {
    const client = createTollgateClient({ url: hangingUrl, apiKey: 'tg_sk_x', timeoutMs: 150, retries: 2 });
    const error = await rejectionOf(client.authorizeRun({ userId: 'u', runId: newRunId() }));
    expect(error).toBeInstanceOf(TollgateError);
    expect(error).toMatchObject({ code: 'TIMEOUT', httpStatus: null });
    await vi.waitFor(() => expect(connectionsSeen).toBe(3));
  });

  it('reports an unreachable server as NETWORK_ERROR', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const client = createTollgateClient({ url: `http://127.0.0.1:${port}`, apiKey: 'tg_sk_x', retries: 1 });
    await expect(client.getSubscription('u')).rejects.toMatchObject({
      code: 'NETWORK_ERROR',
      httpStatus: null,
    });
  });
});

function anonymousClient(): TollgateClient {
  return createTollgateClient({ url: tollgate.url, getToken: () => null });
}
