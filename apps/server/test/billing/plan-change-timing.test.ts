import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { personalAccountId } from '@tollgate/db';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { trpc } from '../support/http';
import { registerOperator } from '../support/operators';
import { subscribedCustomer } from './scenarios';

// When a plan change in the Customer Portal takes effect, and what it costs. Tollgate's portal
// configuration (packages/api/src/billing/portal-configuration.ts) invoices an upgrade's prorated
// difference at once (always_invoice) and schedules a switch to a lower amount for the period end
// (schedule_at_period_end: decreasing_item_amount). Before, with create_prorations and immediate
// switches, BASIC → PRO → 300 runs → BASIC within an hour was billed [1900, 1900]: the upgrade's charge
// and the downgrade's credit for unused PRO time cancelled out, so 1,000 runs a month cost ≈ $19.

let billing: BillingTestServer;
beforeAll(async () => {
  billing = await startBillingTestServer();
});
afterAll(async () => {
  await billing?.stop();
});

async function invoicesOf(subscriptionId: string) {
  return (await billing.stripe.invoices.list({ subscription: subscriptionId, limit: 100 })).data;
}

describe('plan changes in the portal: upgrades now and paid now, downgrades at the period end', () => {
  it('BASIC → PRO → 300 runs → BASIC: the upgrade is paid at once, PRO stays until the renewal, then BASIC', async () => {
    const { customer, subscriptionId } = await subscribedCustomer(billing, 'BASIC');
    await customer.portal({ action: 'switch', priceId: billing.emulator.prices.PRO });
    expect(await customer.overview()).toMatchObject({ plan: 'PRO', usage: { limit: 1000 } });
    const [upgrade] = await invoicesOf(subscriptionId);
    expect(upgrade).toMatchObject({ billing_reason: 'subscription_update', status: 'paid' });
    // Minutes into the month: the PRO − BASIC difference for nearly all of it.
    expect(upgrade?.amount_paid).toBeGreaterThan(2900);

    const statuses = (
      await Promise.all(Array.from({ length: 6 }, (_, batch) => customer.runs(50, `p${batch}`)))
    ).flat();
    expect(statuses.filter((status) => status === 200)).toHaveLength(300);

    await customer.portal({ action: 'switch', priceId: billing.emulator.prices.BASIC });
    // The switch back waits for the period end: no credit for the PRO time, PRO's allowance stays.
    expect(await customer.overview()).toMatchObject({ plan: 'PRO', usage: { used: 300, limit: 1000 } });
    const scheduled = await billing.stripe.subscriptions.retrieve(subscriptionId);
    expect(scheduled.items.data[0]?.price.id).toBe(billing.emulator.prices.PRO);
    expect(scheduled.schedule).toMatch(/^sub_sched_/);
    expect(await invoicesOf(subscriptionId)).toHaveLength(2); // checkout + upgrade, no credit note
    expect((await customer.authorizeOne()).data).toMatchObject({ plan: 'PRO', used: 301 });

    await customer.advanceDays(31);
    expect(await customer.overview()).toMatchObject({
      plan: 'BASIC',
      status: 'active',
      usage: { used: 0, limit: 100 },
    });
    const invoices = await invoicesOf(subscriptionId);
    expect(invoices[0]).toMatchObject({ billing_reason: 'subscription_cycle', amount_paid: 1900 });
    // The month with PRO's runs was paid at (nearly) PRO's price: 1900 + the upgrade's ≈ 3000.
    const firstMonth = invoices.slice(1).reduce((sum, invoice) => sum + invoice.amount_paid, 0);
    expect(firstMonth).toBeGreaterThan(4800);
  });

  it('PRO → BASIC mid-period keeps PRO’s allowance until the renewal', async () => {
    const { customer, subscriptionId } = await subscribedCustomer(billing, 'PRO');
    expect(await customer.runs(120, 'before')).toEqual(Array(120).fill(200));
    await customer.advanceDays(10);
    await customer.portal({ action: 'switch', priceId: billing.emulator.prices.BASIC });
    expect(await customer.overview()).toMatchObject({ plan: 'PRO', usage: { used: 120, limit: 1000 } });
    // Past BASIC's 100: the period was paid at PRO's price.
    expect(await customer.runs(30, 'after')).toEqual(Array(30).fill(200));
    expect(await invoicesOf(subscriptionId)).toHaveLength(1);

    await customer.advanceDays(21);
    expect(await customer.overview()).toMatchObject({ plan: 'BASIC', usage: { used: 0, limit: 100 } });
    const statuses = await customer.runs(101, 'renewed');
    expect(statuses.filter((status) => status === 200)).toHaveLength(100);
    expect(statuses.at(-1)).toBe(402);
    expect((await invoicesOf(subscriptionId))[0]).toMatchObject({
      billing_reason: 'subscription_cycle',
      amount_paid: 1900,
    });
  });
});

// A downgrade scheduled in the portal is held by a subscription schedule: Stripe refuses to set such a
// subscription's cancellation directly, and the schedule would put BASIC back over a deal's price at
// the period end. An operator's cancellation and a deal release the schedule first.
describe('operator actions on a subscription with a downgrade scheduled in the portal', () => {
  async function proScheduledForBasic() {
    const subscribed = await subscribedCustomer(billing, 'PRO');
    await subscribed.customer.portal({ action: 'switch', priceId: billing.emulator.prices.BASIC });
    const scheduled = await billing.stripe.subscriptions.retrieve(subscribed.subscriptionId);
    expect(scheduled.schedule).toMatch(/^sub_sched_/);
    const operatorToken = (await registerOperator(billing.server)).accessToken;
    return { ...subscribed, accountId: personalAccountId(subscribed.customer.userId), operatorToken };
  }

  it('admin.cancelSubscription at the period end: accepted, PRO until then, then Free (no BASIC renewal)', async () => {
    const { customer, subscriptionId, accountId, operatorToken } = await proScheduledForBasic();
    const canceled = await trpc(
      billing.server.url,
      'mutation',
      'admin.cancelSubscription',
      { accountId, atPeriodEnd: true, reason: 'customer asked support' },
      operatorToken,
    );
    expect(canceled.status, JSON.stringify(canceled.error)).toBe(200);
    const atStripe = await billing.stripe.subscriptions.retrieve(subscriptionId);
    expect(atStripe).toMatchObject({ schedule: null, cancel_at_period_end: true });
    expect(atStripe.items.data[0]?.price.id).toBe(billing.emulator.prices.PRO);
    expect(await customer.overview()).toMatchObject({ plan: 'PRO', usage: { limit: 1000 } });

    await customer.advanceDays(31);
    expect(await customer.overview()).toMatchObject({ plan: 'FREE', usage: { limit: 10 } });
    expect((await invoicesOf(subscriptionId)).map((invoice) => invoice.billing_reason)).toEqual([
      'subscription_create',
    ]);
  });

  it("an ENTERPRISE deal: the deal's price stays after the period end (the scheduled BASIC is dropped)", async () => {
    const { customer, subscriptionId, accountId, operatorToken } = await proScheduledForBasic();
    const made = await trpc(
      billing.server.url,
      'mutation',
      'admin.createEnterpriseDeal',
      {
        accountId,
        runLimit: 5000,
        priceCents: 100_000,
        interval: 'month',
        collection: 'charge_automatically',
        reason: 'signed order form',
      },
      operatorToken,
    );
    expect(made.status, JSON.stringify(made.error)).toBe(200);
    const dealPrice = (await billing.stripe.subscriptions.retrieve(subscriptionId)).items.data[0]?.price.id;
    expect(dealPrice).not.toBe(billing.emulator.prices.PRO);

    await customer.advanceDays(31);
    const renewed = await billing.stripe.subscriptions.retrieve(subscriptionId);
    expect(renewed.items.data[0]?.price.id).toBe(dealPrice);
    expect(await customer.overview()).toMatchObject({ plan: 'ENTERPRISE', usage: { limit: 5000 } });
    expect((await invoicesOf(subscriptionId))[0]).toMatchObject({ amount_paid: 100_000 });
  });
});
