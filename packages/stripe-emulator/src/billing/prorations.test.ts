import { describe, expect, it } from 'vitest';
import { prorationAmount } from './prorations';

const DAY = 86_400;

describe('prorationAmount: round(unit × quantity × remaining / period)', () => {
  it.each([
    // unit, quantity, remaining, period, expected
    [1900, 3, 21 * DAY, 31 * DAY, 3861], // 3861.29
    [1900, 4, 21 * DAY, 31 * DAY, 5148], // 5148.39
    [1900, 4, 11 * DAY, 31 * DAY, 2697], // 2696.77
    [1900, 3, 11 * DAY, 31 * DAY, 2023], // 2022.58
    [1900, 1, 30 * DAY, 30 * DAY, 1900], // the whole period
    [1900, 5, 0, 30 * DAY, 0], // at the period end
    [1, 1, 1, 2, 1], // half a cent rounds up
    [1900, 2, 1, 31 * DAY, 0], // one second of two seats
    [1900, 2, DAY, 0, 0], // an empty period prorates nothing
  ])('%i × %i for %i of %i s = %i', (unit, quantity, remaining, period, expected) => {
    expect(prorationAmount(unit, quantity, remaining, period)).toBe(expected);
  });
});
