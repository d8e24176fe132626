import { describe, expect, it } from 'vitest';
import { planForPrice } from './stripe-settings';

const settings = { priceIds: { BASIC: 'price_basic', PRO: 'price_pro', TEAM: 'price_team' } };

describe('planForPrice: a Stripe price back to the plan it sells', () => {
  it.each([
    ['price_basic', 'BASIC'],
    ['price_pro', 'PRO'],
    ['price_team', 'TEAM'],
    ['price_other', null],
    ['', null],
    ['BASIC', null],
  ] as const)('%j -> %s', (priceId, plan) => {
    expect(planForPrice(settings, priceId)).toBe(plan);
  });
});
