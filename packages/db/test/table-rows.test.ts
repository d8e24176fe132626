import { describe, expect, it } from 'vitest';
import {
  accountOverrides,
  duplicateSubscriptions,
  getAccountOverrides,
  listDuplicateSubscriptionsOfAccount,
  recordSubscriptionChange,
  subscriptionHistory,
  toAccountOverrides,
} from '../src';
import { makeUser, useTestDb } from './fixtures';

// The webhook path reads these tables with raw prepared statements over tableRows' column lists. Each
// row here has every column set (none null), so a wrong mapping, or a column added to the table and
// not read, shows up as a difference from drizzle's own select.

const handle = useTestDb();
const AT = new Date('2025-03-10T12:00:00.123Z');
const LATER = new Date('2025-03-11T12:00:00Z');

function nullColumns(row: Record<string, unknown>): string[] {
  return Object.entries(row)
    .filter(([, value]) => value === null)
    .map(([key]) => key);
}

describe('raw reads of the webhook path map every column as drizzle does', () => {
  it('duplicate subscriptions of an account', async () => {
    const user = await makeUser(handle.db);
    await handle.db.insert(duplicateSubscriptions).values({
      accountId: user.accountId,
      keptStripeSubscriptionId: 'sub_kept',
      canceledStripeSubscriptionId: 'sub_canceled',
      canceledPlan: 'BASIC',
      amountOwed: 1900,
      currency: 'usd',
      detectedAt: AT,
      canceledAt: LATER,
      lastError: 'none',
      refundedAt: LATER,
    });
    const expected = await handle.db.select().from(duplicateSubscriptions);
    expect(expected.flatMap(nullColumns)).toEqual([]);
    expect(await listDuplicateSubscriptionsOfAccount(handle.db, user.accountId)).toEqual(expected);
    expect(
      await listDuplicateSubscriptionsOfAccount(handle.db, (await makeUser(handle.db)).accountId),
    ).toEqual([]);
  });

  it('account overrides', async () => {
    const user = await makeUser(handle.db);
    await handle.db.insert(accountOverrides).values({
      accountId: user.accountId,
      runLimit: 500,
      compPlan: 'PRO',
      compFrom: AT,
      compUntil: LATER,
      trialStart: AT,
      trialEnd: LATER,
      updatedAt: AT,
      updatedBy: 'operator@example.test',
    });
    const [expected] = await handle.db.select().from(accountOverrides);
    expect(expected && nullColumns(expected)).toEqual([]);
    expect(await getAccountOverrides(handle.db, user.accountId)).toEqual(toAccountOverrides(expected));
    expect(await getAccountOverrides(handle.db, (await makeUser(handle.db)).accountId)).toBeNull();
  });

  it('the history row in force decides whether a change is recorded', async () => {
    const user = await makeUser(handle.db);
    const state = {
      status: 'active',
      plan: 'PRO',
      priceCents: 4900,
      interval: 'month',
      quantity: 1,
      discountCents: 0,
    } as const;
    const entry = {
      accountId: user.accountId,
      stripeSubscriptionId: 'sub_h',
      source: 'webhook',
      state,
    } as const;
    expect(await recordSubscriptionChange(handle.db, { ...entry, at: AT })).toBe(true);
    // The same state again is no change; another state in the same instant goes 1 ms after it.
    expect(await recordSubscriptionChange(handle.db, { ...entry, at: LATER })).toBe(false);
    const changed = { ...entry, state: { ...state, quantity: 2 }, at: AT };
    expect(await recordSubscriptionChange(handle.db, changed)).toBe(true);
    const rows = await handle.db.select().from(subscriptionHistory).orderBy(subscriptionHistory.at);
    expect(rows.flatMap(nullColumns)).toEqual([]);
    expect(rows.map((row) => [row.at.toISOString(), row.quantity])).toEqual([
      [AT.toISOString(), 1],
      [new Date(AT.getTime() + 1).toISOString(), 2],
    ]);
  });
});
