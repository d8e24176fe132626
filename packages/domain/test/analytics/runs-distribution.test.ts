import { describe, expect, it } from 'vitest';
import { PLANS, RUN_BUCKET_UPPER_BOUNDS, runsDistribution, type RunCount } from '../../src/index';
import { nearestRank } from '../../src/analytics/runs-distribution';

const count = (accountId: string, runs: number, patch: Partial<RunCount> = {}): RunCount => ({
  accountId,
  month: '2024-05',
  plan: 'FREE',
  runs,
  ...patch,
});
const MAY = { from: '2024-05', to: '2024-05' };

describe('runs per account', () => {
  it('buckets by the plans’ allowances: 0, then FREE, TRIAL, BASIC, PRO and TEAM', () => {
    const limits = Object.values(PLANS).flatMap((plan) => (plan.runLimit === null ? [] : [plan.runLimit]));
    expect(RUN_BUCKET_UPPER_BOUNDS).toEqual([0, ...new Set(limits.sort((a, b) => a - b))]);
    const edges = [0, 1, 10, 11, 50, 51, 100, 101, 1000, 1001, 2000, 2001, 99_999];
    const [may] = runsDistribution(
      edges.map((runs, i) => count(`a${i}`, runs)),
      MAY,
    );
    expect(may?.buckets.map((b) => [b.min, b.max, b.accounts])).toEqual([
      [0, 0, 1],
      [1, 10, 2],
      [11, 50, 2],
      [51, 100, 2],
      [101, 1000, 2],
      [1001, 2000, 2],
      [2001, null, 2],
    ]);
  });

  it('takes percentiles by nearest rank: always one of the counts', () => {
    expect(nearestRank([], 50)).toBeNull();
    expect(nearestRank([7], 1)).toBe(7);
    expect(nearestRank([1, 2, 3, 4], 25)).toBe(1);
    expect(nearestRank([1, 2, 3, 4], 26)).toBe(2);
    expect(nearestRank([1, 2, 3, 4], 50)).toBe(2);
    expect(nearestRank([1, 2, 3, 4], 75)).toBe(3);
    expect(nearestRank([1, 2, 3, 4], 76)).toBe(4);
    expect(nearestRank([1, 2, 3, 4], 100)).toBe(4);
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([50, 90, 99].map((p) => nearestRank(hundred, p))).toEqual([50, 90, 99]);
  });

  it('sums an account’s records of a month, sorts before ranking, and filters by the record’s plan', () => {
    const counts = [
      count('a', 30),
      count('b', 5),
      count('a', 20, { plan: 'PRO' }),
      count('c', 900, { plan: 'PRO' }),
    ];
    expect(runsDistribution(counts, MAY)[0]).toMatchObject({
      accounts: 3,
      runs: 955,
      p50: 50,
      p90: 900,
      max: 900,
    });
    expect(runsDistribution(counts, { ...MAY, plans: ['PRO'] })[0]).toMatchObject({
      accounts: 2,
      runs: 920,
      p50: 20,
    });
    expect(runsDistribution([count('a', 3, { month: '2024-04' })], MAY)[0]?.accounts).toBe(0);
  });
});
