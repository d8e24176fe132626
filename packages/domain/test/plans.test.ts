import { describe, expect, it } from 'vitest';
import {
  CHECKOUT_PLAN_IDS,
  DEFAULT_PAYMENT_GRACE_DAYS,
  PLAN_IDS,
  PLANS,
  TRIAL_DAYS,
  checkoutPlanIdSchema,
  formatPrice,
  getPlan,
  isCheckoutPlanId,
  planIdSchema,
} from '../src/index';

describe('plan catalog', () => {
  it.each([
    ['FREE', 0, 10, false, false, 'month'],
    ['TRIAL', 0, 50, false, false, null],
    ['BASIC', 1900, 100, true, true, 'month'],
    ['PRO', 4900, 1000, true, true, 'month'],
    ['ENTERPRISE', null, null, true, false, null],
  ] as const)('%s costs %s cents for %s runs', (id, priceCents, runLimit, isPaid, isSelfServe, interval) => {
    const plan = getPlan(id);
    expect(plan).toMatchObject({ id, priceCents, runLimit, isPaid, isSelfServe, interval, currency: 'usd' });
    expect(plan.name.length).toBeGreaterThan(0);
    expect(plan.tagline.length).toBeGreaterThan(0);
    expect(plan.features.length).toBeGreaterThan(0);
  });

  // What each plan advertises on the settings page and in the upgrade modal: the run counts are the
  // limits the entitlement enforces, so a change here is a change of the offer.
  it.each([
    ['FREE', ['10 agent runs per month', 'Basic agent usage', 'Community support']],
    ['TRIAL', ['50 agent runs over 14 days', 'All features unlocked', 'Once per account']],
    ['BASIC', ['100 agent runs per month', 'Standard features', 'Email support', 'Priority queue']],
    ['PRO', ['1,000 agent runs per month', 'Advanced features', 'Priority support', 'Custom integrations']],
    ['ENTERPRISE', ['Run limit set per account', 'Dedicated support', 'Custom contract and invoicing']],
  ] as const)('%s advertises %j', (id, features) => {
    expect(getPlan(id).features).toEqual(features);
    const limit = getPlan(id).runLimit;
    if (limit !== null)
      expect(features[0]).toMatch(new RegExp(`^${limit.toLocaleString('en-US')} agent runs `));
  });

  it('has one entry per plan id, keyed by its own id', () => {
    expect(Object.keys(PLANS).sort()).toEqual([...PLAN_IDS].sort());
    for (const id of PLAN_IDS) expect(PLANS[id].id).toBe(id);
  });

  it('sells exactly the self-serve plans through checkout', () => {
    const selfServe = PLAN_IDS.filter((id) => PLANS[id].isSelfServe);
    expect(selfServe).toEqual([...CHECKOUT_PLAN_IDS]);
    expect(PLAN_IDS.filter(isCheckoutPlanId)).toEqual(['BASIC', 'PRO']);
  });

  it('is frozen so no caller can change a limit at runtime', () => {
    expect(Object.isFrozen(PLANS)).toBe(true);
  });

  it('has the trial length and default grace period of the product rules', () => {
    expect(TRIAL_DAYS).toBe(14);
    expect(DEFAULT_PAYMENT_GRACE_DAYS).toBe(7);
  });
});

describe('plan id schemas', () => {
  it.each(PLAN_IDS)('accepts %s', (id) => {
    expect(planIdSchema.parse(id)).toBe(id);
  });

  it.each(['free', 'GOLD', '', 1, null])('rejects %j', (value) => {
    expect(planIdSchema.safeParse(value).success).toBe(false);
  });

  it.each([
    ['BASIC', true],
    ['PRO', true],
    ['FREE', false],
    ['TRIAL', false],
    ['ENTERPRISE', false],
  ] as const)('checkout accepts %s: %s', (id, isAccepted) => {
    expect(checkoutPlanIdSchema.safeParse(id).success).toBe(isAccepted);
  });
});

describe('formatPrice', () => {
  it.each([
    [1900, '$19'],
    [4900, '$49'],
    [0, '$0'],
    [1950, '$19.50'],
    [123456, '$1,234.56'],
    [null, 'Custom'],
  ] as const)('%s cents -> %s', (cents, expected) => {
    expect(formatPrice(cents)).toBe(expected);
    expect(formatPrice(cents, 'usd')).toBe(expected);
  });
});
