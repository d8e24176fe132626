import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PaymentRequiredError,
  RUN_PACKS,
  TollgateError,
  createTollgateClient,
  getTollgateRun,
  requireRun,
  type SettledRun,
  type TollgateClient,
} from '../src';
import { APP_URL, newRunId, startTestTollgate, type TestTollgate } from './support/tollgate-server';

// Estimates, settle and credits (issue 17) through the SDK, against a real Tollgate.

let tollgate: TestTollgate;
let service: TollgateClient;

beforeAll(async () => {
  tollgate = await startTestTollgate();
  const { key } = await tollgate.createApiKey([
    'runs:authorize',
    'runs:release',
    'runs:settle',
    'subscriptions:read',
  ]);
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

/** A registered user (FREE: 10 runs a period) and a client acting as that user. */
async function freeUser() {
  const user = await tollgate.registerUser();
  const asUser = createTollgateClient({ url: tollgate.url, getToken: () => user.accessToken });
  return { user, asUser };
}

describe('authorizeRun with an estimate, then settleRun', () => {
  it('reserves the estimate, gives back what the run did not cost, and reads the balance', async () => {
    const { user, asUser } = await freeUser();
    const runId = newRunId();
    const run = await service.authorizeRun({ userId: user.id, runId, estimate: 5 });
    expect(run).toMatchObject({ runId, state: 'reserved', reserved: 5, used: 5, limit: 10, remaining: 5 });
    await service.startRun({ userId: user.id, runId });

    const settled = await service.settleRun({ userId: user.id, runId, actual: 3 });
    expect(settled).toEqual({
      runId,
      state: 'settled',
      estimate: 5,
      actual: 3,
      charged: 3,
      settledAt: expect.any(Date),
      isReplay: false,
    } satisfies Record<keyof SettledRun, unknown>);

    const balance = await asUser.getBalance();
    expect(balance.allowance).toMatchObject({ plan: 'FREE', used: 3, limit: 10, remaining: 7 });
    expect(balance.allowance.periodStart).toBeInstanceOf(Date);
    expect(balance.allowance.periodEnd.getTime()).toBeGreaterThan(balance.allowance.periodStart.getTime());
    expect(balance).toMatchObject({ grants: [], creditsRemaining: 0, totalRemaining: 7 });
    expect((await service.getSubscription(user.id)).usage.used).toBe(3);
  });

  it('answers the same settle again (isReplay) and refuses another actual: RUN_ALREADY_SETTLED', async () => {
    const { user } = await freeUser();
    const runId = newRunId();
    await service.authorizeRun({ userId: user.id, runId, estimate: 4 });
    await service.startRun({ userId: user.id, runId });
    const first = await service.settleRun({ userId: user.id, runId, actual: 2 });
    const again = await service.settleRun({ userId: user.id, runId, actual: 2 });
    expect(again).toEqual({ ...first, isReplay: true });

    const other = await rejectionOf(service.settleRun({ userId: user.id, runId, actual: 4 }));
    expect(other).toBeInstanceOf(TollgateError);
    expect(other).toMatchObject({ code: 'RUN_ALREADY_SETTLED', httpStatus: 409 });
    expect((await service.getSubscription(user.id)).usage.used).toBe(2);
  });

  it('refuses a run that never started (RUN_NOT_STARTED) and an actual of 0 (BAD_REQUEST)', async () => {
    const { user } = await freeUser();
    const runId = newRunId();
    await service.authorizeRun({ userId: user.id, runId, estimate: 2 });
    await expect(service.settleRun({ userId: user.id, runId, actual: 1 })).rejects.toMatchObject({
      code: 'RUN_NOT_STARTED',
      httpStatus: 409,
    });
    await service.startRun({ userId: user.id, runId });
    const zero = await rejectionOf(service.settleRun({ userId: user.id, runId, actual: 0 }));
    expect(zero).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400 });
    expect((zero as TollgateError).fieldErrors?.actual).toBeDefined();
    expect((await service.getSubscription(user.id)).usage.used).toBe(2);
  });

  it('charges an overrun only up to what the balance holds', async () => {
    const { user } = await freeUser();
    const runId = newRunId();
    await service.authorizeRun({ userId: user.id, runId, estimate: 2 });
    await service.startRun({ userId: user.id, runId });
    const settled = await service.settleRun({ userId: user.id, runId, actual: 50 });
    expect(settled).toMatchObject({ estimate: 2, actual: 50, charged: 10 });
    expect((await service.getSubscription(user.id)).usage).toMatchObject({ used: 10, remaining: 0 });
  });

  it('the same run id with another estimate is another request: RUN_ID_REUSED', async () => {
    const { user } = await freeUser();
    const runId = newRunId();
    await service.authorizeRun({ userId: user.id, runId, estimate: 2 });
    await expect(service.authorizeRun({ userId: user.id, runId, estimate: 2 })).resolves.toMatchObject({
      isReplay: true,
      reserved: 2,
    });
    await expect(service.authorizeRun({ userId: user.id, runId, estimate: 3 })).rejects.toMatchObject({
      code: 'RUN_ID_REUSED',
      httpStatus: 409,
    });
  });

  it('settling is a service act with the runs:settle scope, by the key that reserved the run', async () => {
    const { user, asUser } = await freeUser();
    const runId = newRunId();
    await service.authorizeRun({ userId: user.id, runId });
    await service.startRun({ userId: user.id, runId });

    const { key: narrowKey } = await tollgate.createApiKey(['runs:authorize']);
    const narrow = createTollgateClient({ url: tollgate.url, apiKey: narrowKey });
    await expect(narrow.settleRun({ userId: user.id, runId, actual: 1 })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      httpStatus: 403,
    });
    const { key: otherKey } = await tollgate.createApiKey(['runs:authorize', 'runs:settle']);
    const other = createTollgateClient({ url: tollgate.url, apiKey: otherKey });
    await expect(other.settleRun({ userId: user.id, runId, actual: 1 })).rejects.toMatchObject({
      httpStatus: 403,
    });
    await expect(asUser.settleRun({ userId: user.id, runId, actual: 1 })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      httpStatus: 403,
    });
    await expect(service.settleRun({ userId: user.id, runId, actual: 1 })).resolves.toMatchObject({
      charged: 1,
      isReplay: false,
    });
  });

  it('resends a settle whose answer was lost; the retry is answered as a replay, charged once', async () => {
    const { user } = await freeUser();
    const { key } = await tollgate.createApiKey(['runs:authorize', 'runs:settle']);
    let settleRequests = 0;
    const dropFirstSettleAnswer: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!String(input).includes('usage.settle')) return response;
      settleRequests += 1;
      if (settleRequests > 1) return response;
      await response.body?.cancel();
      throw new TypeError('fetch failed: connection reset after the answer (simulated)');
    };
    const flaky = createTollgateClient({ url: tollgate.url, apiKey: key, fetch: dropFirstSettleAnswer });
    const runId = newRunId();
    await flaky.authorizeRun({ userId: user.id, runId, estimate: 6 });
    await flaky.startRun({ userId: user.id, runId });

    const settled = await flaky.settleRun({ userId: user.id, runId, actual: 1 });
    expect(settleRequests).toBe(2);
    expect(settled).toMatchObject({ charged: 1, isReplay: true });
    expect((await service.getSubscription(user.id)).usage.used).toBe(1);
  });
});

describe('PaymentRequiredError for credits', () => {
  it('carries the packs and where to buy them when the runs are used up', async () => {
    const { user } = await freeUser();
    const denial = await rejectionOf(
      service.authorizeRun({ userId: user.id, runId: newRunId(), estimate: 11 }),
    );
    expect(denial).toBeInstanceOf(PaymentRequiredError);
    const error = denial as PaymentRequiredError;
    expect(error.code).toBe('USAGE_LIMIT_REACHED');
    expect(error.buyRunsUrl).toBe(`${APP_URL}/settings/subscription?buy=1`);
    expect(error.packs.map((pack) => pack.id)).toEqual(Object.keys(RUN_PACKS));
    expect(error.packs[0]).toEqual({
      id: 'PACK_100',
      name: RUN_PACKS.PACK_100.name,
      units: RUN_PACKS.PACK_100.units,
      priceCents: RUN_PACKS.PACK_100.priceCents,
      currency: 'usd',
    });
    expect(error.body.error.packs).toEqual(error.packs);
    // Nothing was reserved: the whole estimate is refused, not a part of it.
    expect((await service.getSubscription(user.id)).usage.used).toBe(0);
  });

  it('offers no pack where buying runs is no answer (a team without a plan)', async () => {
    const owner = await tollgate.registerUser();
    const accountId = await tollgate.createTeam(owner, []);
    const denial = await rejectionOf(
      service.authorizeRun({ userId: owner.id, accountId, runId: newRunId() }),
    );
    expect(denial).toBeInstanceOf(PaymentRequiredError);
    expect(denial).toMatchObject({ code: 'NO_PLAN', packs: [], buyRunsUrl: null });
  });
});

describe('requireRun with an estimate and run.settle', () => {
  let server: Server;
  let url = '';
  const settled: SettledRun[] = [];

  beforeAll(async () => {
    const app = express();
    app.use(express.json());
    app.post(
      '/tasks',
      requireRun({
        client: service,
        getUserId: (req) => req.get('x-user-id') ?? '',
        getRunId: (req) => req.body.runId,
        getEstimate: (req) => (typeof req.body.estimate === 'number' ? req.body.estimate : undefined),
      }),
      async (req, res) => {
        const run = getTollgateRun(res);
        if (!run) throw new Error('not guarded');
        // `settleAtOnce`: the settle is sent right after the start without awaiting it; it must wait.
        const starting = run.markStarted();
        if (!req.body.settleAtOnce) await starting;
        if (typeof req.body.actual === 'number') settled.push(await run.settle(req.body.actual));
        res.status(201).json({ reserved: run.reserved, remaining: run.remaining });
      },
    );
    server = await new Promise((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const postTask = async (userId: string, body: Record<string, unknown>) => {
    const response = await fetch(`${url}/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user-id': userId },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('reserves one run by default and the estimate when given; settle charges the actual', async () => {
    const { user } = await freeUser();
    expect(await postTask(user.id, { runId: newRunId() })).toEqual({
      status: 201,
      body: { reserved: 1, remaining: 9 },
    });
    const runId = newRunId();
    expect(await postTask(user.id, { runId, estimate: 4, actual: 2 })).toEqual({
      status: 201,
      body: { reserved: 4, remaining: 5 },
    });
    expect(settled.find((run) => run.runId === runId)).toMatchObject({ estimate: 4, charged: 2 });
    expect((await service.getSubscription(user.id)).usage.used).toBe(3);
  });

  it('run.settle waits for a start still in flight', async () => {
    const { user } = await freeUser();
    const runId = newRunId();
    const answer = await postTask(user.id, { runId, estimate: 6, actual: 1, settleAtOnce: true });
    expect(answer.status).toBe(201);
    expect(settled.find((run) => run.runId === runId)).toMatchObject({ estimate: 6, charged: 1 });
    expect((await service.getSubscription(user.id)).usage.used).toBe(1);
  });

  it('answers an estimate the balance cannot hold with the 402 and its packs', async () => {
    const { user } = await freeUser();
    const denied = await postTask(user.id, { runId: newRunId(), estimate: 11 });
    expect(denied.status).toBe(402);
    expect(denied.body).toMatchObject({
      error: { code: 'USAGE_LIMIT_REACHED', buyRunsUrl: `${APP_URL}/settings/subscription?buy=1` },
    });
    expect((denied.body.error as { packs: unknown[] }).packs).toHaveLength(Object.keys(RUN_PACKS).length);
  });
});

describe('requireRun with a client that cannot settle', () => {
  it('rejects run.settle with a TypeError and charges the estimate as before', async () => {
    const { user } = await freeUser();
    const errors: unknown[] = [];
    const app = express();
    app.use(express.json());
    app.post(
      '/tasks',
      requireRun({
        // A client of its own that only reserves, starts and releases (as before settle existed).
        client: {
          authorizeRun: (input) => service.authorizeRun(input),
          startRun: (input) => service.startRun(input),
          releaseRun: (input) => service.releaseRun(input),
        },
        getUserId: () => user.id,
        getRunId: (req) => req.body.runId,
        getEstimate: () => 2,
      }),
      async (_req, res) => {
        const run = getTollgateRun(res);
        if (!run) throw new Error('not guarded');
        await run.markStarted();
        await run.settle(1).catch((error: unknown) => errors.push(error));
        res.status(201).json({ reserved: run.reserved });
      },
    );
    const server: Server = await new Promise((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/tasks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ runId: newRunId() }),
      });
      expect(response.status).toBe(201);
      expect(await response.json()).toEqual({ reserved: 2 });
      expect(errors).toEqual([expect.any(TypeError)]);
      expect((await service.getSubscription(user.id)).usage.used).toBe(2);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('PaymentRequiredError for a spend cap', () => {
  it('carries the cap that refused the run, and null for every other denial', () => {
    const spendCap = {
      capRuns: 2,
      capCents: 25,
      setBy: 'account' as const,
      overageRuns: 2,
      spentCents: 25,
      raiseUrl: `${APP_URL}/settings/subscription?cap=1`,
    };
    const error = new PaymentRequiredError({
      error: {
        code: 'SPEND_CAP_REACHED',
        message: 'Your monthly spend cap of $0.25 (2 overage runs) is reached.',
        plan: 'BASIC',
        status: 'active',
        used: 100,
        limit: 100,
        resetsAt: '2026-12-31T00:00:00.000Z',
        upgradeUrl: `${APP_URL}/settings/subscription?upgrade=1`,
        spendCap,
      },
    });
    expect(error.code).toBe('SPEND_CAP_REACHED');
    expect(error.spendCap).toEqual(spendCap);
    const other = new PaymentRequiredError({
      error: { ...error.body.error, code: 'USAGE_LIMIT_REACHED', spendCap: undefined },
    });
    expect(other.spendCap).toBeNull();
  });
});
