import { duplicateSubscriptions, personalAccountId, subscriptions, updateSubscription } from '@tollgate/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { payCheckout } from '../support/hosted-pages';
import { trpc } from '../support/http';
import { registerVerifiedUser } from '../support/test-server';
import { addMembers } from '../teams/team-support';
import { CARDS, Customer } from './scenarios';

// A renewal fails (past_due), the payment grace (7 days) runs out, and the customer, now on Free, buys
// a plan again. Before, the checkout was let through (the guard read the effective plan, FREE) and the
// sync then kept the old unpaid subscription (a tie or a higher plan kept the stored one): it canceled
// the new, paid one, the customer stayed on Free and an operator was told to refund the payment. Now a
// paid-up subscription wins over an unpaid one whatever the plans, the unpaid one is canceled at
// Stripe, and the customer gets (and is billed for) exactly the plan they just bought. During the
// grace the checkout is still refused: the card is fixed in the portal.

const ACCOUNT_HEADER = 'x-tollgate-account';
const DAY_SECONDS = 86_400;
const GRACE_DAYS = 7; // the server's default PAYMENT_GRACE_DAYS

type Plan = 'BASIC' | 'PRO' | 'TEAM';

let inOrder: BillingTestServer;
let chaotic: BillingTestServer;
/** Retries end early (a day apart) and leave the subscription unpaid instead of canceling it. */
let endsUnpaid: BillingTestServer;
/** The server the running test uses (set per describe block below). */
let billing: BillingTestServer;
beforeAll(async () => {
  const env = { SEAT_SYNC_INTERVAL_SECONDS: '0' };
  [inOrder, chaotic, endsUnpaid] = await Promise.all([
    startBillingTestServer(env),
    startBillingTestServer(env),
    startBillingTestServer(env, {
      retrySchedule: [DAY_SECONDS, DAY_SECONDS],
      endStateAfterRetries: 'unpaid',
    }),
  ]);
  // Every event delivered twice, held until drained and then released in a seeded random order.
  chaotic.emulator.webhooks.setMode({ duplicate: true, shuffle: true, seed: 20270316 });
});
afterAll(async () => {
  await Promise.all([inOrder?.stop(), chaotic?.stop(), endsUnpaid?.stop()]);
});

/** Who buys: a personal account (its user's token) or a team (its owner's token and the team's header). */
interface Buyer {
  accountId: string;
  call: Customer['call'];
}

async function personalBuyer(): Promise<Buyer> {
  const customer = await Customer.signUp(billing);
  const { token } = customer;
  return {
    accountId: personalAccountId(customer.userId),
    call: (kind, path, input) => trpc(billing.server.url, kind, path, input, token),
  };
}

async function teamBuyer(members: number): Promise<Buyer> {
  const owner = await registerVerifiedUser(billing.server);
  const created = await trpc<{ id: string }>(
    billing.server.url,
    'mutation',
    'accounts.create',
    { name: 'Resubscribing team' },
    owner.accessToken,
  );
  expect(created.status).toBe(200);
  const accountId = created.data?.id ?? '';
  await addMembers(billing.server, accountId, members);
  return {
    accountId,
    call: (kind, path, input) =>
      trpc(billing.server.url, kind, path, input, owner.accessToken, { [ACCOUNT_HEADER]: accountId }),
  };
}

/**
 * Drains until nothing new is sent: the sync cancels the unpaid subscription after its commit, and
 * that cancellation's events (held in shuffle mode) come with the next drain.
 */
async function settle(): Promise<void> {
  for (let round = 0; round < 5; round += 1) {
    const before = billing.emulator.webhooks.log().length;
    await billing.emulator.webhooks.drain();
    if (round > 0 && billing.emulator.webhooks.log().length === before) return;
  }
}

async function advanceDays(days: number): Promise<void> {
  await billing.emulator.clock.advance(days * DAY_SECONDS);
  await settle();
}

async function overview(buyer: Buyer) {
  const result = await buyer.call('query', 'billing.subscription');
  expect(result.status).toBe(200);
  return result.data;
}

async function buy(buyer: Buyer, plan: Plan, card: string): Promise<void> {
  const session = await buyer.call('mutation', 'billing.createCheckoutSession', { plan });
  expect(session.status, JSON.stringify(session.error)).toBe(200);
  expect((await payCheckout(session.data.url, card)).status).toBe(303);
  await settle();
}

async function storedRow(accountId: string) {
  const { db } = billing.server.testDb;
  const [row] = await db.select().from(subscriptions).where(eq(subscriptions.accountId, accountId));
  if (!row?.stripeSubscriptionId || !row.stripeCustomerId) throw new Error('no stored subscription');
  return { ...row, stripeSubscriptionId: row.stripeSubscriptionId, stripeCustomerId: row.stripeCustomerId };
}

/** What the customer paid on a subscription's invoices, in cents. */
async function paidOn(subscriptionId: string): Promise<number> {
  const invoices = await billing.stripe.invoices.list({ subscription: subscriptionId, limit: 100 });
  return invoices.data.reduce((sum, invoice) => sum + invoice.amount_paid, 0);
}

/** `plan` bought with a card that fails at renewal, renewal failed, then past the grace. */
async function pastGrace(buyer: Buyer, plan: Plan) {
  await buy(buyer, plan, CARDS.failsLater);
  expect(await overview(buyer)).toMatchObject({ plan, status: 'active' });
  await advanceDays(31);
  expect(await overview(buyer)).toMatchObject({ plan, status: 'past_due' });
  await advanceDays(GRACE_DAYS + 2);
  const row = await storedRow(buyer.accountId);
  expect(row).toMatchObject({ plan, status: 'past_due' });
  return { oldId: row.stripeSubscriptionId, customerId: row.stripeCustomerId };
}

async function expectResubscribed(buyer: Buyer, stored: Plan, bought: Plan, limit: number) {
  const { oldId, customerId } = await pastGrace(buyer, stored);
  const before = await overview(buyer);
  expect(before).toMatchObject({ plan: 'FREE', status: 'past_due' });
  const paidOnOld = await paidOn(oldId);

  await buy(buyer, bought, CARDS.success);

  // The customer has the plan they paid for, with its runs.
  expect(await overview(buyer)).toMatchObject({
    plan: bought,
    status: 'active',
    graceEndsAt: null,
    blockedReason: null,
    usage: { limit, used: 0 },
  });
  const run = await buyer.call('mutation', 'usage.authorize', { runId: `after-${crypto.randomUUID()}` });
  expect(run.status, JSON.stringify(run.error)).toBe(200);
  expect(run.data).toMatchObject({ plan: bought, status: 'active', limit });

  // Exactly one subscription left billing the customer: the new one; the unpaid one is canceled.
  const row = await storedRow(buyer.accountId);
  const newId = row.stripeSubscriptionId;
  expect(newId).not.toBe(oldId);
  expect(row).toMatchObject({ plan: bought, status: 'active', pastDueSince: null });
  const atStripe = await billing.stripe.subscriptions.list({ customer: customerId, status: 'all' });
  const statuses = Object.fromEntries(atStripe.data.map((sub) => [sub.id, sub.status]));
  expect(statuses).toEqual({ [oldId]: 'canceled', [newId]: 'active' });
  const [duplicate, ...others] = await billing.server.testDb.db
    .select()
    .from(duplicateSubscriptions)
    .where(eq(duplicateSubscriptions.accountId, buyer.accountId));
  expect(others).toEqual([]);
  expect(duplicate).toMatchObject({
    keptStripeSubscriptionId: newId,
    canceledStripeSubscriptionId: oldId,
    canceledPlan: stored,
    lastError: null,
    // Nothing to refund: the old subscription's paid month was used, its unpaid renewal never paid.
    amountOwed: 0,
  });
  expect(duplicate?.canceledAt).not.toBeNull();
  // Its unpaid renewal is void: no longer payable through the dunning email's link.
  const stillOpen = await billing.stripe.invoices.list({ subscription: oldId, status: 'open' });
  expect(stillOpen.data).toEqual([]);

  // A month on: the new subscription renews (paid), the old one never charges again.
  const paidOnNew = await paidOn(newId);
  expect(paidOnNew).toBeGreaterThan(0);
  await advanceDays(31);
  expect(await paidOn(oldId)).toBe(paidOnOld);
  expect(await paidOn(newId)).toBe(2 * paidOnNew);
  expect(await overview(buyer)).toMatchObject({ plan: bought, status: 'active', usage: { limit } });
}

describe.each([
  ['in order', () => inOrder],
  ['twice and shuffled', () => chaotic],
] as const)('buying a plan again once an unpaid one is past its grace (webhooks %s)', (_name, server) => {
  beforeEach(() => {
    billing = server();
  });

  it.each([
    ['BASIC', 'BASIC', 100],
    ['PRO', 'BASIC', 100],
    ['BASIC', 'PRO', 1000],
  ] as const)(
    '%s past_due past the grace, then %s paid: the new plan, the old subscription canceled',
    async (stored, bought, limit) => {
      await expectResubscribed(await personalBuyer(), stored, bought, limit);
    },
  );

  it('a team: TEAM past_due past the grace, then TEAM paid again', async () => {
    const team = await teamBuyer(2);
    await expectResubscribed(team, 'TEAM', 'TEAM', 2000);
  });
});

describe('what a checkout answers while a plan is unpaid', () => {
  beforeEach(() => {
    billing = inOrder;
  });

  it('during the grace the checkout is refused: the card is fixed in the portal instead', async () => {
    const buyer = await personalBuyer();
    await buy(buyer, 'PRO', CARDS.failsLater);
    await advanceDays(31);
    expect(await overview(buyer)).toMatchObject({ plan: 'PRO', status: 'past_due' });
    const refused = await buyer.call('mutation', 'billing.createCheckoutSession', { plan: 'BASIC' });
    expect(refused.status).toBe(409);
    expect(refused.error?.data.appCode).toBe('ALREADY_SUBSCRIBED');
    expect(refused.error?.message).toMatch(/last payment for the Pro plan failed.*portal/);
  });

  it('an overdue Enterprise deal is never displaced by a Checkout, even past the grace', async () => {
    const buyer = await personalBuyer();
    const longAgo = new Date(billing.emulator.clock.now().getTime() - 40 * DAY_SECONDS * 1000);
    await updateSubscription(billing.server.testDb.db, buyer.accountId, {
      plan: 'ENTERPRISE',
      status: 'past_due',
      pastDueSince: longAgo,
      customRunLimit: 5000,
    });
    expect(await overview(buyer)).toMatchObject({ plan: 'FREE', status: 'past_due' });
    const refused = await buyer.call('mutation', 'billing.createCheckoutSession', { plan: 'PRO' });
    expect(refused.status).toBe(409);
    expect(refused.error?.data.appCode).toBe('ALREADY_SUBSCRIBED');
    expect(refused.error?.message).toMatch(/Enterprise invoice is overdue/);
  });
});

describe('a stored subscription already unpaid (retries over, left unpaid at Stripe)', () => {
  beforeEach(() => {
    billing = endsUnpaid;
  });

  it('a new plan bought: the unpaid one is canceled at Stripe too, and its open invoice is not charged again', async () => {
    const buyer = await personalBuyer();
    await buy(buyer, 'BASIC', CARDS.failsLater);
    await advanceDays(31);
    await advanceDays(3); // both retries failed
    const { stripeSubscriptionId: oldId, stripeCustomerId } = await storedRow(buyer.accountId);
    expect(await storedRow(buyer.accountId)).toMatchObject({ status: 'unpaid' });

    await buy(buyer, 'PRO', CARDS.success);

    expect(await overview(buyer)).toMatchObject({ plan: 'PRO', status: 'active', usage: { limit: 1000 } });
    const atStripe = await billing.stripe.subscriptions.list({ customer: stripeCustomerId, status: 'all' });
    const statuses = Object.fromEntries(atStripe.data.map((sub) => [sub.id, sub.status]));
    const newId = (await storedRow(buyer.accountId)).stripeSubscriptionId;
    expect(statuses).toEqual({ [oldId]: 'canceled', [newId]: 'active' });
  });
});
