import { describe, expect, it } from 'vitest';
import { overageRevenue, type OverageCharge } from '../../src/index';

const charge = (accountId: string, cents: number, patch: Partial<OverageCharge> = {}): OverageCharge => ({
  accountId,
  month: '2024-05',
  plan: 'PRO',
  cents,
  ...patch,
});

describe('overage revenue per month', () => {
  it('sums the charges of each month of the range, and counts the accounts billed some', () => {
    const charges = [
      charge('a', 125),
      charge('a', 250),
      charge('b', 0),
      charge('c', 38, { plan: 'TEAM' }),
      charge('d', 999, { month: '2024-04' }),
    ];
    expect(overageRevenue(charges, { from: '2024-05', to: '2024-06' })).toEqual([
      { month: '2024-05', cents: 413, accounts: 2 },
      { month: '2024-06', cents: 0, accounts: 0 },
    ]);
    expect(overageRevenue(charges, { from: '2024-05', to: '2024-05', plans: ['TEAM'] })).toEqual([
      { month: '2024-05', cents: 38, accounts: 1 },
    ]);
  });
});
