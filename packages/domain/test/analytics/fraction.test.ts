import { describe, expect, it } from 'vitest';
import { averageOf, rateOf, roundHalfUp } from '../../src/analytics/fraction';

describe('exact ratios, rounded once for display', () => {
  it('rounds half up, in integers', () => {
    expect(roundHalfUp(1, 2)).toBe(1); // 0.5
    expect(roundHalfUp(5, 2)).toBe(3); // 2.5
    expect(roundHalfUp(1, 3)).toBe(0);
    expect(roundHalfUp(2, 3)).toBe(1);
    expect(roundHalfUp(0, 7)).toBe(0);
    expect(roundHalfUp(7, 2, 10)).toBe(35);
    expect(roundHalfUp(1, 20_000, 10_000)).toBe(1); // half a basis point
    expect(roundHalfUp(1, 20_001, 10_000)).toBe(0);
    // Past 2^53 in the middle of the computation: BigInt keeps it exact.
    expect(roundHalfUp(900_719_925_474_099, 900_719_925_474_100, 10_000)).toBe(10_000);
    expect(roundHalfUp(9_007_199_254_740_991, 2)).toBe(4_503_599_627_370_496);
  });

  it('gives rates in basis points, and null (n/a) for a denominator of 0', () => {
    expect(rateOf(1, 3)).toEqual({ numerator: 1, denominator: 3, basisPoints: 3333 });
    expect(rateOf(2, 3)).toEqual({ numerator: 2, denominator: 3, basisPoints: 6667 });
    expect(rateOf(0, 5)).toEqual({ numerator: 0, denominator: 5, basisPoints: 0 });
    expect(rateOf(3, 2)).toEqual({ numerator: 3, denominator: 2, basisPoints: 15_000 }); // NRR can pass 100 %
    expect(rateOf(0, 0)).toBeNull();
    expect(rateOf(4, 0)).toBeNull();
  });

  it('gives averages in whole units, and null without anything to average', () => {
    expect(averageOf(7, 2)).toEqual({ numerator: 7, denominator: 2, rounded: 4 });
    expect(averageOf(5, 3)).toEqual({ numerator: 5, denominator: 3, rounded: 2 });
    expect(averageOf(0, 0)).toBeNull();
    expect(averageOf(9, 0)).toBeNull();
  });
});
