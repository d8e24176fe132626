import { PLANS, PLAN_IDS, type PlanId } from '@tollgate/sdk';
import { describe, expect, it } from 'vitest';
import { priceLabel } from './plan-labels';

describe('priceLabel', () => {
  const EXPECTED: Record<PlanId, string> = {
    FREE: 'Free',
    TRIAL: 'Free for 14 days',
    BASIC: '$19 / month',
    PRO: '$49 / month',
    // Seat-priced: the price is per member of the team, every month.
    TEAM: '$15 / seat / month',
    ENTERPRISE: 'Custom pricing',
  };

  it.each(PLAN_IDS.map((id) => [id, EXPECTED[id]] as const))('%s -> %s', (id, label) => {
    expect(priceLabel(PLANS[id])).toBe(label);
  });
});
