import { creditGrants, emailOutbox, getSpendSettings, personalAccountId } from '@tollgate/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { customerIdOf, purchasesOf } from './account-rows';
import { CARDS, Customer } from './scenarios';

let billing: BillingTestServer;
beforeAll(async () => {
  billing = await startBillingTestServer();
});
afterAll(async () => {
  await billing?.stop();
});

const db = () => billing.server.testDb.db;

/**
 * Waits until the account has at least `count` purchases and none is pending: a purchase starts after
 * the reservation answered (never awaited by the run), so right after the runs there may be none yet.
 */
async function purchasesSettled(customer: Customer, count = 1) {
  for (let i = 0; i < 400; i += 1) {
    const rows = await purchasesOf(db(), customer);
    if (rows.length >= count && rows.every((row) => row.status !== 'pending')) return rows;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`expected ${count} settled purchases`);
}

async function setAutoTopUp(customer: Customer, autoTopUp: object) {
  const answer = await customer.call('mutation', 'billing.updateSpendSettings', { autoTopUp });
  expect(answer.status).toBe(200);
}

async function authorizeAll(customer: Customer, count: number, prefix: string) {
  const answers = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      customer.call('mutation', 'usage.authorize', { runId: `${prefix}-${i}` }),
    ),
  );
  return answers.map((answer) => answer.status);
}

describe('auto top-up: buy a pack off-session when the balance falls below the threshold', () => {
  it('500 concurrent runs crossing the threshold → exactly one purchase, charged once, credited once', async () => {
    const customer = await Customer.signUp(billing);
    await customer.checkout('PRO', CARDS.success);
    await setAutoTopUp(customer, { threshold: 600, packId: 'PACK_1000', monthlyLimit: 3 });
    const statuses = await authorizeAll(customer, 500, 'burst');
    expect(statuses.every((status) => status === 200)).toBe(true);
    const purchases = await purchasesSettled(customer);
    expect(purchases.map((row) => row.status)).toEqual(['succeeded']);
    const grants = await db()
      .select()
      .from(creditGrants)
      .where(eq(creditGrants.accountId, personalAccountId(customer.userId)));
    expect(grants).toEqual([
      expect.objectContaining({
        source: 'pack',
        packId: 'PACK_1000',
        units: 1000,
        autoTopUpId: purchases[0]?.id,
      }),
    ]);
    // One charge at Stripe, for the pack, on the saved card.
    const intents = await billing.stripe.paymentIntents.list({
      customer: await customerIdOf(db(), customer),
      limit: 100,
    });
    const autoIntents = intents.data.filter((intent) => intent.metadata.purchase === 'auto_top_up');
    expect(autoIntents.map((intent) => [intent.status, intent.amount])).toEqual([['succeeded', 8000]]);
    // 1,000 − 500 + 1,000: the pack lifted the balance over the threshold for good.
    const balance = await customer.call('query', 'usage.balance');
    expect(balance.data.totalRemaining).toBe(1500);
    // More runs while above the threshold buy nothing: the purchase they may start is refused where it
    // is decided (asked directly, not only looked for after the runs, which don't wait for it).
    await authorizeAll(customer, 20, 'after');
    const { period } = (await customer.call('query', 'billing.spendSettings')).data as {
      period: { start: string };
    };
    const autoTopUp = billing.server.services.autoTopUp;
    if (!autoTopUp) throw new Error('auto top-up is not configured');
    expect(await autoTopUp.attempt(personalAccountId(customer.userId), new Date(period.start))).toBeNull();
    expect(await purchasesSettled(customer)).toHaveLength(1);
  });

  it('a declined card (0002 on file) → no credit, a back-off respected, the decline emailed once; after the back-off a good card buys', async () => {
    const customer = await Customer.signUp(billing);
    await customer.checkout('BASIC', CARDS.success);
    billing.emulator.customers.setDefaultCard(await customerIdOf(db(), customer), CARDS.declined);
    await setAutoTopUp(customer, { threshold: 50, packId: 'PACK_100', monthlyLimit: 3 });
    expect((await authorizeAll(customer, 60, 'low')).every((status) => status === 200)).toBe(true);
    const [declined] = await purchasesSettled(customer);
    expect(declined).toMatchObject({ status: 'declined', failureCode: 'generic_decline' });
    const accountId = personalAccountId(customer.userId);
    expect(await db().select().from(creditGrants).where(eq(creditGrants.accountId, accountId))).toEqual([]);
    const settings = await getSpendSettings(db(), accountId);
    const now = billing.emulator.clock.now().getTime();
    expect(settings?.autoTopUpBackoffUntil?.getTime()).toBeGreaterThan(now + 23 * 3_600_000);
    const emails = await db().select().from(emailOutbox).where(eq(emailOutbox.accountId, accountId));
    expect(emails.filter((email) => email.kind === 'auto_top_up_declined')).toHaveLength(1);
    const overview = await customer.call('query', 'billing.spendSettings');
    expect(overview.data.autoTopUp).toMatchObject({
      purchasesThisMonth: 1,
      lastFailure: 'declined: generic_decline',
    });

    // Inside the back-off: runs below the threshold buy nothing (waiting out the in-process throttle too).
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(
      await billing.server.services.autoTopUp?.attempt(accountId, new Date(overview.data.period.start)),
    ).toBeNull();
    expect(await authorizeAll(customer, 5, 'backoff')).toEqual([200, 200, 200, 200, 200]);
    expect(await purchasesSettled(customer)).toHaveLength(1);

    // A good card and the back-off over: the next low balance buys the pack.
    billing.emulator.customers.setDefaultCard(await customerIdOf(db(), customer), CARDS.success);
    await billing.emulator.clock.advance(25 * 3600);
    await customer.settle();
    const bought = await billing.server.services.autoTopUp?.attempt(
      accountId,
      new Date(overview.data.period.start),
    );
    expect(bought).toBe('succeeded');
    expect((await purchasesSettled(customer)).map((row) => row.status).sort()).toEqual([
      'declined',
      'succeeded',
    ]);
  });

  it('the monthly limit stops purchases once reached', async () => {
    const customer = await Customer.signUp(billing);
    await customer.checkout('BASIC', CARDS.success);
    billing.emulator.customers.setDefaultCard(await customerIdOf(db(), customer), CARDS.declined);
    await setAutoTopUp(customer, { threshold: 99, packId: 'PACK_100', monthlyLimit: 1 });
    await authorizeAll(customer, 2, 'one');
    expect(await purchasesSettled(customer)).toHaveLength(1);
    billing.emulator.customers.setDefaultCard(await customerIdOf(db(), customer), CARDS.success);
    await billing.emulator.clock.advance(25 * 3600);
    const overview = await customer.call('query', 'billing.spendSettings');
    const accountId = personalAccountId(customer.userId);
    expect(
      await billing.server.services.autoTopUp?.attempt(accountId, new Date(overview.data.period.start)),
    ).toBeNull();
    expect(await purchasesSettled(customer)).toHaveLength(1);
  });
});
