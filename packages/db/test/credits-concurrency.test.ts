import { describe, expect, it } from 'vitest';
import { getUsage, reserveRuns, settleRun, startRun, sweepUnsettledRuns } from '../src';
import { grant, grantRow, readBooks } from './credit-helpers';
import { makeUser } from './fixtures';
import { NOW, PERIOD, SERVICE, runOf, tally } from './reservation-helpers';
import { postgresServerUrl, reserveConcurrently, withTwoPools } from './two-pools';

const LATER = new Date(NOW.getTime() + 60_000);

describe.skipIf(!postgresServerUrl)('credits under concurrency, on PostgreSQL with two pools', () => {
  it('1,000 concurrent authorizations against the allowance and two packs never overdraw a bucket', async () => {
    await withTwoPools(async (a, b) => {
      const user = await makeUser(a);
      const later = await grant(a, user.accountId, 400, { expiresInDays: 300 });
      const sooner = await grant(a, user.accountId, 300, { expiresInDays: 30 });
      const inputs = Array.from({ length: 1000 }, (_, i) => runOf(user.owner, `r${i}`, 100));
      const results = await reserveConcurrently(a, b, inputs);
      // 100 + 300 + 400 = 800 units for 1,000 runs of one unit: exactly 800 admitted.
      expect(tally(results)).toEqual({ reserved: 800, limit_reached: 200 });
      expect(await getUsage(a, user.accountId, PERIOD.start)).toBe(100);
      expect((await grantRow(a, sooner.id))?.remaining).toBe(0);
      expect((await grantRow(a, later.id))?.remaining).toBe(0);
      expect(await readBooks(a)).toEqual({
        ledgerUnits: 800,
        bucketUnits: 800,
        unbalancedGrants: [],
        unbalancedRuns: [],
      });
    });
  });

  it('with room to spare, the draw order holds under load: allowance, the sooner pack, then the later', async () => {
    await withTwoPools(async (a, b) => {
      const user = await makeUser(a);
      const later = await grant(a, user.accountId, 1500, { expiresInDays: 300 });
      const sooner = await grant(a, user.accountId, 500, { expiresInDays: 30 });
      // 1,000 runs of 1 to 3 units (1,999 in all) against 100 + 500 + 1,500 = 2,100.
      const inputs = Array.from({ length: 1000 }, (_, i) =>
        runOf(user.owner, `r${i}`, 100, { units: 1 + (i % 3) }),
      );
      const results = await reserveConcurrently(a, b, inputs);
      expect(tally(results)).toEqual({ reserved: 1000 });
      expect(await getUsage(a, user.accountId, PERIOD.start)).toBe(100);
      expect((await grantRow(a, sooner.id))?.remaining).toBe(0);
      expect((await grantRow(a, later.id))?.remaining).toBe(101);
      expect(await readBooks(a)).toEqual({
        ledgerUnits: 1999,
        bucketUnits: 1999,
        unbalancedGrants: [],
        unbalancedRuns: [],
      });
    });
  });

  it('500 concurrent runs reserving 5 and settling 1–5: the balance is exact', async () => {
    await withTwoPools(async (a, b) => {
      const user = await makeUser(a);
      const pack = await grant(a, user.accountId, 2000);
      const inputs = Array.from({ length: 500 }, (_, i) => runOf(user.owner, `r${i}`, 1000, { units: 5 }));
      expect(tally(await reserveConcurrently(a, b, inputs))).toEqual({ reserved: 500 });
      const actualOf = (i: number) => 1 + (i % 5);
      const settled = await Promise.all(
        inputs.map(async (input, i) => {
          const db = i % 2 ? a : b;
          const ref = { accountId: user.accountId, runId: input.runId };
          await startRun(db, { ...ref, actor: SERVICE, now: LATER });
          return settleRun(db, { ...ref, actor: SERVICE, actual: actualOf(i), now: LATER });
        }),
      );
      expect(settled.every((result) => result.ok)).toBe(true);
      const charged = inputs.reduce((sum, _, i) => sum + actualOf(i), 0);
      expect(charged).toBe(1500);
      // 2,500 reserved (1,000 allowance + 1,500 pack); 1,000 given back, last drawn first: to the pack.
      const used = await getUsage(a, user.accountId, PERIOD.start);
      const packLeft = (await grantRow(a, pack.id))?.remaining ?? -1;
      expect(used + (2000 - packLeft)).toBe(1500);
      expect(await readBooks(a)).toEqual({
        ledgerUnits: 1500,
        bucketUnits: 1500,
        unbalancedGrants: [],
        unbalancedRuns: [],
      });
    });
  });

  it('a run never settled is settled by the sweepers exactly once, racing its own late settle', async () => {
    await withTwoPools(async (a, b) => {
      const user = await makeUser(a);
      await grant(a, user.accountId, 1000);
      const inputs = Array.from({ length: 120 }, (_, i) => runOf(user.owner, `r${i}`, 10, { units: 3 }));
      await reserveRuns(a, inputs);
      for (const input of inputs) {
        await startRun(a, { accountId: user.accountId, runId: input.runId, actor: SERVICE, now: LATER });
      }
      const cutoff = new Date(LATER.getTime() + 1);
      const [sweeps, lateSettles] = await Promise.all([
        Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            sweepUnsettledRuns(i % 2 ? a : b, { startedBefore: cutoff, now: cutoff, limit: 40 }),
          ),
        ),
        // The service's own settle (1 unit) of every tenth run, arriving as the sweepers run.
        Promise.all(
          inputs
            .filter((_, i) => i % 10 === 0)
            .map((input) =>
              settleRun(b, {
                accountId: user.accountId,
                runId: input.runId,
                actor: SERVICE,
                actual: 1,
                now: cutoff,
              }),
            ),
        ),
      ]);
      const again = await sweepUnsettledRuns(a, { startedBefore: cutoff, now: cutoff, limit: 1000 });
      const bySweep = [...sweeps.flat(), ...again].map((run) => run.runId);
      const byService = lateSettles.filter((result) => result.ok).length;
      expect(new Set(bySweep).size).toBe(bySweep.length);
      expect(bySweep.length + byService).toBe(120);
      // Settled at the estimate (3) by a sweep, or at 1 by the service: never both.
      expect(await readBooks(a)).toEqual({
        ledgerUnits: bySweep.length * 3 + byService,
        bucketUnits: bySweep.length * 3 + byService,
        unbalancedGrants: [],
        unbalancedRuns: [],
      });
    });
  });
});
