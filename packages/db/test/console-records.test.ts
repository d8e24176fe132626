import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  listPaymentRequiredDays,
  listSubscriptionHistory,
  queryRows,
  recordPaymentRequired,
  recordSubscriptionChange,
  type SubscriptionHistoryState,
} from '../src';
import { makeUser, useTestDb } from './fixtures';
import { postgresServerUrl, withTwoPools } from './two-pools';

const handle = useTestDb();
const BASIC: SubscriptionHistoryState = {
  status: 'active',
  plan: 'BASIC',
  priceCents: 1900,
  interval: 'month',
  quantity: 1,
  discountCents: 0,
};
const at = (iso: string) => new Date(iso);

describe('subscription history', () => {
  it('places each state at the time it was seen, and keeps consecutive rows different', async () => {
    const user = await makeUser(handle.db);
    const change = (iso: string, state: SubscriptionHistoryState) =>
      recordSubscriptionChange(handle.db, {
        accountId: user.accountId,
        stripeSubscriptionId: 'sub_1',
        at: at(iso),
        source: 'webhook',
        state,
      });
    const PRO = { ...BASIC, plan: 'PRO', priceCents: 4900 } as const;
    expect(await change('2025-03-01T00:00:00Z', BASIC)).toBe(true);
    // A duplicate delivery, or a sync that found nothing new: no row.
    expect(await change('2025-03-02T00:00:00Z', BASIC)).toBe(false);
    expect(await change('2025-03-05T00:00:00Z', PRO)).toBe(true);
    // A late event: the upgrade happened on the 3rd. Its row goes there, and the 5th's, which now
    // repeats it, goes away.
    expect(await change('2025-03-03T00:00:00Z', PRO)).toBe(true);
    // Older still, and what the row in force then says: nothing.
    expect(await change('2025-03-02T12:00:00Z', BASIC)).toBe(false);
    // Two states seen in one instant: the later applied goes 1 ms after the first.
    expect(await change('2025-03-10T00:00:00Z', { ...PRO, status: 'canceled' })).toBe(true);
    expect(await change('2025-03-10T00:00:00Z', PRO)).toBe(true);
    const rows = await listSubscriptionHistory(handle.db, user.accountId);
    expect(rows.map((row) => [row.at.toISOString(), row.plan, row.status])).toEqual([
      ['2025-03-01T00:00:00.000Z', 'BASIC', 'active'],
      ['2025-03-03T00:00:00.000Z', 'PRO', 'active'],
      ['2025-03-10T00:00:00.000Z', 'PRO', 'canceled'],
      ['2025-03-10T00:00:00.001Z', 'PRO', 'active'],
    ]);
  });

  it('refuses amounts below zero and unknown intervals in the database', async () => {
    const user = await makeUser(handle.db);
    for (const state of [
      { ...BASIC, priceCents: -1 },
      { ...BASIC, quantity: -1 },
      { ...BASIC, interval: 'week' as 'month' },
    ]) {
      await expect(
        recordSubscriptionChange(handle.db, {
          accountId: user.accountId,
          stripeSubscriptionId: 'sub_x',
          at: at('2025-03-01T00:00:00Z'),
          source: 'backfill',
          state,
        }),
      ).rejects.toThrow();
    }
  });
});

describe('402s counted per account and day', () => {
  it('adds up per day, plan and code, keeping the first and last instant', async () => {
    const user = await makeUser(handle.db);
    const count = (iso: string, code = 'USAGE_LIMIT_REACHED') =>
      recordPaymentRequired(handle.db, {
        accountId: user.accountId,
        plan: 'FREE',
        code,
        runId: `run-${iso}`,
        at: at(iso),
      });
    await count('2025-03-01T10:00:00Z');
    await count('2025-03-01T08:00:00Z');
    await count('2025-03-01T23:59:59Z');
    await count('2025-03-02T00:00:00Z');
    await count('2025-03-01T12:00:00Z', 'SPEND_CAP_REACHED');
    const days = await listPaymentRequiredDays(handle.db, user.accountId);
    expect(
      days.map((day) => [
        day.day,
        day.code,
        day.denials,
        day.firstAt.toISOString(),
        day.lastAt.toISOString(),
      ]),
    ).toEqual(
      expect.arrayContaining([
        ['2025-03-01', 'USAGE_LIMIT_REACHED', 3, '2025-03-01T08:00:00.000Z', '2025-03-01T23:59:59.000Z'],
        ['2025-03-01', 'SPEND_CAP_REACHED', 1, '2025-03-01T12:00:00.000Z', '2025-03-01T12:00:00.000Z'],
        ['2025-03-02', 'USAGE_LIMIT_REACHED', 1, '2025-03-02T00:00:00.000Z', '2025-03-02T00:00:00.000Z'],
      ]),
    );
    expect(days).toHaveLength(3);
  });

  it.skipIf(!postgresServerUrl)(
    'PostgreSQL: 400 concurrent 402s of 400 run ids from two pools are all counted',
    async () => {
      await withTwoPools(async (a, b) => {
        const user = await makeUser(a);
        await Promise.all(
          Array.from({ length: 400 }, (_, i) =>
            recordPaymentRequired(i % 2 ? a : b, {
              accountId: user.accountId,
              plan: 'FREE',
              code: 'USAGE_LIMIT_REACHED',
              runId: `run-${i}`,
              at: new Date(Date.UTC(2025, 2, 1, 12, 0, 0, i)),
            }),
          ),
        );
        const rows = await queryRows<{ denials: number }>(
          a,
          sql`select denials from payment_required_days where account_id = ${user.accountId}`,
        );
        expect(rows).toEqual([{ denials: 400 }]);
      });
    },
  );
});
