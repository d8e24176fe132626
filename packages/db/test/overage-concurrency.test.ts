import { describe, expect, it } from 'vitest';
import { reserveRuns, startRun } from '../src';
import { makeUser } from './fixtures';
import { overageBooks, PRICE, setSpend } from './overage-helpers';
import { NOW, SERVICE, runOf, tally } from './reservation-helpers';
import { postgresServerUrl, reserveConcurrently, withTwoPools } from './two-pools';

describe.skipIf(!postgresServerUrl)('spend caps under concurrency, on PostgreSQL with two pools', () => {
  it('500 concurrent runs against a cap of 100 overage runs: exactly 100 admitted past the allowance; a raised cap lets the next through', async () => {
    await withTwoPools(async (a, b) => {
      const user = await makeUser(a);
      await setSpend(a, user.accountId, { overageEnabled: true, cap: { runs: 100 } });
      const inputs = Array.from({ length: 500 }, (_, i) =>
        runOf(user.owner, `r${i}`, 50, { overagePrice: PRICE }),
      );
      const results = await reserveConcurrently(a, b, inputs);
      expect(tally(results)).toEqual({ reserved: 150, spend_cap_reached: 350 });
      expect(results.reduce((sum, r) => sum + r.unitsOverage, 0)).toBe(100);
      expect(await overageBooks(a, user.accountId)).toMatchObject({ counted: 100, held: 100 });
      // Every admitted run starts: the journal holds exactly the 100 overage units.
      await Promise.all(
        results
          .map((r, i) => ({ r, runId: `r${i}` }))
          .filter(({ r }) => r.outcome === 'reserved')
          .map(({ runId }, i) =>
            startRun(i % 2 ? a : b, { accountId: user.accountId, runId, actor: SERVICE, now: NOW }),
          ),
      );
      expect(await overageBooks(a, user.accountId)).toEqual({
        counted: 100,
        held: 100,
        billable: 100,
        journaled: 100,
      });
      await setSpend(b, user.accountId, { cap: { runs: 101 } });
      const [next] = await reserveRuns(a, [runOf(user.owner, 'after-raise', 50, { overagePrice: PRICE })]);
      expect(next).toMatchObject({ outcome: 'reserved', unitsOverage: 1, overage: { used: 101, cap: 101 } });
    });
  });

  it('a money cap holds under load too: $12.50 at 12.5¢ is exactly 100 runs, estimates of 1 to 3 units', async () => {
    await withTwoPools(async (a, b) => {
      const user = await makeUser(a);
      await setSpend(a, user.accountId, { overageEnabled: true, cap: { cents: 1250 } });
      const inputs = Array.from({ length: 300 }, (_, i) =>
        runOf(user.owner, `m${i}`, 10, { overagePrice: PRICE, units: 1 + (i % 3) }),
      );
      const results = await reserveConcurrently(a, b, inputs);
      const books = await overageBooks(a, user.accountId);
      expect(books.counted).toBeLessThanOrEqual(100);
      // Never past the cap, and what is counted is what the runs hold.
      expect(books.held).toBe(books.counted);
      expect(results.reduce((sum, r) => sum + r.unitsOverage, 0)).toBe(books.counted);
      expect(results.some((r) => r.outcome === 'spend_cap_reached')).toBe(true);
    });
  });
});
