import { personalAccountId } from '@tollgate/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { request } from '../support/http';
import { operatorServiceKey } from '../support/operators';
import { customerIdOf, purchasesOf } from './account-rows';
import { CARDS, Customer } from './scenarios';

// What asks auto top-up for a purchase besides a reservation crossing the threshold: a settle whose
// overrun empties the balance, and a run refused for lack of balance (quota or spend cap). Without them
// an account with auto top-up on stayed on 402 for the rest of its period: reservations were the only
// trigger, and none is admitted any more.

let billing: BillingTestServer;
let key: string;
beforeAll(async () => {
  billing = await startBillingTestServer({
    RUN_SETTLE_TIMEOUT_SECONDS: String(30 * 86_400),
    RUN_START_TIMEOUT_SECONDS: String(86_400),
  });
  key = await operatorServiceKey(billing.server, 'auto-top-up-triggers', ['runs:authorize', 'runs:settle']);
});
afterAll(async () => {
  await billing?.stop();
});

const db = () => billing.server.testDb.db;
const api = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) =>
  request<T>(billing.server.url, method, `/api/v1${path}`, { token: key, body });

/**
 * The account's purchases once `count` of them exist and none is pending (a purchase starts after the
 * answer, never awaited by the run), or as they are after ~15 s.
 */
async function purchasesAfter(customer: Customer, count: number) {
  for (let i = 0; i < 600; i += 1) {
    const rows = await purchasesOf(db(), customer);
    if (rows.length >= count && rows.every((row) => row.status !== 'pending')) return rows;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return purchasesOf(db(), customer);
}

const statusesOf = (rows: { status: string; createdAt: Date }[]) =>
  [...rows].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime()).map((row) => row.status);

async function setSpend(customer: Customer, settings: object) {
  const answer = await customer.call('mutation', 'billing.updateSpendSettings', settings);
  expect(answer.status, JSON.stringify(answer.error)).toBe(200);
}

async function totalRemaining(customer: Customer): Promise<number> {
  const balance = await customer.call('query', 'usage.balance');
  expect(balance.status).toBe(200);
  return balance.data.totalRemaining as number;
}

/** A BASIC customer (100 runs) whose first purchase was declined (0002 on file): 24 h of back-off. */
async function declinedOnce(extra: object = {}): Promise<Customer> {
  const customer = await Customer.signUp(billing);
  await customer.checkout('BASIC', CARDS.success);
  billing.emulator.customers.setDefaultCard(await customerIdOf(db(), customer), CARDS.declined);
  await setSpend(customer, { autoTopUp: { threshold: 50, packId: 'PACK_100', monthlyLimit: 3 }, ...extra });
  expect((await customer.runs(100, 'plan')).every((status) => status === 200)).toBe(true);
  expect(statusesOf(await purchasesAfter(customer, 1))).toEqual(['declined']);
  expect(await totalRemaining(customer)).toBe(0);
  return customer;
}

/** A good card on file and the back-off over. */
async function goodCardAfterBackoff(customer: Customer) {
  billing.emulator.customers.setDefaultCard(await customerIdOf(db(), customer), CARDS.success);
  await billing.emulator.clock.advance(25 * 3600);
}

describe('auto top-up asked by a settle and by refusals', () => {
  it('a settle whose overrun takes the balance from 100 to 0 buys the pack; the next run is served', async () => {
    const customer = await Customer.signUp(billing);
    await customer.checkout('BASIC', CARDS.success);
    await setSpend(customer, { autoTopUp: { threshold: 50, packId: 'PACK_100', monthlyLimit: 3 } });
    const big = { userId: customer.userId, runId: 'big', estimate: 1 };
    expect((await api('POST', '/usage/authorize', big)).status).toBe(200);
    expect((await api('POST', '/usage/start', { userId: customer.userId, runId: 'big' })).status).toBe(200);
    const settled = await api('POST', '/usage/settle', {
      userId: customer.userId,
      runId: 'big',
      actual: 100,
    });
    expect(settled.body).toMatchObject({ actual: 100, charged: 100 });

    expect(statusesOf(await purchasesAfter(customer, 1))).toEqual(['succeeded']);
    const next = await api('POST', '/usage/authorize', {
      userId: customer.userId,
      runId: 'next',
      estimate: 1,
    });
    expect(next.status, JSON.stringify(next.body)).toBe(200);
    expect(await totalRemaining(customer)).toBe(99);
    // One crossing, one purchase: the run just served (balance 99) asks for nothing.
    expect(statusesOf(await purchasesOf(db(), customer))).toEqual(['succeeded']);
  }, 120_000);

  it('after a declined purchase and its back-off, a refused run buys the pack (the caller still gets its 402); 30 refused at once buy one', async () => {
    const customer = await declinedOnce();
    await goodCardAfterBackoff(customer);
    const refused = await Promise.all(Array.from({ length: 30 }, () => customer.authorizeOne()));
    // Refusals are answered before the purchase lands (never awaited); a run decided after it is served.
    const first = refused.find((answer) => answer.status === 402);
    expect(first?.error?.data?.paymentRequired).toMatchObject({ code: 'USAGE_LIMIT_REACHED' });
    expect(refused.every((answer) => answer.status === 402 || answer.status === 200)).toBe(true);
    expect(statusesOf(await purchasesAfter(customer, 2))).toEqual(['declined', 'succeeded']);
    expect((await customer.authorizeOne()).status).toBe(200);
    // Still one purchase for the crossing, whatever asked.
    const { period } = (await customer.call('query', 'billing.spendSettings')).data as {
      period: { start: string };
    };
    const accountId = personalAccountId(customer.userId);
    expect(await billing.server.services.autoTopUp?.attempt(accountId, new Date(period.start))).toBeNull();
    expect(statusesOf(await purchasesOf(db(), customer))).toEqual(['declined', 'succeeded']);
  }, 120_000);

  it('a run refused by the spend cap buys the pack when auto top-up is on (a pack comes before overage)', async () => {
    const customer = await declinedOnce({ overageEnabled: true, cap: { kind: 'runs', runs: 2 } });
    expect(await customer.runs(2, 'overage')).toEqual([200, 200]);
    const capped = await customer.authorizeOne();
    expect(capped.status).toBe(402);
    expect(capped.error?.data?.paymentRequired).toMatchObject({ code: 'SPEND_CAP_REACHED' });
    await goodCardAfterBackoff(customer);
    const refused = await customer.authorizeOne();
    expect(refused.status).toBe(402);
    expect(refused.error?.data?.paymentRequired).toMatchObject({ code: 'SPEND_CAP_REACHED' });
    expect(statusesOf(await purchasesAfter(customer, 2))).toEqual(['declined', 'succeeded']);
    expect((await customer.authorizeOne()).status).toBe(200);
    // The run came from the pack, not from more overage.
    const spend = (await customer.call('query', 'billing.spendSettings')).data as { overageRuns: number };
    expect(spend.overageRuns).toBe(2);
    expect(await totalRemaining(customer)).toBe(99);
  }, 120_000);
});
