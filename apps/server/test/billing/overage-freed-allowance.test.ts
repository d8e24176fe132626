import { personalAccountId, queryRows } from '@tollgate/db';
import { emulatorControl } from '@tollgate/stripe-emulator';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { request } from '../support/http';
import { operatorServiceKey } from '../support/operators';
import { customerIdOf } from './account-rows';
import { CARDS, Customer } from './scenarios';

// A run holding the whole allowance settles low: the overage another run drew meanwhile becomes
// allowance (packages/db/src/repositories/overage-rebalance.ts), and the renewal invoice bills none.

let billing: BillingTestServer;
let key: string;
beforeAll(async () => {
  billing = await startBillingTestServer({ RUN_SETTLE_TIMEOUT_SECONDS: String(30 * 86_400) });
  key = await operatorServiceKey(billing.server, 'overage-freed-allowance', [
    'runs:authorize',
    'runs:settle',
  ]);
});
afterAll(async () => {
  await billing?.stop();
});

const api = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) =>
  request<T>(billing.server.url, method, `/api/v1${path}`, { token: key, body });

async function started(c: Customer, runId: string, estimate: number) {
  expect((await api('POST', '/usage/authorize', { userId: c.userId, runId, estimate })).status).toBe(200);
  expect((await api('POST', '/usage/start', { userId: c.userId, runId })).status).toBe(200);
}

async function settled(c: Customer, runId: string, actual: number) {
  const result = await api('POST', '/usage/settle', { userId: c.userId, runId, actual });
  expect(result.body).toMatchObject({ charged: actual });
}

async function overageCustomer() {
  const c = await Customer.signUp(billing);
  await c.checkout('BASIC', CARDS.success);
  expect((await c.call('mutation', 'billing.updateSpendSettings', { overageEnabled: true })).status).toBe(
    200,
  );
  return c;
}

async function periodRow(c: Customer) {
  const [row] = await queryRows<{ used: number; overage_used: number }>(
    billing.server.testDb.db,
    sql`select used, overage_used from usage_periods where account_id = ${personalAccountId(c.userId)}
        order by period_start limit 1`,
  );
  return { used: Number(row?.used), overageUsed: Number(row?.overage_used) };
}

async function meterTotal(c: Customer) {
  const customerId = await customerIdOf(billing.server.testDb.db, c);
  const overage = billing.settings.overage;
  if (!overage) throw new Error('no overage settings');
  return emulatorControl(billing.emulator.url).meterTotal(overage.meterId, customerId);
}

async function renewalUsageQuantity(c: Customer) {
  const customerId = await customerIdOf(billing.server.testDb.db, c);
  const invoices = await billing.stripe.invoices.list({ customer: customerId });
  const renewal = invoices.data.find((invoice) => invoice.billing_reason === 'subscription_cycle');
  expect(renewal).toBeDefined();
  const usageLine = renewal?.lines.data.find(
    (line) => line.pricing?.price_details?.price === billing.settings.overage?.priceId,
  );
  return { quantity: usageLine?.quantity ?? 0, status: renewal?.status };
}

function services() {
  const stripe = billing.server.services.stripe;
  if (!stripe) throw new Error('no Stripe services');
  return stripe;
}

describe('a give-back frees allowance another run paid overage for', () => {
  it('long holds the allowance and settles at 1; short (10) meanwhile is not invoiced as overage', async () => {
    const c = await overageCustomer();
    await started(c, 'long', 100);
    await started(c, 'short', 10);
    await settled(c, 'short', 10);
    await settled(c, 'long', 1);
    expect(await periodRow(c)).toEqual({ used: 11, overageUsed: 0 });
    await services().meterReporter.runOnce();
    expect(await meterTotal(c)).toBe(0);
    await c.advanceDays(32);
    expect(await renewalUsageQuantity(c)).toMatchObject({ quantity: 0 }); // was 10 (125¢)
  }, 120_000);

  it('the overage was reported before the give-back: the reconciliation cancels it before the invoice', async () => {
    const c = await overageCustomer();
    await started(c, 'long', 100);
    await started(c, 'short', 10);
    await settled(c, 'short', 10);
    await services().meterReporter.runOnce();
    expect(await meterTotal(c)).toBe(10);
    await settled(c, 'long', 1);
    expect(await periodRow(c)).toEqual({ used: 11, overageUsed: 0 });
    // −10 can't be a meter event: the flush leaves it unbatched (docs/design/overage.md § 3).
    await services().meterReporter.runOnce();
    expect(await meterTotal(c)).toBe(10);
    // The hourly pass reconciles open periods too: once the books are quiet (10 minutes), Stripe's 10
    // are canceled with a meter event adjustment (within Stripe's 24 hours of the report).
    await c.advanceDays(1 / 24);
    await services().meterReconciliation.reconcileRecent({
      endedAfter: new Date(billing.emulator.clock.now().getTime() - 35 * 86_400_000),
    });
    expect(await meterTotal(c)).toBe(0);
    await c.advanceDays(32);
    expect(await renewalUsageQuantity(c)).toMatchObject({ quantity: 0 });
  }, 120_000);
});
