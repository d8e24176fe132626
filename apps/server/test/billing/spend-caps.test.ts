import { getSubscription, personalAccountId } from '@tollgate/db';
import { emulatorControl } from '@tollgate/stripe-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { trpc } from '../support/http';
import { registerOperator } from '../support/operators';
import { CARDS, Customer } from './scenarios';

let billing: BillingTestServer;
beforeAll(async () => {
  billing = await startBillingTestServer();
});
afterAll(async () => {
  await billing?.stop();
});

async function spend(customer: Customer) {
  const answer = await customer.call('query', 'billing.spendSettings');
  expect(answer.status).toBe(200);
  return answer.data as {
    overage: { enabled: boolean; isAvailable: boolean; unitAmountDecimal: string };
    cap: unknown;
    operatorCap: unknown;
    effectiveCap: { runs: number; setBy: string } | null;
    overageRuns: number;
    spentCents: number;
  };
}

/** A BASIC customer (100 runs) who used them all. */
async function basicCustomerOutOfRuns(): Promise<Customer> {
  const customer = await Customer.signUp(billing);
  await customer.checkout('BASIC', CARDS.success);
  const statuses = await customer.runs(100, 'plan');
  expect(statuses.every((status) => status === 200)).toBe(true);
  return customer;
}

describe('overage and spend caps through the API', () => {
  it('turning overage on puts the metered price on the Stripe subscription; past the plan, runs go on as overage', async () => {
    const customer = await basicCustomerOutOfRuns();
    expect((await customer.authorizeOne()).status).toBe(402);
    const on = await customer.call('mutation', 'billing.updateSpendSettings', { overageEnabled: true });
    expect(on.status).toBe(200);
    expect(on.data.overage).toMatchObject({ enabled: true, isAvailable: true, unitAmountDecimal: '12.5' });
    const subscriptions = await billing.stripe.subscriptions.list({ limit: 100 });
    const priceIds = subscriptions.data
      .filter((subscription) => subscription.status === 'active')
      .flatMap((subscription) => subscription.items.data.map((item) => item.price.id));
    expect(priceIds).toContain(billing.settings.overage?.priceId);
    // Turning it on twice adds no second metered item.
    expect(
      (await customer.call('mutation', 'billing.updateSpendSettings', { overageEnabled: true })).status,
    ).toBe(200);
    const stored = await getSubscription(billing.server.testDb.db, personalAccountId(customer.userId));
    const live = await billing.stripe.subscriptions.retrieve(stored?.stripeSubscriptionId ?? 'none');
    expect(
      live.items.data.filter((item) => item.price.id === billing.settings.overage?.priceId),
    ).toHaveLength(1);
    for (const runId of ['over-1', 'over-2', 'over-3']) {
      expect((await customer.call('mutation', 'usage.authorize', { runId })).status).toBe(200);
      expect((await customer.call('mutation', 'usage.start', { runId })).status).toBe(200);
    }
    expect(await spend(customer)).toMatchObject({ overageRuns: 3, spentCents: 38 });
    // The plan didn't change: still BASIC, with one metered item next to the plan's.
    expect((await customer.overview()).plan).toBe('BASIC');

    // The server's reporter sends the started runs' overage to Stripe's meter; the renewal bills it.
    const stripe = billing.server.services.stripe;
    if (!stripe || !billing.settings.overage) throw new Error('billing is not configured');
    await stripe.meterReporter.runOnce();
    const [subscription] = (await billing.stripe.subscriptions.list({ limit: 100 })).data.filter(
      (candidate) => candidate.items.data.some((item) => item.price.id === billing.settings.overage?.priceId),
    );
    if (!subscription) throw new Error('no subscription with the metered price');
    const customerId = String(subscription.customer);
    const control = emulatorControl(billing.emulator.url);
    expect(await control.meterTotal(billing.settings.overage.meterId, customerId)).toBe(3);
    await customer.advanceDays(32);
    const invoices = await billing.stripe.invoices.list({ customer: customerId });
    const renewal = invoices.data.find((invoice) => invoice.billing_reason === 'subscription_cycle');
    const usageLine = renewal?.lines.data.find(
      (line) => line.pricing?.price_details?.price === billing.settings.overage?.priceId,
    );
    expect(usageLine).toMatchObject({ quantity: 3, amount: 38 });
  });

  it('a cap stops overage with 402 SPEND_CAP_REACHED saying the cap, the spend and where to raise it; raising it unblocks at once', async () => {
    const customer = await basicCustomerOutOfRuns();
    const capped = await customer.call('mutation', 'billing.updateSpendSettings', {
      overageEnabled: true,
      cap: { kind: 'money', cents: 25 },
    });
    expect(capped.status).toBe(200);
    // $0.25 at 12.5¢ a run: two runs.
    expect(capped.data.effectiveCap).toEqual({ runs: 2, setBy: 'account' });
    expect(await customer.runs(2, 'within')).toEqual([200, 200]);
    const denied = await customer.authorizeOne();
    expect(denied.status).toBe(402);
    expect(denied.error?.data.paymentRequired).toMatchObject({
      code: 'SPEND_CAP_REACHED',
      message: expect.stringContaining('$0.25'),
      spendCap: {
        capRuns: 2,
        capCents: 25,
        setBy: 'account',
        overageRuns: 2,
        spentCents: 25,
        raiseUrl: expect.stringMatching(/\/settings\/subscription\?cap=1$/),
      },
      packs: expect.arrayContaining([expect.objectContaining({ id: 'PACK_100' })]),
    });
    const raised = await customer.call('mutation', 'billing.updateSpendSettings', {
      cap: { kind: 'runs', runs: 3 },
    });
    expect(raised.status).toBe(200);
    expect((await customer.authorizeOne()).status).toBe(200);
    expect((await customer.authorizeOne()).status).toBe(402);
  });

  it('an operator’s cap is enforced when stricter, and the 402 says it is support’s to raise', async () => {
    const customer = await basicCustomerOutOfRuns();
    await customer.call('mutation', 'billing.updateSpendSettings', {
      overageEnabled: true,
      cap: { kind: 'runs', runs: 50 },
    });
    const operator = await registerOperator(billing.server);
    const set = await trpc(
      billing.server.url,
      'mutation',
      'admin.setSpendCap',
      {
        accountId: personalAccountId(customer.userId),
        cap: { kind: 'runs', runs: 1 },
        reason: 'abuse suspected: capped while we look',
      },
      operator.accessToken,
    );
    expect(set.status).toBe(200);
    expect((await spend(customer)).effectiveCap).toEqual({ runs: 1, setBy: 'operator' });
    expect((await customer.authorizeOne()).status).toBe(200);
    const denied = await customer.authorizeOne();
    expect(denied.error?.data.paymentRequired).toMatchObject({
      code: 'SPEND_CAP_REACHED',
      message: expect.stringContaining('support'),
      spendCap: { setBy: 'operator', capCents: null, capRuns: 1 },
    });
    // Clearing their own cap lifts only theirs: the operator's stays in force.
    const cleared = await customer.call('mutation', 'billing.updateSpendSettings', { cap: null });
    expect(cleared.status).toBe(200);
    expect((await spend(customer)).effectiveCap).toEqual({ runs: 1, setBy: 'operator' });
    expect((await customer.authorizeOne()).error?.data.paymentRequired).toMatchObject({
      code: 'SPEND_CAP_REACHED',
    });
    expect((await spend(customer)).overage).toMatchObject({ enabled: true });
  });
});

describe('spend settings refuse what they must', () => {
  it('a user can’t set an operator cap on their own account (403; clearing their own cap leaves an operator’s: above)', async () => {
    const customer = await Customer.signUp(billing);
    const answer = await customer.call('mutation', 'admin.setSpendCap', {
      accountId: personalAccountId(customer.userId),
      cap: null,
      reason: 'lifting my own cap',
    });
    expect(answer.status).toBe(403);
  });

  it('overage on a Free account is refused with 409 and nothing is stored; bad caps get 400', async () => {
    const customer = await Customer.signUp(billing);
    const refused = await customer.call('mutation', 'billing.updateSpendSettings', { overageEnabled: true });
    expect(refused.status).toBe(409);
    expect(refused.error?.message).toMatch(/Basic, Pro or Team/);
    expect((await spend(customer)).overage.enabled).toBe(false);
    for (const cap of [
      { kind: 'money', cents: -1 },
      { kind: 'money', cents: 1.5 },
      { kind: 'runs', runs: 10_000_001 },
      { kind: 'euros', cents: 5 },
    ]) {
      expect((await customer.call('mutation', 'billing.updateSpendSettings', { cap })).status).toBe(400);
    }
    // Free runs are still refused past the plan, with the usual code.
    expect((await customer.runs(11, 'free')).at(-1)).toBe(402);
  });

  it('an auto top-up threshold at or above the pack’s runs is refused (it would buy again at once)', async () => {
    const customer = await Customer.signUp(billing);
    const answer = await customer.call('mutation', 'billing.updateSpendSettings', {
      autoTopUp: { threshold: 100, packId: 'PACK_100', monthlyLimit: 2 },
    });
    expect(answer.status).toBe(400);
  });
});
