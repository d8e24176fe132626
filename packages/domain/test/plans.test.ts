import { describe, expect, it } from 'vitest';
import {
  CHECKOUT_PLAN_IDS,
  DEFAULT_PAYMENT_GRACE_DAYS,
  PLAN_IDS,
  PLANS,
  TRIAL_DAYS,
  checkoutPlanIdSchema,
  checkoutPlansFor,
  formatPrice,
  getPlan,
  isCheckoutPlanId,
  isPlanForAccountKind,
  planGrantedByPrice,
  planIdSchema,
} from '../src/index';

describe('plan catalog', () => {
  it.each([
    ['FREE', 0, 10, false, false, false, 'month'],
    ['TRIAL', 0, 50, false, false, false, null],
    ['BASIC', 1900, 100, true, true, false, 'month'],
    ['PRO', 4900, 1000, true, true, false, 'month'],
    // 1500 per seat; the 2,000 runs are per plan (the team's shared pool), not per seat.
    ['TEAM', 1500, 2000, true, true, true, 'month'],
    ['ENTERPRISE', null, null, true, false, false, null],
  ] as const)(
    '%s costs %s cents for %s runs',
    (id, priceCents, runLimit, isPaid, isSelfServe, isSeatPriced, interval) => {
      const plan = getPlan(id);
      expect(plan).toMatchObject({
        id,
        priceCents,
        runLimit,
        isPaid,
        isSelfServe,
        isSeatPriced,
        interval,
        currency: 'usd',
      });
      expect(plan.name.length).toBeGreaterThan(0);
      expect(plan.tagline.length).toBeGreaterThan(0);
      expect(plan.features.length).toBeGreaterThan(0);
    },
  );

  // What each plan advertises on the settings page and in the upgrade modal: the run counts are the
  // limits the entitlement enforces, so a change here is a change of the offer.
  it.each([
    ['FREE', ['10 agent runs per month', 'Basic agent usage', 'Community support']],
    ['TRIAL', ['50 agent runs over 14 days', 'All features unlocked', 'Once per account']],
    ['BASIC', ['100 agent runs per month', 'Standard features', 'Email support', 'Priority queue']],
    ['PRO', ['1,000 agent runs per month', 'Advanced features', 'Priority support', 'Custom integrations']],
    [
      'TEAM',
      [
        '2,000 agent runs per month, shared by the team',
        'Billed per seat: $15 per member per month',
        'Roles and per-member run caps',
        'Priority support',
      ],
    ],
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
    expect(PLAN_IDS.filter(isCheckoutPlanId)).toEqual(['BASIC', 'PRO', 'TEAM']);
  });

  it('prices per seat only the TEAM plan, and says so in its price line', () => {
    expect(PLAN_IDS.filter((id) => PLANS[id].isSeatPriced)).toEqual(['TEAM']);
    expect(PLANS.TEAM.features[1]).toContain(`${formatPrice(PLANS.TEAM.priceCents)} per member`);
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
    ['TEAM', true],
  ] as const)('checkout accepts %s: %s', (id, isAccepted) => {
    expect(checkoutPlanIdSchema.safeParse(id).success).toBe(isAccepted);
  });
});

describe('checkoutPlansFor(kind): what an account of each kind may buy', () => {
  it.each([
    ['personal', ['BASIC', 'PRO']],
    ['team', ['TEAM']],
  ] as const)('%s -> %j', (kind, plans) => {
    expect(checkoutPlansFor(kind)).toEqual(plans);
  });

  it('sells every checkout plan to exactly one kind', () => {
    const sold = [...checkoutPlansFor('personal'), ...checkoutPlansFor('team')];
    expect([...sold].sort()).toEqual([...CHECKOUT_PLAN_IDS].sort());
  });

  it('is frozen so no caller can widen what a kind may buy', () => {
    expect(Object.isFrozen(checkoutPlansFor('personal'))).toBe(true);
    expect(Object.isFrozen(checkoutPlansFor('team'))).toBe(true);
  });

  const cells = PLAN_IDS.flatMap((plan) =>
    (['personal', 'team'] as const).map(
      (kind) =>
        [plan, kind, kind === 'personal' ? plan === 'BASIC' || plan === 'PRO' : plan === 'TEAM'] as const,
    ),
  );

  it.each(cells)('isPlanForAccountKind(%s, %s) -> %s', (plan, kind, expected) => {
    expect(isPlanForAccountKind(plan, kind)).toBe(expected);
  });
});

describe('planGrantedByPrice(kind, plan of the price): what a subscription price grants', () => {
  it.each([
    // A kind's own plans are granted.
    ['personal', 'BASIC', 'BASIC'],
    ['personal', 'PRO', 'PRO'],
    ['team', 'TEAM', 'TEAM'],
    // A personal account keeps its plan on TEAM's price or one Tollgate doesn't sell (null: kept).
    ['personal', 'TEAM', null],
    ['personal', null, null],
    // A team gets no plan (FREE, which is NO_PLAN for a team) on a single-user plan's price, and keeps
    // its plan on a price Tollgate doesn't sell (an operator's price change not configured yet).
    ['team', 'BASIC', 'FREE'],
    ['team', 'PRO', 'FREE'],
    ['team', null, null],
  ] as const)('%s on a %s price -> %s', (kind, pricePlan, expected) => {
    expect(planGrantedByPrice(kind, pricePlan)).toBe(expected);
  });
});

describe('formatPrice', () => {
  it.each([
    [1900, '$19'],
    [4900, '$49'],
    [1500, '$15'],
    [0, '$0'],
    [1950, '$19.50'],
    [123456, '$1,234.56'],
    [null, 'Custom'],
  ] as const)('%s cents -> %s', (cents, expected) => {
    expect(formatPrice(cents)).toBe(expected);
    expect(formatPrice(cents, 'usd')).toBe(expected);
  });
});
