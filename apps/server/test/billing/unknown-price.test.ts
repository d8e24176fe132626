import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { trpc } from '../support/http';
import { registerOperator } from '../support/operators';
import { CARDS, Customer, subscribedCustomer } from './scenarios';

let billing: BillingTestServer;
beforeAll(async () => {
  // This server sells BASIC (and TEAM) but not the emulator's PRO price: to it, a price it doesn't know.
  billing = await startBillingTestServer(
    {},
    {},
    {
      priceIds: {
        BASIC: 'price_TollgateBasicMonthly',
        PRO: 'price_retired_pro',
        TEAM: 'price_TollgateTeamMonthly',
      },
    },
  );
});
afterAll(() => billing?.stop());

describe('a Stripe price Tollgate does not know', () => {
  it('keeps the plan, records the price, and shows the account to admins', async () => {
    expect(billing.emulator.prices.BASIC).toBe('price_TollgateBasicMonthly');
    const customer = await Customer.signUp(billing);
    await customer.checkout('BASIC', CARDS.success);
    expect((await customer.overview()).plan).toBe('BASIC');

    // Someone changes the price in the Stripe dashboard to one this deployment doesn't sell.
    const [subscription] = (await billing.stripe.subscriptions.list({ limit: 100 })).data;
    const item = subscription?.items.data[0];
    if (!subscription || !item) throw new Error('no subscription in the emulator');
    await billing.stripe.subscriptions.update(subscription.id, {
      items: [{ id: item.id, price: billing.emulator.prices.PRO }],
    });
    await customer.settle();

    expect(await customer.overview()).toMatchObject({
      plan: 'BASIC',
      status: 'active',
      usage: { limit: 100 },
    });
    const admin = await registerOperator(billing.server);
    const listed = await trpc(
      billing.server.url,
      'query',
      'admin.unknownPrices',
      undefined,
      admin.accessToken,
    );
    expect(listed.data).toEqual([
      expect.objectContaining({
        userId: customer.userId,
        plan: 'BASIC',
        unknownStripePriceId: billing.emulator.prices.PRO,
      }),
    ]);
    expect(
      (await trpc(billing.server.url, 'query', 'admin.unknownPrices', undefined, customer.token)).status,
    ).toBe(403);
  });

  // TEAM is a price this deployment sells, but to team accounts only. Its portal no longer offers it to
  // a personal account (see teams/team-portal-switch.test.ts); moved to it anyway (in the dashboard),
  // the account must not get a team's pool for one seat.
  it('a personal account moved to TEAM keeps its plan; admins see the price', async () => {
    const { customer, subscriptionId } = await subscribedCustomer(billing, 'BASIC');
    await expect(
      customer.portal({ action: 'switch', priceId: billing.emulator.prices.TEAM }),
    ).rejects.toThrow('no "switch" form');
    const subscription = await billing.stripe.subscriptions.retrieve(subscriptionId);
    const item = subscription.items.data[0];
    if (!item) throw new Error('no subscription item');
    await billing.stripe.subscriptions.update(subscriptionId, {
      items: [{ id: item.id, price: billing.emulator.prices.TEAM }],
    });
    await customer.settle();

    expect(await customer.overview()).toMatchObject({ plan: 'BASIC', usage: { limit: 100 } });
    const admin = await registerOperator(billing.server);
    const listed = await trpc(
      billing.server.url,
      'query',
      'admin.unknownPrices',
      undefined,
      admin.accessToken,
    );
    expect(listed.data).toContainEqual(
      expect.objectContaining({
        userId: customer.userId,
        plan: 'BASIC',
        unknownStripePriceId: billing.emulator.prices.TEAM,
      }),
    );
  });
});
