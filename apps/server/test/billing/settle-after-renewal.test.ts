import { personalAccountId, queryRows } from '@tollgate/db';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { request } from '../support/http';
import { operatorServiceKey } from '../support/operators';
import { CARDS, Customer } from './scenarios';

// A run reserved before a paid renewal and settled after it with an overrun: the renewal closed the old
// period at what it had used, so the extra units are drawn from the new period (docs/design/credits.md §3).

let billing: BillingTestServer;
let key: string;
beforeAll(async () => {
  billing = await startBillingTestServer({
    RUN_SETTLE_TIMEOUT_SECONDS: String(30 * 86_400),
    RUN_START_TIMEOUT_SECONDS: String(86_400),
  });
  key = await operatorServiceKey(billing.server, 'settle-after-renewal', ['runs:authorize', 'runs:settle']);
});
afterAll(async () => {
  await billing?.stop();
});

const api = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) =>
  request<T>(billing.server.url, method, `/api/v1${path}`, { token: key, body });

async function started(c: Customer, runId: string, estimate: number) {
  const authorized = await api('POST', '/usage/authorize', { userId: c.userId, runId, estimate });
  expect(authorized.status, JSON.stringify(authorized.body)).toBe(200);
  const start = await api('POST', '/usage/start', { userId: c.userId, runId });
  expect(start.status, JSON.stringify(start.body)).toBe(200);
}

const settle = (c: Customer, runId: string, actual: number) =>
  api('POST', '/usage/settle', { userId: c.userId, runId, actual });

async function periods(c: Customer) {
  const rows = await queryRows<{ used: number; run_limit: number }>(
    billing.server.testDb.db,
    sql`select used, run_limit from usage_periods where account_id = ${personalAccountId(c.userId)}
        order by period_start`,
  );
  return rows.map((row) => [Number(row.used), Number(row.run_limit)]);
}

async function balance(c: Customer) {
  const result = await c.call('query', 'usage.balance');
  expect(result.status).toBe(200);
  return result.data as { allowance: { used: number; limit: number }; creditsRemaining: number };
}

describe('settle after a paid renewal (BASIC, 100 runs)', () => {
  it('an overrun settled after the renewal is charged in full, from the new allowance before any credits', async () => {
    const c = await Customer.signUp(billing);
    await c.checkout('BASIC', CARDS.success);
    await billing.server.services.credits.grantCredits({
      accountId: personalAccountId(c.userId),
      units: 50,
      expiresAt: null,
      reason: 'test',
      grantedBy: 'cli:test',
    });
    await started(c, 'x', 5);
    await started(c, 'y', 5);
    await c.advanceDays(31);
    expect(await periods(c)).toEqual([
      [10, 10],
      [0, 100],
    ]);

    expect((await settle(c, 'x', 40)).body).toMatchObject({ actual: 40, charged: 40 });
    expect((await settle(c, 'y', 1)).body).toMatchObject({ actual: 1, charged: 1 });
    expect(await periods(c)).toEqual([
      [6, 10],
      [35, 100],
    ]);
    const after = await balance(c);
    expect(after.allowance).toMatchObject({ used: 35, limit: 100 });
    expect(after.creditsRemaining).toBe(50);
  }, 120_000);

  it('an attacker settling tiny reservations at huge costs after the renewal only spends the new period, then is refused', async () => {
    const c = await Customer.signUp(billing);
    await c.checkout('BASIC', CARDS.success);
    await started(c, 'a', 1);
    await started(c, 'b', 1);
    await c.advanceDays(31);
    expect((await settle(c, 'a', 10_000)).body).toMatchObject({ actual: 10_000, charged: 101 });
    expect((await settle(c, 'b', 10_000)).body).toMatchObject({ actual: 10_000, charged: 1 });
    expect((await balance(c)).allowance).toMatchObject({ used: 100, limit: 100 });
    const refused = await api('POST', '/usage/authorize', { userId: c.userId, runId: 'c', estimate: 1 });
    expect(refused.status).toBe(402);
  }, 120_000);
});
