import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { listPaymentRequiredDays, queryRows, recordPaymentRequired, type Database } from '../src';
import { makeUser, useTestDb } from './fixtures';
import { postgresServerUrl, withTwoPools } from './two-pools';

// A refused authorization counts once per account, run id and UTC day: a client retrying one refused
// run id must not move the 402 rate (a granted run counts once per run id, its ledger row).

const handle = useTestDb();

const refuse = (db: Database, accountId: string, runId: string, iso: string, code = 'USAGE_LIMIT_REACHED') =>
  recordPaymentRequired(db, { accountId, plan: 'FREE', code, runId, at: new Date(iso) });

async function denialsOf(db: Database, accountId: string) {
  const days = await listPaymentRequiredDays(db, accountId);
  return days.map((day) => [day.day, day.code, day.denials]);
}

async function keysOf(db: Database, accountId: string) {
  const rows = await queryRows<{ day: string; run_id: string }>(
    db,
    sql`select day::text as day, run_id from payment_required_runs where account_id = ${accountId}
        order by day, run_id`,
  );
  return rows.map((row) => `${row.day} ${row.run_id}`);
}

describe('402s counted once per account, run id and day', () => {
  it('the same refused run id retried 200 times counts once; another run id counts; the next day counts again', async () => {
    const user = await makeUser(handle.db);
    const first = await refuse(handle.db, user.accountId, 'x-over', '2025-03-01T10:00:00Z');
    const repeats = [];
    for (let i = 0; i < 200; i += 1) {
      repeats.push(await refuse(handle.db, user.accountId, 'x-over', '2025-03-01T10:00:01Z'));
    }
    expect(first).toBe(true);
    expect(repeats.every((counted) => !counted)).toBe(true);
    // A repeat answered with another code (the plan's cap, a spend cap) is still the same refusal.
    expect(
      await refuse(handle.db, user.accountId, 'x-over', '2025-03-01T11:00:00Z', 'SPEND_CAP_REACHED'),
    ).toBe(false);
    expect(await refuse(handle.db, user.accountId, 'y-over', '2025-03-01T12:00:00Z')).toBe(true);
    expect(await refuse(handle.db, user.accountId, 'x-over', '2025-03-02T09:00:00Z')).toBe(true);
    expect(await denialsOf(handle.db, user.accountId)).toEqual([
      ['2025-03-01', 'USAGE_LIMIT_REACHED', 2],
      ['2025-03-02', 'USAGE_LIMIT_REACHED', 1],
    ]);
    const [day] = await listPaymentRequiredDays(handle.db, user.accountId);
    expect(day?.firstAt.toISOString()).toBe('2025-03-01T10:00:00.000Z');
    expect(day?.lastAt.toISOString()).toBe('2025-03-01T12:00:00.000Z');
  });

  it("the keys stay tiny: a refusal prunes its account's run ids from before yesterday, not other accounts'", async () => {
    const user = await makeUser(handle.db);
    const other = await makeUser(handle.db);
    for (let i = 0; i < 150; i += 1)
      await refuse(handle.db, user.accountId, `old-${i}`, '2025-03-01T10:00:00Z');
    await refuse(handle.db, user.accountId, 'mid', '2025-03-02T10:00:00Z');
    await refuse(handle.db, other.accountId, 'theirs', '2025-03-01T10:00:00Z');
    // On the 3rd: the 1st's keys are old (at most 100 pruned per refusal), the 2nd's are yesterday's.
    await refuse(handle.db, user.accountId, 'new-1', '2025-03-03T10:00:00Z');
    expect(await keysOf(handle.db, user.accountId)).toHaveLength(150 + 2 - 100);
    await refuse(handle.db, user.accountId, 'new-2', '2025-03-03T10:00:00Z');
    expect(await keysOf(handle.db, user.accountId)).toEqual([
      '2025-03-02 mid',
      '2025-03-03 new-1',
      '2025-03-03 new-2',
    ]);
    expect(await keysOf(handle.db, other.accountId)).toEqual(['2025-03-01 theirs']);
    // Pruning forgets nothing counted: the days keep their counts.
    expect(await denialsOf(handle.db, user.accountId)).toEqual([
      ['2025-03-01', 'USAGE_LIMIT_REACHED', 150],
      ['2025-03-02', 'USAGE_LIMIT_REACHED', 1],
      ['2025-03-03', 'USAGE_LIMIT_REACHED', 2],
    ]);
  });
});

describe.skipIf(!postgresServerUrl)('402s counted once per run id, on PostgreSQL with two pools', () => {
  it('400 concurrent refusals of 4 run ids → 4 counted', async () => {
    await withTwoPools(async (a, b) => {
      const user = await makeUser(a);
      const counted = await Promise.all(
        Array.from({ length: 400 }, (_, i) =>
          refuse(
            i % 2 ? a : b,
            user.accountId,
            `run-${i % 4}`,
            `2025-03-01T12:00:00.${String(i % 1000).padStart(3, '0')}Z`,
          ),
        ),
      );
      expect(counted.filter(Boolean)).toHaveLength(4);
      expect(await denialsOf(a, user.accountId)).toEqual([['2025-03-01', 'USAGE_LIMIT_REACHED', 4]]);
    });
  });
});
