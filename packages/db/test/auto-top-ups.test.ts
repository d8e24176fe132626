import { describe, expect, it } from 'vitest';
import { finishAutoTopUp, reserveRuns, startAutoTopUp } from '../src';
import type { Database } from '../src';
import { makeUser, useTestDb } from './fixtures';
import { setSpend } from './overage-helpers';
import { NOW, PERIOD, runOf } from './reservation-helpers';
import { postgresServerUrl, withTwoPools } from './two-pools';

const handle = useTestDb();
const MONTH = new Date('2025-03-01T00:00:00Z');

async function lowBalanceAccount(db: Database, options: { threshold: number; monthlyLimit?: number }) {
  const user = await makeUser(db);
  await setSpend(db, user.accountId, {
    autoTopUp: { threshold: options.threshold, packId: 'PACK_100', monthlyLimit: options.monthlyLimit ?? 3 },
  });
  // An allowance of 10 with 8 used: 2 left.
  await reserveRuns(
    db,
    Array.from({ length: 8 }, (_, i) => runOf(user.owner, `r${i}`, 10)),
  );
  return user;
}

const start = (db: Database, accountId: string, now = NOW) =>
  startAutoTopUp(db, { accountId, periodStart: PERIOD.start, now, monthStart: MONTH });

describe('startAutoTopUp: one purchase per crossing, within the rules', () => {
  it('starts one only while the balance is below the threshold right now, and none while one is pending', async () => {
    const user = await lowBalanceAccount(handle.db, { threshold: 2 });
    // 2 left, threshold 2: not below.
    expect(await start(handle.db, user.accountId)).toBeNull();
    await setSpend(handle.db, user.accountId, {
      autoTopUp: { threshold: 3, packId: 'PACK_100', monthlyLimit: 3 },
    });
    const first = await start(handle.db, user.accountId);
    expect(first).toMatchObject({ status: 'pending', packId: 'PACK_100' });
    expect(await start(handle.db, user.accountId)).toBeNull();
    if (!first) throw new Error('no purchase');
    // Credited: 2 + 100 left, far over the threshold: a late observation of the low balance buys nothing.
    const expiresAt = new Date('2026-03-10T12:00:00Z');
    const credited = {
      status: 'succeeded' as const,
      paymentIntentId: 'pi_1',
      units: 100,
      amountPaidCents: 1000,
      currency: 'usd',
      expiresAt,
    };
    expect(await finishAutoTopUp(handle.db, first, credited, NOW)).toBe(true);
    expect(await finishAutoTopUp(handle.db, first, credited, NOW)).toBe(false);
    expect(await start(handle.db, user.accountId)).toBeNull();
  });

  it('a decline sets the back-off; nothing starts before it ends; the monthly limit counts declines', async () => {
    const user = await lowBalanceAccount(handle.db, { threshold: 5, monthlyLimit: 2 });
    const first = await start(handle.db, user.accountId);
    if (!first) throw new Error('no purchase');
    const backoffUntil = new Date(NOW.getTime() + 86_400_000);
    await finishAutoTopUp(
      handle.db,
      first,
      { status: 'declined', paymentIntentId: null, code: 'generic_decline', backoffUntil },
      NOW,
    );
    expect(await start(handle.db, user.accountId, new Date(NOW.getTime() + 3_600_000))).toBeNull();
    const second = await start(handle.db, user.accountId, backoffUntil);
    if (!second) throw new Error('no second purchase after the back-off');
    await finishAutoTopUp(
      handle.db,
      second,
      {
        status: 'declined',
        paymentIntentId: null,
        code: 'generic_decline',
        backoffUntil: new Date(backoffUntil.getTime() + 86_400_000),
      },
      backoffUntil,
    );
    // Two this month (declines count): the limit of 2 is reached.
    expect(
      await start(handle.db, user.accountId, new Date(backoffUntil.getTime() + 2 * 86_400_000)),
    ).toBeNull();
  });

  it('auto top-up off: nothing starts', async () => {
    const user = await lowBalanceAccount(handle.db, { threshold: 5 });
    await setSpend(handle.db, user.accountId, { autoTopUp: null });
    expect(await start(handle.db, user.accountId)).toBeNull();
  });
});

describe.skipIf(!postgresServerUrl)('startAutoTopUp under concurrency, on PostgreSQL with two pools', () => {
  it('200 concurrent starts of one account → exactly one purchase', async () => {
    await withTwoPools(async (a, b) => {
      const user = await lowBalanceAccount(a, { threshold: 5 });
      const started = await Promise.all(
        Array.from({ length: 200 }, (_, i) => start(i % 2 ? a : b, user.accountId)),
      );
      expect(started.filter((row) => row !== null)).toHaveLength(1);
    });
  });
});
