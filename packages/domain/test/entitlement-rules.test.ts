import { describe, expect, it } from 'vitest';
import {
  AppError,
  decideRun,
  effectivePlanAt,
  resolveEntitlement,
  type SubscriptionState,
} from '../src/index';
import { at, makeState, plusMs } from './helpers';

const GRACE_7 = { graceDays: 7 };
const PERIOD_START = at('2025-03-01T00:00:00Z');
const PERIOD_END = at('2025-04-01T00:00:00Z');

function pro(overrides: Partial<SubscriptionState> = {}): SubscriptionState {
  return makeState({
    plan: 'PRO',
    status: 'active',
    currentPeriodStart: PERIOD_START,
    currentPeriodEnd: PERIOD_END,
    stripeCustomerId: 'cus_1',
    stripeSubscriptionId: 'sub_1',
    stripePriceId: 'price_pro',
    ...overrides,
  });
}

// Past the grace end a personal account runs on FREE entitlements (created 2024-01-31T08:00Z: this
// anniversary period) and only their exhaustion answers PAYMENT_PAST_DUE; a team is blocked at once.
const FREE_PERIOD = { start: at('2025-02-28T08:00:00Z'), end: at('2025-03-31T08:00:00Z') };
const PAST_DUE = {
  code: 'PAYMENT_PAST_DUE',
  message: expect.stringMatching(/^Your last payment failed and the grace period is over\./),
};

describe('past_due grace period', () => {
  const since = at('2025-03-02T09:30:00Z');

  it.each([
    [7, -1, false],
    [7, 0, true],
    [7, 1, true],
    [3, -1, false],
    [3, 0, true],
    [0, -1, false], // the instant before it became past_due
    [0, 0, true], // no grace at all
  ])('graceDays %s, %s ms from the grace end -> past the grace %s', (graceDays, offsetMs, isPastGrace) => {
    const graceEndsAt = plusMs(since, graceDays * 24 * 60 * 60 * 1000);
    const state = pro({ status: 'past_due', pastDueSince: since });
    const entitlement = resolveEntitlement(state, plusMs(graceEndsAt, offsetMs), { graceDays });
    if (isPastGrace) {
      expect(entitlement).toEqual({
        plan: 'FREE',
        status: 'past_due',
        limit: 10,
        period: FREE_PERIOD,
        graceEndsAt,
        block: null,
        limitReached: PAST_DUE,
      });
      expect(decideRun(entitlement, 9)).toMatchObject({ allowed: true, plan: 'FREE', used: 10, limit: 10 });
      expect(decideRun(entitlement, 10)).toMatchObject({
        allowed: false,
        code: 'PAYMENT_PAST_DUE',
        used: 10,
      });
    } else {
      // Inside the grace the paid plan is untouched: its quota, its period, its own limit answer.
      expect(entitlement).toEqual({
        plan: 'PRO',
        status: 'past_due',
        limit: 1000,
        period: { start: PERIOD_START, end: PERIOD_END },
        graceEndsAt,
        block: null,
      });
      expect(decideRun(entitlement, 999)).toMatchObject({ allowed: true, plan: 'PRO', used: 1000 });
      expect(decideRun(entitlement, 1000)).toMatchObject({ allowed: false, code: 'USAGE_LIMIT_REACHED' });
    }
  });

  it('starts the grace at currentPeriodStart when pastDueSince was never recorded', () => {
    // The unpaid renewal invoice is created at the period start: the grace can't have started earlier.
    const state = pro({ status: 'past_due', pastDueSince: null });
    const graceEndsAt = at('2025-03-08T00:00:00Z');
    expect(resolveEntitlement(state, plusMs(graceEndsAt, -1), GRACE_7)).toEqual({
      plan: 'PRO',
      status: 'past_due',
      limit: 1000,
      period: { start: PERIOD_START, end: PERIOD_END },
      graceEndsAt,
      block: null,
    });
    expect(resolveEntitlement(state, graceEndsAt, GRACE_7)).toEqual({
      plan: 'FREE',
      status: 'past_due',
      limit: 10,
      period: FREE_PERIOD,
      graceEndsAt,
      block: null,
      limitReached: PAST_DUE,
    });
  });

  it('counts as past the grace at once when neither pastDueSince nor a period start says how long it has been overdue', () => {
    const state = pro({
      status: 'past_due',
      pastDueSince: null,
      currentPeriodStart: null,
      currentPeriodEnd: null,
    });
    const entitlement = resolveEntitlement(state, at('2025-03-10T00:00:00Z'), GRACE_7);
    expect(entitlement).toEqual({
      plan: 'FREE',
      status: 'past_due',
      limit: 10,
      period: FREE_PERIOD,
      graceEndsAt: null,
      block: null,
      limitReached: PAST_DUE,
    });
    expect(decideRun(entitlement, 9).allowed).toBe(true);
    expect(decideRun(entitlement, 10)).toMatchObject({ allowed: false, code: 'PAYMENT_PAST_DUE' });
  });

  it('treats a missing grace end as over whatever the clock says (null is never compared as the 1970 epoch)', () => {
    const state = pro({
      status: 'past_due',
      pastDueSince: null,
      currentPeriodStart: null,
      currentPeriodEnd: null,
    });
    for (const now of [at('1969-12-31T00:00:00Z'), at('1970-01-01T00:00:00Z'), at('2025-03-10T00:00:00Z')]) {
      expect(resolveEntitlement(state, now, GRACE_7)).toMatchObject({
        plan: 'FREE',
        limit: 10,
        graceEndsAt: null,
        block: null,
        limitReached: PAST_DUE,
      });
    }
  });

  it.each([
    ['past the grace end', at('2025-03-02T09:30:00Z'), at('2025-03-09T09:30:00Z')],
    ['without a grace end', null, null],
  ] as const)('blocks a team %s with PAYMENT_PAST_DUE: it has no FREE runs', (_label, since, graceEndsAt) => {
    const team = pro({
      accountKind: 'team',
      plan: 'TEAM',
      status: 'past_due',
      pastDueSince: since,
      ...(since === null ? { currentPeriodStart: null, currentPeriodEnd: null } : {}),
    });
    const entitlement = resolveEntitlement(team, at('2025-03-10T00:00:00Z'), GRACE_7);
    expect(entitlement).toEqual({
      plan: 'FREE',
      status: 'past_due',
      limit: 0,
      period: FREE_PERIOD,
      graceEndsAt,
      block: PAST_DUE,
      limitReached: PAST_DUE,
    });
    expect(decideRun(entitlement, 0)).toMatchObject({ allowed: false, code: 'PAYMENT_PAST_DUE', used: 0 });
  });

  it('never blocks past_due on the free tier', () => {
    const state = makeState({ plan: 'FREE', status: 'past_due', pastDueSince: at('2020-01-01T00:00:00Z') });
    // Nothing was unpaid: the FREE plan's own limit answers USAGE_LIMIT_REACHED, not PAYMENT_PAST_DUE.
    const entitlement = resolveEntitlement(state, at('2025-03-10T00:00:00Z'), GRACE_7);
    expect(entitlement).toEqual({
      plan: 'FREE',
      status: 'past_due',
      limit: 10,
      period: FREE_PERIOD,
      block: null,
      graceEndsAt: null,
    });
    expect(decideRun(entitlement, 10)).toMatchObject({ allowed: false, code: 'USAGE_LIMIT_REACHED' });
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('rejects graceDays %s', (graceDays) => {
    expect(() => resolveEntitlement(pro(), at('2025-03-10T00:00:00Z'), { graceDays })).toThrow(AppError);
  });
});

describe('Tollgate TRIAL window', () => {
  const trialStart = at('2025-03-01T10:00:00Z');
  const trialEnd = at('2025-03-15T10:00:00Z');
  const state = makeState({
    plan: 'TRIAL',
    status: 'trialing',
    trialStart,
    trialEnd,
    trialUsedAt: trialStart,
  });

  it.each([
    ['just before the start', plusMs(trialStart, -1), 'FREE'],
    ['at the start', trialStart, 'TRIAL'],
    ['1 ms before the end', plusMs(trialEnd, -1), 'TRIAL'],
    ['exactly at the end', trialEnd, 'FREE'],
    ['1 ms after the end', plusMs(trialEnd, 1), 'FREE'],
  ] as const)('%s -> %s', (_label, now, plan) => {
    const entitlement = resolveEntitlement(state, now, GRACE_7);
    expect(entitlement.plan).toBe(plan);
    expect(entitlement.block).toBeNull();
    if (plan === 'TRIAL') {
      expect(entitlement.limit).toBe(50);
      expect(entitlement.period).toEqual({ start: trialStart, end: trialEnd });
    } else {
      expect(entitlement.limit).toBe(10);
      // FREE period: monthly anniversary of the account (created 2024-01-31T08:00Z), not the trial.
      expect(entitlement.period.start.getUTCHours()).toBe(8);
      expect(entitlement.period.start <= now && now < entitlement.period.end).toBe(true);
    }
  });

  it.each([
    ['never stored', null, null],
    ['without a start', null, trialEnd],
    ['without an end', trialStart, null],
  ] as const)('falls back to FREE when the trial window is %s', (_label, start, end) => {
    const broken = makeState({ plan: 'TRIAL', status: 'trialing', trialStart: start, trialEnd: end });
    expect(resolveEntitlement(broken, at('2025-03-05T00:00:00Z'), GRACE_7)).toMatchObject({
      plan: 'FREE',
      limit: 10,
      period: { start: at('2025-02-28T08:00:00Z'), end: at('2025-03-31T08:00:00Z') },
    });
  });
});

describe('Stripe trial on a paid plan', () => {
  const trialStart = at('2025-03-01T00:00:00Z');
  const trialEnd = at('2025-03-15T00:00:00Z');
  const state = pro({
    status: 'trialing',
    trialStart,
    trialEnd,
    currentPeriodStart: trialStart,
    currentPeriodEnd: trialEnd,
  });

  it.each([
    [plusMs(trialEnd, -1), 'PRO', 1000],
    [trialEnd, 'FREE', 10],
    [plusMs(trialEnd, 1), 'FREE', 10],
  ] as const)('at %s -> %s (until Stripe reports the first charge)', (now, plan, limit) => {
    expect(resolveEntitlement(state, now, GRACE_7)).toMatchObject({
      plan,
      limit,
      status: 'trialing',
      block: null,
    });
  });

  it('keeps the plan while Stripe says trialing without a trial end (nothing has ended)', () => {
    const noEnd = { ...state, trialEnd: null };
    expect(resolveEntitlement(noEnd, at('2025-03-20T00:00:00Z'), GRACE_7)).toMatchObject({
      plan: 'PRO',
      limit: 1000,
      period: { start: trialStart, end: trialEnd },
    });
  });

  it('uses the trial window as the period when Stripe sent no billing period', () => {
    const noPeriod = { ...state, currentPeriodStart: null, currentPeriodEnd: null };
    expect(resolveEntitlement(noPeriod, at('2025-03-05T00:00:00Z'), GRACE_7).period).toEqual({
      start: trialStart,
      end: trialEnd,
    });
  });
});

describe('a paid plan bought during a Tollgate trial', () => {
  it.each([
    ['BASIC', 100],
    ['PRO', 1000],
  ] as const)('%s keeps running after the old trial end', (plan, limit) => {
    const oldTrialEnd = at('2025-03-05T00:00:00Z');
    const state = pro({
      plan,
      trialStart: at('2025-02-19T00:00:00Z'),
      trialEnd: oldTrialEnd,
      trialUsedAt: at('2025-02-19T00:00:00Z'),
    });
    for (const now of [
      plusMs(oldTrialEnd, -1),
      oldTrialEnd,
      plusMs(oldTrialEnd, 1),
      at('2025-03-31T00:00:00Z'),
    ]) {
      expect(resolveEntitlement(state, now, GRACE_7)).toMatchObject({ plan, limit, block: null });
    }
  });
});

describe('paid billing period edges', () => {
  it.each([
    ['1 ms before the end', plusMs(PERIOD_END, -1)],
    ['exactly at the end (renewal webhook not here yet)', PERIOD_END],
    ['a day after the end', at('2025-04-02T00:00:00Z')],
  ])('%s: keeps the last known period and plan', (_label, now) => {
    expect(resolveEntitlement(pro(), now, GRACE_7)).toMatchObject({
      plan: 'PRO',
      limit: 1000,
      period: { start: PERIOD_START, end: PERIOD_END },
      block: null,
    });
  });

  it('moves to the new period (a new counter) once Stripe reports the renewal', () => {
    const renewed = pro({ currentPeriodStart: PERIOD_END, currentPeriodEnd: at('2025-05-01T00:00:00Z') });
    expect(resolveEntitlement(renewed, PERIOD_END, GRACE_7).period.start).toEqual(PERIOD_END);
  });

  it.each([
    [plusMs(PERIOD_END, -1), 'PRO'],
    [PERIOD_END, 'FREE'],
    [plusMs(PERIOD_END, 1), 'FREE'],
  ] as const)('cancel at period end: at %s -> %s', (now, plan) => {
    expect(resolveEntitlement(pro({ cancelAtPeriodEnd: true }), now, GRACE_7).plan).toBe(plan);
  });

  it('a cancellation at period end without a known period end ends nothing', () => {
    const noEnd = pro({ cancelAtPeriodEnd: true, currentPeriodStart: null, currentPeriodEnd: null });
    expect(resolveEntitlement(noEnd, at('2025-03-10T00:00:00Z'), GRACE_7)).toMatchObject({
      plan: 'PRO',
      limit: 1000,
      block: null,
    });
  });

  it('counts over the FREE anniversary period with the paid limit when no Stripe period is stored', () => {
    const now = at('2025-03-10T00:00:00Z');
    const entitlement = resolveEntitlement(
      pro({ currentPeriodStart: null, currentPeriodEnd: null }),
      now,
      GRACE_7,
    );
    expect(entitlement).toMatchObject({
      plan: 'PRO',
      limit: 1000,
      period: { start: at('2025-02-28T08:00:00Z'), end: at('2025-03-31T08:00:00Z') },
    });
  });
});

describe('a stored period is used only when it is a real period', () => {
  // Created 2024-01-31T08:00Z: the FREE anniversary period around NOW.
  const NOW = at('2025-03-10T12:00:00Z');
  const ANNIVERSARY = { start: at('2025-02-28T08:00:00Z'), end: at('2025-03-31T08:00:00Z') };
  const MAR_1 = at('2025-03-01T00:00:00Z');
  const MAR_5 = at('2025-03-05T00:00:00Z');
  const MAR_20 = at('2025-03-20T00:00:00Z');

  it.each([
    ['a valid Stripe period', pro(), { start: PERIOD_START, end: PERIOD_END }],
    ['only a period start', pro({ currentPeriodEnd: null }), ANNIVERSARY],
    ['only a period end', pro({ currentPeriodStart: null }), ANNIVERSARY],
    // A missing date is never compared as if it were 0 (1970-01-01).
    [
      'only a period start, before 1970',
      pro({ currentPeriodStart: at('1969-12-01T00:00:00Z'), currentPeriodEnd: null }),
      ANNIVERSARY,
    ],
    ['an empty period (start = end)', pro({ currentPeriodEnd: PERIOD_START }), ANNIVERSARY],
    [
      'a reversed period',
      pro({ currentPeriodStart: PERIOD_END, currentPeriodEnd: PERIOD_START }),
      ANNIVERSARY,
    ],
    [
      'Stripe trialing, no period: the trial window',
      pro({
        status: 'trialing',
        currentPeriodStart: null,
        currentPeriodEnd: null,
        trialStart: MAR_5,
        trialEnd: MAR_20,
      }),
      { start: MAR_5, end: MAR_20 },
    ],
    [
      'Stripe trialing, no period, trial window without a start',
      pro({
        status: 'trialing',
        currentPeriodStart: null,
        currentPeriodEnd: null,
        trialStart: null,
        trialEnd: MAR_20,
      }),
      ANNIVERSARY,
    ],
    [
      'Stripe trialing, no period, trial window without an end',
      pro({
        status: 'trialing',
        currentPeriodStart: null,
        currentPeriodEnd: null,
        trialStart: MAR_5,
        trialEnd: null,
      }),
      ANNIVERSARY,
    ],
    [
      'Stripe trialing, no period, trial window without an end, starting before 1970',
      pro({
        status: 'trialing',
        currentPeriodStart: null,
        currentPeriodEnd: null,
        trialStart: at('1969-12-01T00:00:00Z'),
        trialEnd: null,
      }),
      ANNIVERSARY,
    ],
    [
      'Stripe trialing, no period, an empty trial window',
      pro({
        status: 'trialing',
        currentPeriodStart: null,
        currentPeriodEnd: null,
        trialStart: MAR_20,
        trialEnd: MAR_20,
      }),
      ANNIVERSARY,
    ],
    [
      'Stripe trialing, no period, a reversed trial window',
      pro({
        status: 'trialing',
        currentPeriodStart: null,
        currentPeriodEnd: null,
        trialStart: MAR_20,
        trialEnd: at('2025-03-15T00:00:00Z'),
      }),
      ANNIVERSARY,
    ],
    [
      'active, no period, old trial dates: not the trial window',
      pro({ currentPeriodStart: null, currentPeriodEnd: null, trialStart: MAR_1, trialEnd: MAR_20 }),
      ANNIVERSARY,
    ],
  ] as const)('%s', (_label, state, period) => {
    expect(resolveEntitlement(state, NOW, GRACE_7)).toMatchObject({
      plan: 'PRO',
      limit: 1000,
      period,
      block: null,
    });
  });
});

describe('ENTERPRISE', () => {
  it('uses the per-account limit', () => {
    const state = pro({ plan: 'ENTERPRISE', customRunLimit: 25_000 });
    expect(resolveEntitlement(state, at('2025-03-10T00:00:00Z'), GRACE_7)).toMatchObject({
      plan: 'ENTERPRISE',
      limit: 25_000,
      block: null,
    });
  });

  it('is blocked with NO_RUN_LIMIT until a limit is configured', () => {
    const state = pro({
      plan: 'ENTERPRISE',
      customRunLimit: null,
      currentPeriodStart: null,
      currentPeriodEnd: null,
    });
    const entitlement = resolveEntitlement(state, at('2025-03-10T00:00:00Z'), GRACE_7);
    expect(entitlement.limit).toBe(0);
    expect(entitlement.block?.code).toBe('NO_RUN_LIMIT');
  });

  it('ignores customRunLimit on other plans', () => {
    expect(resolveEntitlement(pro({ customRunLimit: 5 }), at('2025-03-10T00:00:00Z'), GRACE_7).limit).toBe(
      1000,
    );
  });
});

describe('time zones', () => {
  it.each([
    ['2025-03-31T23:59:59.999Z', '2025-04-01T13:59:59.999+14:00', '2025-03-31T11:59:59.999-12:00', 'PRO'],
    ['2025-04-01T00:00:00Z', '2025-04-01T14:00:00+14:00', '2025-03-31T12:00:00-12:00', 'FREE'],
  ] as const)('%s written as %s or %s gives the same entitlement', (utc, east, west, plan) => {
    const state = pro({ cancelAtPeriodEnd: true });
    const results = [utc, east, west].map((iso) => resolveEntitlement(state, at(iso), GRACE_7));
    expect(results[0]?.plan).toBe(plan);
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });
});

describe('effectivePlanAt', () => {
  it.each([
    [pro(), 'PRO'],
    [pro({ status: 'canceled' }), 'FREE'],
    // Past the grace a past_due plan runs on FREE entitlements but is still the account's plan.
    [pro({ status: 'past_due', pastDueSince: at('2020-01-01T00:00:00Z') }), 'PRO'],
    [
      pro({ status: 'past_due', pastDueSince: null, currentPeriodStart: null, currentPeriodEnd: null }),
      'PRO',
    ],
    [
      pro({
        accountKind: 'team',
        plan: 'TEAM',
        status: 'past_due',
        pastDueSince: at('2020-01-01T00:00:00Z'),
      }),
      'TEAM',
    ],
    [makeState(), 'FREE'],
  ] as const)('%# -> %s', (state, plan) => {
    expect(effectivePlanAt(state, at('2025-03-10T00:00:00Z'))).toBe(plan);
  });
});
