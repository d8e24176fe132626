import { describe, expect, it } from 'vitest';
import {
  DISPUTE_STATUSES_MONEY_KEPT,
  DISPUTE_STATUSES_MONEY_TAKEN,
  isAppError,
  packClawbackUnits,
  packDisputeAmounts,
} from '../src/index';

describe('what the disputes of a pack’s payment hold', () => {
  it.each([
    ['needs_response', { disputedCents: 1000, wonCents: 0 }],
    ['under_review', { disputedCents: 1000, wonCents: 0 }],
    ['lost', { disputedCents: 1000, wonCents: 0 }],
    ['appeal_needs_response', { disputedCents: 1000, wonCents: 0 }],
    ['appeal_under_review', { disputedCents: 1000, wonCents: 0 }],
    ['won', { disputedCents: 0, wonCents: 1000 }],
    ['warning_needs_response', { disputedCents: 0, wonCents: 0 }],
    ['warning_under_review', { disputedCents: 0, wonCents: 0 }],
    ['warning_closed', { disputedCents: 0, wonCents: 0 }],
    ['prevented', { disputedCents: 0, wonCents: 0 }],
  ])('a dispute of $10 that is %s', (status, amounts) => {
    expect(packDisputeAmounts([{ id: 'du_1', amount: 1000, status }])).toEqual(amounts);
  });

  it('every status Stripe documents is classified once', () => {
    const all = [...DISPUTE_STATUSES_MONEY_TAKEN, ...DISPUTE_STATUSES_MONEY_KEPT];
    expect(new Set(all).size).toBe(all.length);
    expect(all).toHaveLength(10);
  });

  it('sums several disputes of one payment; none holds nothing', () => {
    const disputes = [
      { amount: 300, status: 'lost' },
      { amount: 200, status: 'needs_response' },
      { amount: 500, status: 'won' },
    ];
    expect(packDisputeAmounts(disputes)).toEqual({ disputedCents: 500, wonCents: 500 });
    expect(packDisputeAmounts([])).toEqual({ disputedCents: 0, wonCents: 0 });
  });

  it.each([
    ['an unknown status', [{ amount: 1000, status: 'escalated' }]],
    ['a negative amount', [{ amount: -1, status: 'lost' }]],
    ['no list', { data: [] }],
  ])('refuses %s (a malformed Stripe dispute, never a guess)', (_what, disputes) => {
    let error: unknown;
    try {
      packDisputeAmounts(disputes);
    } catch (caught) {
      error = caught;
    }
    expect(isAppError(error, 'BAD_REQUEST')).toBe(true);
    expect((error as Error).message).toBe('Malformed Stripe dispute');
  });

  it('a dispute claws back like a refund, the two together never beyond what was paid', () => {
    // 100 units for $10: $3 refunded, then the remaining $7 disputed → everything.
    expect(packClawbackUnits(100, 1000, 300 + 700)).toBe(100);
    // Disputed in full after a partial refund: still at most the whole pack.
    expect(packClawbackUnits(100, 1000, 300 + 1000)).toBe(100);
    // Part of it disputed: ⌈100 × 333 ÷ 1000⌉ = 34.
    expect(packClawbackUnits(100, 1000, 0 + 333)).toBe(34);
  });
});
