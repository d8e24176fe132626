import { describe, expect, it } from 'vitest';
import {
  listDuplicateSubscriptions,
  listDuplicateSubscriptionsOfAccount,
  markDuplicateCanceled,
  recordDuplicateError,
  recordDuplicateSubscription,
} from '../src';
import { makeUser, useTestDb } from './fixtures';

const testDb = useTestDb();
const DETECTED = new Date('2025-03-01T10:00:00Z');
const CANCELED = new Date('2025-03-01T10:00:05Z');

describe('duplicate subscriptions', () => {
  it('records a duplicate once, however often its events arrive', async () => {
    const { db } = testDb;
    const user = await makeUser(db);
    const input = {
      accountId: user.accountId,
      keptStripeSubscriptionId: 'sub_pro',
      canceledStripeSubscriptionId: 'sub_basic',
      canceledPlan: 'BASIC' as const,
      detectedAt: DETECTED,
    };
    const results = await Promise.all([1, 2, 3].map(() => recordDuplicateSubscription(db, input)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await recordDuplicateSubscription(db, { ...input, keptStripeSubscriptionId: 'sub_other' })).toBe(
      false,
    );
    const rows = await listDuplicateSubscriptionsOfAccount(db, user.accountId);
    const other = await makeUser(db);
    expect(await listDuplicateSubscriptionsOfAccount(db, other.accountId)).toEqual([]);
    expect(rows).toEqual([
      expect.objectContaining({
        accountId: user.accountId,
        keptStripeSubscriptionId: 'sub_pro',
        canceledStripeSubscriptionId: 'sub_basic',
        canceledPlan: 'BASIC',
        amountOwed: 0,
        canceledAt: null,
        lastError: null,
        refundedAt: null,
      }),
    ]);
  });

  it('keeps the last error until the cancellation succeeds, then records the amount once', async () => {
    const { db } = testDb;
    const user = await makeUser(db);
    await recordDuplicateSubscription(db, {
      accountId: user.accountId,
      keptStripeSubscriptionId: 'sub_pro',
      canceledStripeSubscriptionId: 'sub_basic',
      canceledPlan: 'BASIC',
      detectedAt: DETECTED,
    });
    await recordDuplicateError(db, 'sub_basic', 'StripeAPIError: boom');
    expect((await listDuplicateSubscriptionsOfAccount(db, user.accountId))[0]?.lastError).toBe(
      'StripeAPIError: boom',
    );

    const done = { amountOwed: 1900, currency: 'usd', canceledAt: CANCELED };
    expect(await markDuplicateCanceled(db, 'sub_basic', done)).toBe(true);
    expect(await markDuplicateCanceled(db, 'sub_basic', { ...done, amountOwed: 1 })).toBe(false);
    await recordDuplicateError(db, 'sub_basic', 'a late failure of a second worker');

    expect(await listDuplicateSubscriptions(db)).toEqual([
      expect.objectContaining({
        accountId: user.accountId,
        userId: user.id,
        email: user.email,
        canceledStripeSubscriptionId: 'sub_basic',
        amountOwed: 1900,
        currency: 'usd',
        canceledAt: CANCELED,
        lastError: null,
      }),
    ]);
  });
});
