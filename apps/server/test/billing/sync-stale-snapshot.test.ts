import { duplicateSubscriptions, personalAccountId } from '@tollgate/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { CARDS, Customer, storedSubscriptionRow } from './scenarios';

// A sync (webhook, reconciliation, admin.resync, seat sync) fetches a subscription, then waits (for a
// concurrency slot, say) before its transaction: meanwhile the account's row may move on.

let billing: BillingTestServer;
beforeAll(async () => {
  billing = await startBillingTestServer();
});
afterAll(() => billing?.stop());

/** The account's subscription row as stored. */
const storedRow = (customer: Customer) => storedSubscriptionRow(billing, customer);

function subscriptionSync() {
  const stripe = billing.server.services.stripe;
  if (!stripe) throw new Error('billing not configured');
  return stripe.sync;
}

describe('a sync whose snapshot was fetched before the account moved to another subscription', () => {
  it('never puts back the subscription that ended, nor cancels the new one as its duplicate', async () => {
    const customer = await Customer.signUp(billing);
    await customer.checkout('PRO', CARDS.success);
    const x = String((await storedRow(customer)).stripeSubscriptionId);
    const sync = subscriptionSync();
    // A sync of X fetched it while it was live on PRO ...
    const slow = await sync.prepare(x);
    if (!slow) throw new Error('not prepared');
    expect(slow.snapshot.status).toBe('active');

    // ... meanwhile the customer cancels X now and buys BASIC (Y); their webhooks are applied.
    await customer.portal({ action: 'cancel_now' });
    await customer.checkout('BASIC', CARDS.success);
    const y = String((await storedRow(customer)).stripeSubscriptionId);
    expect(y).not.toBe(x);
    expect((await customer.overview()).plan).toBe('BASIC');

    // ... then the slow sync of X commits (as the webhook handler does: commit, then cancellations).
    const result = await sync.commit(slow, (tx) => sync.apply(tx, slow));
    await sync.cancelDuplicates(result.cancellations);

    expect(result.cancellations).toEqual([]);
    expect(slow.snapshot.status).toBe('canceled'); // prepared again: X as Stripe has it now
    expect(await storedRow(customer)).toMatchObject({
      plan: 'BASIC',
      status: 'active',
      stripeSubscriptionId: y,
    });
    expect((await billing.stripe.subscriptions.retrieve(y)).status).toBe('active');
    const duplicates = await billing.server.testDb.db
      .select()
      .from(duplicateSubscriptions)
      .where(eq(duplicateSubscriptions.accountId, personalAccountId(customer.userId)));
    expect(duplicates).toEqual([]);
    expect((await customer.overview()).plan).toBe('BASIC');
    await customer.settle();
    expect(await storedRow(customer)).toMatchObject({ plan: 'BASIC', stripeSubscriptionId: y });
  });

  it('a sync of the stored subscription overtaken by a newer one of it still writes nothing', async () => {
    const customer = await Customer.signUp(billing);
    await customer.checkout('BASIC', CARDS.success);
    const x = String((await storedRow(customer)).stripeSubscriptionId);
    const sync = subscriptionSync();
    const slow = await sync.prepare(x);
    if (!slow) throw new Error('not prepared');
    // A newer sync of the same subscription (started after the slow one) commits first.
    const newer = await sync.sync(x);
    expect(newer?.isStale).toBe(false);
    const before = await storedRow(customer);

    const result = await sync.commit(slow, (tx) => sync.apply(tx, slow));
    expect(result).toMatchObject({ isStale: true, isChanged: false, cancellations: [] });
    expect((await storedRow(customer)).stripeSyncTicket).toBe(before.stripeSyncTicket);
  });
});
