import { getSubscription, linkStripeCustomer, listAudit, personalAccountId } from '@tollgate/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARDS, Customer } from '../billing/scenarios';
import type { BillingTestServer } from '../support/billing-server';
import { payCheckout } from '../support/hosted-pages';
import { trpc } from '../support/http';
import { registerVerifiedUser } from '../support/test-server';
import { ACCOUNT_HEADER, addMembers, createTeam } from '../teams/team-support';
import { invoicedDeal, openDealDesk, type DealDesk } from './deal-support';

const DAY = 86_400;

// What an ENTERPRISE deal does to the subscription it lands on, and what is left once it ends: the
// customer pays the deal's price, for as long as the deal lasts, and its run limit lasts as long.
describe('ENTERPRISE deals: the subscription bills the deal, and the deal ends with it', () => {
  let billing: BillingTestServer;
  let operatorToken: string;
  let sell: DealDesk['sell'];

  beforeAll(async () => {
    ({ billing, operatorToken, sell } = await openDealDesk());
  });
  afterAll(async () => {
    await billing?.stop();
  });

  /** An operator's run limit override (a support gesture), in force from the next authorization. */
  async function setRunLimit(accountId: string, runLimit: number) {
    const set = await trpc(
      billing.server.url,
      'mutation',
      'admin.setRunLimit',
      { accountId, runLimit, reason: 'support gesture' },
      operatorToken,
    );
    expect(set.status).toBe(200);
  }

  /**
   * A customer with a 1,200-run override and a declined card on file, sold a 5,000-run deal by card:
   * the deal's answer.
   */
  async function declinedCardDeal() {
    const customer = await Customer.signUp(billing);
    const accountId = personalAccountId(customer.userId);
    await setRunLimit(accountId, 1200);
    const onFile = await billing.stripe.customers.create({ metadata: { accountId } });
    await linkStripeCustomer(billing.server.deps.db, accountId, onFile.id, new Date());
    billing.emulator.customers.setDefaultCard(onFile.id, CARDS.declined);
    const made = await sell(
      invoicedDeal(accountId, {
        runLimit: 5000,
        collection: 'charge_automatically',
        daysUntilDue: undefined,
        reason: 'annual by card',
      }),
    );
    return { customer, accountId, made };
  }

  /** An invoiced deal that must go through: its answer. */
  async function deal(accountId: string, runLimit = 3000) {
    const made = await sell(invoicedDeal(accountId, { runLimit }));
    expect(made.status, JSON.stringify(made.error)).toBe(200);
    return made.data as { stripeSubscriptionId: string };
  }

  it("a TEAM subscription moved onto the deal bills the deal's price once, not once per seat", async () => {
    const owner = await registerVerifiedUser(billing.server);
    const teamId = await createTeam(billing.server, owner);
    await addMembers(billing.server, teamId, 2);
    const session = await trpc(
      billing.server.url,
      'mutation',
      'billing.createCheckoutSession',
      { plan: 'TEAM' },
      owner.accessToken,
      { [ACCOUNT_HEADER]: teamId },
    );
    expect(session.status).toBe(200);
    expect((await payCheckout(session.data.url, CARDS.success)).status).toBe(303);
    await billing.emulator.webhooks.drain();

    const { stripeSubscriptionId } = await deal(teamId);
    const moved = await billing.stripe.subscriptions.retrieve(stripeSubscriptionId);
    expect(moved.items.data.map((item) => item.quantity)).toEqual([1]);
    await billing.emulator.clock.advance(32 * DAY);
    await billing.emulator.webhooks.drain();
    const renewal = await billing.stripe.invoices.retrieve(
      (await billing.stripe.subscriptions.retrieve(stripeSubscriptionId)).latest_invoice as string,
    );
    expect(renewal.amount_due).toBe(100_000);
  });

  it("a team that never checked out is billed by invoice at its creator's email (Stripe needs one)", async () => {
    const owner = await registerVerifiedUser(billing.server);
    const teamId = await createTeam(billing.server, owner);
    const { stripeSubscriptionId } = await deal(teamId);
    const subscription = await billing.stripe.subscriptions.retrieve(stripeSubscriptionId);
    const customer = await billing.stripe.customers.retrieve(String(subscription.customer));
    expect(customer).toMatchObject({ email: owner.user.email, metadata: { accountId: teamId } });
  });

  it("a team whose customer has no email yet (made before) gets its creator's for the invoice", async () => {
    const owner = await registerVerifiedUser(billing.server);
    const teamId = await createTeam(billing.server, owner);
    const bare = await billing.stripe.customers.create({ metadata: { accountId: teamId } });
    await linkStripeCustomer(billing.server.deps.db, teamId, bare.id, new Date());
    await deal(teamId);
    expect(await billing.stripe.customers.retrieve(bare.id)).toMatchObject({ email: owner.user.email });
  });

  it("a cancellation the customer had scheduled doesn't end the deal", async () => {
    const customer = await Customer.signUp(billing);
    await customer.checkout('BASIC', CARDS.success);
    const stored = await getSubscription(billing.server.deps.db, personalAccountId(customer.userId));
    const scheduled = await billing.stripe.subscriptions.update(stored?.stripeSubscriptionId ?? '', {
      cancel_at_period_end: true,
    });
    await customer.settle();

    const { stripeSubscriptionId } = await deal(personalAccountId(customer.userId));
    expect(stripeSubscriptionId).toBe(scheduled.id);
    expect((await billing.stripe.subscriptions.retrieve(scheduled.id)).cancel_at_period_end).toBe(false);
    await customer.advanceDays(35);
    expect(await customer.overview()).toMatchObject({ plan: 'ENTERPRISE', usage: { limit: 3000 } });
  });

  it("the deal's run limit ends with its subscription: back on FREE's 10 runs", async () => {
    const customer = await Customer.signUp(billing);
    const { stripeSubscriptionId } = await deal(personalAccountId(customer.userId), 5000);
    await customer.settle();
    expect((await customer.overview()).usage.limit).toBe(5000);

    // The customer cancels before paying the first invoice (the Customer Portal's "cancel now").
    await billing.stripe.subscriptions.cancel(stripeSubscriptionId);
    await customer.settle();
    const after = await customer.overview();
    expect(after.plan).toBe('FREE');
    expect(after.usage.limit).toBe(10);
    const statuses = await customer.runs(11, 'after-deal');
    expect(statuses.filter((status) => status === 200)).toHaveLength(10);
    expect(statuses.at(-1)).toBe(402);
  });

  it("a run limit an operator set before the deal gives way to the deal's (the override is cleared with it)", async () => {
    const customer = await Customer.signUp(billing);
    await customer.checkout('BASIC', CARDS.success);
    const accountId = personalAccountId(customer.userId);
    await setRunLimit(accountId, 1200);
    expect((await customer.overview()).usage.limit).toBe(1200);
    const { stripeSubscriptionId } = await deal(accountId, 50_000);
    await customer.settle();
    expect(await customer.overview()).toMatchObject({ plan: 'ENTERPRISE', usage: { limit: 50_000 } });
    // And once the deal ends, neither the deal's limit nor the old override stays.
    await billing.stripe.subscriptions.cancel(stripeSubscriptionId);
    await customer.settle();
    expect((await customer.overview()).usage.limit).toBe(10);
  });

  it('a deal whose card is declined is incomplete: it says so, the account keeps its override, and its expiry changes nothing', async () => {
    const { customer, accountId, made } = await declinedCardDeal();
    expect(made.status, JSON.stringify(made.error)).toBe(200);
    const { stripeSubscriptionId } = made.data;
    expect((await billing.stripe.subscriptions.retrieve(stripeSubscriptionId)).status).toBe('incomplete');
    // The operator is told the deal's own status (not the account's 'active' on FREE), and gets the
    // invoice the customer can still pay with another card.
    expect(made.data).toMatchObject({ status: 'incomplete', runLimit: 5000 });
    expect(made.data.hostedInvoiceUrl).toMatch(/^http/);
    await customer.settle();
    expect(await customer.overview()).toMatchObject({ plan: 'FREE', usage: { limit: 1200 } });
    // The deal made at Stripe is audited, with its status and the override it left in place.
    const audit = await listAudit(billing.server.deps.db, { accountId });
    expect(audit.filter((row) => row.action === 'enterprise_deal')).toEqual([
      expect.objectContaining({
        reason: 'annual by card',
        after: expect.objectContaining({
          runLimit: 1200,
          deal: expect.objectContaining({ status: 'incomplete', stripeSubscriptionId, runLimit: 5000 }),
        }),
      }),
    ]);

    // Unpaid, Stripe ends it a day later: the account is as it was before the deal.
    await billing.emulator.clock.advance(DAY);
    await customer.settle();
    expect((await billing.stripe.subscriptions.retrieve(stripeSubscriptionId)).status).toBe(
      'incomplete_expired',
    );
    expect(await customer.overview()).toMatchObject({ plan: 'FREE', usage: { limit: 1200 } });
    const statuses = await customer.runs(11, 'after-expiry');
    expect(statuses.filter((status) => status === 200)).toHaveLength(11);
  });

  it('a declined deal whose invoice the customer pays later takes effect then: its limit, not the override', async () => {
    const { customer, accountId, made } = await declinedCardDeal();
    expect(made.data).toMatchObject({ status: 'incomplete' });
    const subscription = await billing.stripe.subscriptions.retrieve(made.data.stripeSubscriptionId);
    // The customer pays the open invoice with another card, before Stripe gives up on it.
    const paid = billing.emulator.invoices.pay(String(subscription.latest_invoice), { card: CARDS.success });
    expect(paid.isPaid).toBe(true);
    await customer.settle();
    expect((await billing.stripe.subscriptions.retrieve(subscription.id)).status).toBe('active');
    // The deal's limit, not the 1,200 override, which it replaces (audited by the system).
    expect(await customer.overview()).toMatchObject({ plan: 'ENTERPRISE', usage: { limit: 5000 } });
    const audit = await listAudit(billing.server.deps.db, { accountId });
    expect(audit.filter((row) => row.action === 'enterprise_deal_in_effect')).toEqual([
      expect.objectContaining({ actorUserId: 'system', after: expect.objectContaining({ runLimit: null }) }),
    ]);
  });

  it('two deals for one account at once: one is made, the other is told to come again (429), one subscription', async () => {
    const customer = await Customer.signUp(billing);
    const accountId = personalAccountId(customer.userId);
    // Both would find no live subscription at Stripe while the other makes its own.
    billing.emulator.faults.set({ method: 'GET', path: '/v1/subscriptions', latencyMs: 500, times: 2 });
    const answers = await Promise.all(
      [5000, 8000].map((runLimit) =>
        sell(invoicedDeal(accountId, { runLimit, reason: `deal of ${runLimit}` })),
      ),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 429]);
    await customer.settle();
    const row = await getSubscription(billing.server.deps.db, accountId);
    const live = await billing.stripe.subscriptions.list({ customer: row?.stripeCustomerId ?? '' });
    expect(live.data).toHaveLength(1);
    // The refused one can be sent again once the first is made: it switches that subscription.
    const again = await deal(accountId, 8000);
    expect(again.stripeSubscriptionId).toBe(live.data[0]?.id);
  });

  it('a Checkout paid while the deal is being made is the duplicate, not the deal', async () => {
    const customer = await Customer.signUp(billing);
    const accountId = personalAccountId(customer.userId);
    const checkout = await customer.call('mutation', 'billing.createCheckoutSession', { plan: 'PRO' });
    expect(checkout.status).toBe(200);
    // Stripe is slow to make the deal's subscription; the customer pays PRO meanwhile, and its webhook
    // lands before the deal's subscription exists.
    const slow = billing.emulator.faults.set({
      method: 'POST',
      path: '/v1/subscriptions',
      latencyMs: 1500,
      times: 1,
    });
    const making = deal(accountId);
    for (
      let i = 0;
      i < 100 && billing.emulator.faults.list().find((f) => f.id === slow.id)?.matched === 0;
      i += 1
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await payCheckout(checkout.data.url, CARDS.success)).status).toBe(303);
    await customer.settle();
    const { stripeSubscriptionId } = await making;
    await customer.settle();

    expect((await billing.stripe.subscriptions.retrieve(stripeSubscriptionId)).status).toBe('active');
    expect(await customer.overview()).toMatchObject({ plan: 'ENTERPRISE', usage: { limit: 3000 } });
  });
});
