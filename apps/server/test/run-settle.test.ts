import { personalAccountId, queryRows } from '@tollgate/db';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { request, trpc, type Tokens } from './support/http';
import { registerOperator } from './support/operators';
import { registerVerifiedUser, startTestServer, type TestServer } from './support/test-server';

// usage.settle (issue 17) over HTTP against the real server: who may settle, when, what it charges, and
// the sweeper that settles at the estimate the runs nobody settled. PGlite, or PostgreSQL with
// DATABASE_URL.

const SETTLE_TIMEOUT_S = 3_600;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ RUN_SETTLE_TIMEOUT_SECONDS: String(SETTLE_TIMEOUT_S) });
});
afterAll(() => server?.stop());
beforeEach(() => server.testDb.reset());

interface Fixture {
  user: Tokens;
  /** runs:authorize + runs:release + runs:settle: reserves, starts and settles the runs below. */
  key: string;
  /** runs:authorize + runs:settle, but another key than the one that reserved. */
  otherKey: string;
  /** runs:authorize only. */
  narrowKey: string;
}

async function fixture(): Promise<Fixture> {
  const operator = await registerOperator(server);
  const createKey = async (scopes: string[]) => {
    const created = await trpc<{ key: string }>(
      server.url,
      'mutation',
      'apiKeys.create',
      { name: `settle test ${scopes.join(' ')}`, scopes },
      operator.accessToken,
    );
    if (!created.data) throw new Error(JSON.stringify(created.error));
    return created.data.key;
  };
  return {
    user: await registerVerifiedUser(server),
    key: await createKey(['runs:authorize', 'runs:release', 'runs:settle']),
    otherKey: await createKey(['runs:authorize', 'runs:settle']),
    narrowKey: await createKey(['runs:authorize']),
  };
}

// Bodies are read loosely: the documented schemas are checked in rest-usage.test.ts.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function api<T = any>(method: string, path: string, token: string, body?: unknown) {
  return request<T>(server.url, method, `/api/v1${path}`, { token, body });
}

/** Reserves `estimate` units for the user with the fixture's key, and starts the run. */
async function startedRun(f: Fixture, runId: string, estimate: number) {
  const reserved = await api('POST', '/usage/authorize', f.key, { userId: f.user.user.id, runId, estimate });
  expect(reserved.status, JSON.stringify(reserved.body)).toBe(200);
  const started = await api('POST', '/usage/start', f.key, { userId: f.user.user.id, runId });
  expect(started.status, JSON.stringify(started.body)).toBe(200);
  return reserved.body;
}

const settle = (f: Fixture, token: string, runId: string, actual: number) =>
  api('POST', '/usage/settle', token, { userId: f.user.user.id, runId, actual });

async function balanceOf(user: Tokens) {
  const balance = await api('GET', '/usage/balance', user.accessToken);
  expect(balance.status, JSON.stringify(balance.body)).toBe(200);
  return balance.body;
}

/** The run's ledger row and the user's period counter, as stored. */
async function stored(user: Tokens, runId: string) {
  const accountId = personalAccountId(user.user.id);
  const [row] = await queryRows<Record<string, unknown>>(
    server.testDb.db,
    sql`select state, units_reserved, units_settled, units_actual, units_from_allowance, settled_at
        from usage_ledger where account_id = ${accountId} and run_id = ${runId}`,
  );
  const [period] = await queryRows<{ used: number }>(
    server.testDb.db,
    sql`select coalesce(sum(used), 0)::int as used from usage_periods where account_id = ${accountId}`,
  );
  return { run: row ?? null, used: period?.used ?? null };
}

describe('who may settle a run', () => {
  it('a user token → 403, a key without runs:settle → 403, another key than the reserver → 403; nothing changes', async () => {
    const f = await fixture();
    await startedRun(f, 'run-1', 5);
    const before = await stored(f.user, 'run-1');

    const asUser = await api('POST', '/usage/settle', f.user.accessToken, { runId: 'run-1', actual: 1 });
    expect(asUser.status).toBe(403);
    const asUserNaming = await settle(f, f.user.accessToken, 'run-1', 1);
    expect(asUserNaming.status).toBe(403);
    const viaTrpc = await trpc(
      server.url,
      'mutation',
      'usage.settle',
      { runId: 'run-1', actual: 1 },
      f.user.accessToken,
    );
    expect(viaTrpc.status).toBe(403);
    expect((await settle(f, f.narrowKey, 'run-1', 1)).status).toBe(403);
    const other = await settle(f, f.otherKey, 'run-1', 1);
    expect(other.status).toBe(403);
    expect(other.body.error.message).toMatch(/another caller/);

    expect(await stored(f.user, 'run-1')).toEqual(before);
    expect(before.run).toMatchObject({ state: 'started', units_reserved: 5, units_settled: null });
    // The reserving key still may.
    expect((await settle(f, f.key, 'run-1', 5)).status).toBe(200);
  });

  it('an unknown run id → 404; another user’s run → 404 (not found on that account)', async () => {
    const f = await fixture();
    await startedRun(f, 'run-1', 2);
    expect((await settle(f, f.key, 'never-reserved', 1)).status).toBe(404);
    const stranger = await registerVerifiedUser(server);
    const elsewhere = await api('POST', '/usage/settle', f.key, {
      userId: stranger.user.id,
      runId: 'run-1',
      actual: 1,
    });
    expect(elsewhere.status).toBe(404);
    expect((await stored(f.user, 'run-1')).run).toMatchObject({ state: 'started' });
  });
});

describe('when a run may be settled', () => {
  it('actual 0 on a started run → 400 and nothing changes', async () => {
    const f = await fixture();
    await startedRun(f, 'run-1', 5);
    const before = await stored(f.user, 'run-1');
    const zero = await settle(f, f.key, 'run-1', 0);
    expect(zero.status).toBe(400);
    expect(zero.body.error.fieldErrors).toHaveProperty('actual');
    for (const actual of [-1, 1.5, 100_001, '3', null]) {
      expect((await settle(f, f.key, 'run-1', actual as number)).status, String(actual)).toBe(400);
    }
    expect(await stored(f.user, 'run-1')).toEqual(before);
  });

  it('a reserved run that never started → 409 RUN_NOT_STARTED, nothing changes', async () => {
    const f = await fixture();
    const reserved = await api('POST', '/usage/authorize', f.key, {
      userId: f.user.user.id,
      runId: 'run-1',
      estimate: 3,
    });
    expect(reserved.status).toBe(200);
    const before = await stored(f.user, 'run-1');
    const early = await settle(f, f.key, 'run-1', 1);
    expect([early.status, early.body.error.code]).toEqual([409, 'RUN_NOT_STARTED']);
    expect(await stored(f.user, 'run-1')).toEqual(before);
    expect(before).toMatchObject({ run: { state: 'reserved' }, used: 3 });
  });

  it('a released run → 409 RUN_RELEASED', async () => {
    const f = await fixture();
    await api('POST', '/usage/authorize', f.key, { userId: f.user.user.id, runId: 'run-1', estimate: 2 });
    expect(
      (await api('POST', '/usage/release', f.key, { userId: f.user.user.id, runId: 'run-1' })).status,
    ).toBe(200);
    const late = await settle(f, f.key, 'run-1', 1);
    expect([late.status, late.body.error.code]).toEqual([409, 'RUN_RELEASED']);
    expect((await stored(f.user, 'run-1')).used).toBe(0);
  });
});

describe('what a settle charges', () => {
  it('3 of an estimate of 5: the 2 left go back to the balance', async () => {
    const f = await fixture();
    const reserved = await startedRun(f, 'run-1', 5);
    expect(reserved).toMatchObject({ reserved: 5, used: 5, limit: 10, remaining: 5, credits: 0 });
    expect((await balanceOf(f.user)).totalRemaining).toBe(5);

    const settled = await settle(f, f.key, 'run-1', 3);
    expect(settled.status).toBe(200);
    expect(settled.body).toEqual({
      runId: 'run-1',
      state: 'settled',
      estimate: 5,
      actual: 3,
      charged: 3,
      settledAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      isReplay: false,
    });
    const balance = await balanceOf(f.user);
    expect(balance.allowance).toMatchObject({ used: 3, limit: 10, remaining: 7 });
    expect(balance.totalRemaining).toBe(7);
    // authorize's remaining agrees with the balance.
    const next = await api('POST', '/usage/authorize', f.key, { userId: f.user.user.id, runId: 'run-2' });
    expect(next.body).toMatchObject({ used: 4, remaining: 6, reserved: 1 });
    expect((await stored(f.user, 'run-1')).run).toMatchObject({
      state: 'settled',
      units_reserved: 5,
      units_settled: 3,
      units_actual: 3,
      units_from_allowance: 3,
    });
  });

  it('the same actual again is a replay; another actual → 409 RUN_ALREADY_SETTLED; nothing moves', async () => {
    const f = await fixture();
    await startedRun(f, 'run-1', 5);
    const first = await settle(f, f.key, 'run-1', 3);
    const again = await settle(f, f.key, 'run-1', 3);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ ...first.body, isReplay: true });
    const after = await stored(f.user, 'run-1');
    for (const actual of [2, 5, 7]) {
      const other = await settle(f, f.key, 'run-1', actual);
      expect([other.status, other.body.error.code], String(actual)).toEqual([409, 'RUN_ALREADY_SETTLED']);
    }
    // Even a run settled at its estimate is final.
    expect(await stored(f.user, 'run-1')).toEqual(after);
    expect(after.used).toBe(3);
  });

  it('an overrun (estimate 2, actual 50) on a FREE account with 10 runs is charged only what is left', async () => {
    const f = await fixture();
    await startedRun(f, 'run-1', 2);
    const settled = await settle(f, f.key, 'run-1', 50);
    expect(settled.status).toBe(200);
    expect(settled.body).toMatchObject({ estimate: 2, actual: 50, charged: 10, isReplay: false });
    expect(await balanceOf(f.user)).toMatchObject({
      allowance: { used: 10, limit: 10, remaining: 0 },
      totalRemaining: 0,
    });
    expect((await settle(f, f.key, 'run-1', 50)).body).toMatchObject({ charged: 10, isReplay: true });
    const denied = await api('POST', '/usage/authorize', f.key, { userId: f.user.user.id, runId: 'run-2' });
    expect(denied.status).toBe(402);
    expect((await stored(f.user, 'run-1')).run).toMatchObject({ units_settled: 10, units_actual: 50 });
  });

  it('an estimate larger than what is left → 402 with the real counters, nothing reserved', async () => {
    const f = await fixture();
    await startedRun(f, 'run-1', 8);
    const denied = await api('POST', '/usage/authorize', f.key, {
      userId: f.user.user.id,
      runId: 'too-big',
      estimate: 5,
    });
    expect(denied.status).toBe(402);
    expect(denied.body.error).toMatchObject({
      code: 'USAGE_LIMIT_REACHED',
      used: 8,
      limit: 10,
      message: expect.stringContaining('reserves 5 agent runs, but only 2 runs are left'),
    });
    expect((await stored(f.user, 'too-big')).run).toBeNull();
    // What does fit still goes through.
    const fits = await api('POST', '/usage/authorize', f.key, {
      userId: f.user.user.id,
      runId: 'fits',
      estimate: 2,
    });
    expect(fits.status).toBe(200);
  });

  it('an overrun draws the allowance first, then credits; a settle below the estimate gives the credits back first', async () => {
    const f = await fixture();
    const accountId = personalAccountId(f.user.user.id);
    await server.services.credits.grantCredits({
      accountId,
      units: 5,
      expiresAt: null,
      reason: 'goodwill',
      grantedBy: 'cli:test',
    });
    await startedRun(f, 'over', 2);
    expect((await settle(f, f.key, 'over', 12)).body).toMatchObject({ charged: 12 });
    const afterOverrun = await balanceOf(f.user);
    expect(afterOverrun).toMatchObject({
      allowance: { used: 10, remaining: 0 },
      creditsRemaining: 3,
      totalRemaining: 3,
    });

    // Reserves the last 3 (all from the grant), settles at 1: the 2 go back to the grant.
    const reserved = await startedRun(f, 'under', 3);
    expect(reserved).toMatchObject({ reserved: 3, remaining: 0, credits: 0 });
    expect((await settle(f, f.key, 'under', 1)).body).toMatchObject({ charged: 1 });
    const afterUnder = await balanceOf(f.user);
    expect(afterUnder).toMatchObject({ creditsRemaining: 2, totalRemaining: 2 });
    expect(afterUnder.grants).toEqual([expect.objectContaining({ units: 5, remaining: 2 })]);
  });
});

describe('runs nobody settles', () => {
  it('are settled at their estimate by the sweeper after RUN_SETTLE_TIMEOUT_SECONDS, once', async () => {
    const f = await fixture();
    await startedRun(f, 'forgotten', 4);
    await startedRun(f, 'settled-by-caller', 3);
    expect((await settle(f, f.key, 'settled-by-caller', 1)).status).toBe(200);
    const reservedOnly = await api('POST', '/usage/authorize', f.key, {
      userId: f.user.user.id,
      runId: 'reserved-only',
      estimate: 2,
    });
    expect(reservedOnly.status).toBe(200);

    // Before the timeout nothing is due.
    server.clock.advance((SETTLE_TIMEOUT_S - 60) * 1000);
    try {
      expect(await server.services.usage.sweepUnsettled()).toBe(0);
      expect((await stored(f.user, 'forgotten')).run).toMatchObject({ state: 'started' });
    } finally {
      server.clock.reset();
    }

    const sweptAt = new Date(Date.now() + (SETTLE_TIMEOUT_S + 1) * 1000);
    server.clock.set(sweptAt);
    try {
      // However many sweep at once (and the server's own sweeper may too): the run is settled once.
      await Promise.all([1, 2, 3].map(() => server.services.usage.sweepUnsettled()));
      expect(await server.services.usage.sweepUnsettled()).toBe(0);
    } finally {
      server.clock.reset();
    }
    const { run, used } = await stored(f.user, 'forgotten');
    expect(run).toMatchObject({ state: 'settled', units_reserved: 4, units_settled: 4, units_actual: null });
    const settledAt = run?.settled_at;
    expect(new Date(settledAt instanceof Date ? settledAt : String(settledAt)).getTime()).toBe(
      sweptAt.getTime(),
    );
    expect((await stored(f.user, 'settled-by-caller')).run).toMatchObject({ units_settled: 1 });
    // A reserved run is the start sweeper's (the server's own may have released it meanwhile), never settled.
    const reservedState = (await stored(f.user, 'reserved-only')).run?.state;
    expect(['reserved', 'released']).toContain(reservedState);
    // 4 (forgotten, at its estimate) + 1 (settled by its caller) + 2 while reserved-only holds its units.
    expect(used).toBe(reservedState === 'reserved' ? 7 : 5);

    // The caller's late settle: the estimate is the same request (a replay), another actual is refused.
    expect((await settle(f, f.key, 'forgotten', 4)).body).toMatchObject({
      charged: 4,
      actual: 4,
      isReplay: true,
    });
    const late = await settle(f, f.key, 'forgotten', 2);
    expect([late.status, late.body.error.code]).toEqual([409, 'RUN_ALREADY_SETTLED']);
  });
});
