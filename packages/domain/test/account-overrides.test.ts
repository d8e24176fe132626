import { describe, expect, it } from 'vitest';
import {
  NO_OVERRIDES,
  canStartTrial,
  isCompActive,
  resolveEntitlement,
  withTrialOverride,
  type AccountOverrides,
  type SubscriptionState,
} from '../src/index';
import { at, makeState } from './helpers';

const NOW = at('2025-03-10T12:00:00Z');
const GRACE = { graceDays: 7 };
const COMP_FROM = at('2025-02-20T09:00:00Z');
const PAID_PERIOD = {
  currentPeriodStart: at('2025-03-01T00:00:00Z'),
  currentPeriodEnd: at('2025-04-01T00:00:00Z'),
};

const over = (overrides: Partial<AccountOverrides>): AccountOverrides => ({ ...NO_OVERRIDES, ...overrides });
const entitlement = (state: SubscriptionState, overrides: Partial<AccountOverrides>, now = NOW) =>
  resolveEntitlement({ ...state, overrides: over(overrides) }, now, GRACE);

describe('no overrides: exactly the state’s entitlement', () => {
  it('absent, null or all-null overrides change nothing', () => {
    const state = makeState({ plan: 'PRO', status: 'active', ...PAID_PERIOD });
    const plain = resolveEntitlement(state, NOW, GRACE);
    expect(resolveEntitlement({ ...state, overrides: null }, NOW, GRACE)).toEqual(plain);
    expect(resolveEntitlement({ ...state, overrides: NO_OVERRIDES }, NOW, GRACE)).toEqual(plain);
    expect(plain).toMatchObject({ plan: 'PRO', limit: 1000 });
  });
});

describe('a comp: a paid plan for free until a date', () => {
  const UNTIL = at('2025-04-01T00:00:00Z');
  const comp = (plan: 'BASIC' | 'PRO' | 'TEAM', compFrom = COMP_FROM, compUntil = UNTIL) => ({
    compPlan: plan,
    compFrom,
    compUntil,
  });

  it('a Free account comped PRO has PRO’s runs over the comp’s monthly periods until it ends, then Free again', () => {
    const state = makeState();
    expect(entitlement(state, comp('PRO'))).toEqual({
      plan: 'PRO',
      status: 'active',
      limit: 1000,
      // Monthly from the comp's start (Feb 20, 09:00).
      period: { start: at('2025-02-20T09:00:00Z'), end: at('2025-03-20T09:00:00Z') },
      graceEndsAt: null,
      block: null,
    });
    // The last period is cut at the comp's end, so its allowance never outlives it.
    expect(entitlement(state, comp('PRO'), at('2025-03-25T00:00:00Z')).period).toEqual({
      start: at('2025-03-20T09:00:00Z'),
      end: UNTIL,
    });
    expect(entitlement(state, comp('PRO'), UNTIL)).toMatchObject({ plan: 'FREE', limit: 10 });
    // Not started yet: nothing.
    expect(entitlement(state, comp('PRO', at('2025-03-11T00:00:00Z'))).plan).toBe('FREE');
  });

  it('is in force from its start (inclusive) to its end (exclusive), and only with all three set', () => {
    const soon = at('2025-03-10T12:00:00.001Z');
    expect(isCompActive(over(comp('PRO', COMP_FROM, soon)), NOW)).toBe(true);
    expect(isCompActive(over(comp('PRO', NOW, soon)), NOW)).toBe(true);
    expect(isCompActive(over(comp('PRO', COMP_FROM, NOW)), NOW)).toBe(false);
    expect(isCompActive(over({ ...comp('PRO'), compPlan: null }), NOW)).toBe(false);
    expect(isCompActive(over({ ...comp('PRO'), compFrom: null }), NOW)).toBe(false);
    expect(isCompActive(over({ ...comp('PRO'), compUntil: null }), NOW)).toBe(false);
  });

  it('a paying account comped runs on the comp’s periods; a team without a plan is unblocked', () => {
    const basic = makeState({ plan: 'BASIC', status: 'active', ...PAID_PERIOD });
    expect(entitlement(basic, comp('TEAM'))).toMatchObject({
      plan: 'TEAM',
      limit: 2000,
      period: { start: COMP_FROM, end: at('2025-03-20T09:00:00Z') },
    });
    const team = makeState({ accountKind: 'team' });
    expect(resolveEntitlement(team, NOW, GRACE).block?.code).toBe('NO_PLAN');
    expect(entitlement(team, comp('TEAM'))).toMatchObject({ plan: 'TEAM', limit: 2000, block: null });
  });

  // A comp is a gift: over a paid plan in force that gives more runs it takes nothing away (the paid
  // plan stays, over its Stripe period); it applies once that plan no longer gives more.
  it.each([
    ['PRO comped BASIC', makeState({ plan: 'PRO', status: 'active', ...PAID_PERIOD }), 'BASIC', 'PRO', 1000],
    ['PRO comped PRO', makeState({ plan: 'PRO', status: 'active', ...PAID_PERIOD }), 'PRO', 'PRO', 1000],
    ['BASIC comped PRO', makeState({ plan: 'BASIC', status: 'active', ...PAID_PERIOD }), 'PRO', 'PRO', 1000],
    [
      'canceled PRO comped BASIC',
      makeState({ plan: 'PRO', status: 'canceled', ...PAID_PERIOD }),
      'BASIC',
      'BASIC',
      100,
    ],
    [
      'PRO past its grace comped BASIC',
      makeState({
        plan: 'PRO',
        status: 'past_due',
        pastDueSince: at('2025-02-01T00:00:00Z'),
        ...PAID_PERIOD,
      }),
      'BASIC',
      'BASIC',
      100,
    ],
    [
      'PRO in its grace comped BASIC',
      makeState({
        plan: 'PRO',
        status: 'past_due',
        pastDueSince: at('2025-03-09T00:00:00Z'),
        ...PAID_PERIOD,
      }),
      'BASIC',
      'PRO',
      1000,
    ],
    [
      'TRIAL comped BASIC',
      makeState({
        plan: 'TRIAL',
        status: 'trialing',
        trialStart: at('2025-03-05T00:00:00Z'),
        trialEnd: at('2025-03-19T00:00:00Z'),
      }),
      'BASIC',
      'BASIC',
      100,
    ],
  ] as const)('%s', (_name, state, compPlan, plan, limit) => {
    const result = entitlement(state, comp(compPlan));
    expect(result).toMatchObject({ plan, limit });
    // The comp's own period when the comp applies, the paid one otherwise.
    const isOnCompPeriod = result.period.start.getTime() === COMP_FROM.getTime();
    expect(isOnCompPeriod).toBe(plan === compPlan);
  });

  it('a comp lifts a payment block too: it is free', () => {
    const pastDue = makeState({
      plan: 'PRO',
      status: 'past_due',
      pastDueSince: at('2025-02-01T00:00:00Z'),
      ...PAID_PERIOD,
    });
    expect(resolveEntitlement(pastDue, NOW, GRACE).limitReached?.code).toBe('PAYMENT_PAST_DUE');
    const comped = entitlement(pastDue, comp('PRO'));
    expect(comped).toMatchObject({ plan: 'PRO', status: 'active', limit: 1000, block: null });
    expect(comped).not.toHaveProperty('limitReached');
  });
});

describe('a custom run limit', () => {
  it('replaces the plan’s limit and lifts NO_RUN_LIMIT on an ENTERPRISE deal', () => {
    const enterprise = makeState({ plan: 'ENTERPRISE', status: 'active', ...PAID_PERIOD });
    expect(resolveEntitlement(enterprise, NOW, GRACE).block?.code).toBe('NO_RUN_LIMIT');
    expect(entitlement(enterprise, { runLimit: 5000 })).toMatchObject({
      plan: 'ENTERPRISE',
      limit: 5000,
      block: null,
    });
    const pro = makeState({ plan: 'PRO', status: 'active', ...PAID_PERIOD });
    expect(entitlement(pro, { runLimit: 1500 })).toMatchObject({ plan: 'PRO', limit: 1500 });
    expect(entitlement(makeState(), { runLimit: 0 })).toMatchObject({ plan: 'FREE', limit: 0 });
  });

  it('applies on top of a comp', () => {
    expect(
      entitlement(makeState(), {
        compPlan: 'BASIC',
        compFrom: COMP_FROM,
        compUntil: at('2026-01-01T00:00:00Z'),
        runLimit: 250,
      }),
    ).toMatchObject({ plan: 'BASIC', limit: 250 });
  });

  it('never lifts a payment block: past the grace an unpaid plan stays on Free with PAYMENT_PAST_DUE', () => {
    const pastDue = makeState({
      plan: 'PRO',
      status: 'past_due',
      pastDueSince: at('2025-02-01T00:00:00Z'),
      ...PAID_PERIOD,
    });
    const limited = entitlement(pastDue, { runLimit: 9999 });
    expect(limited).toMatchObject({ plan: 'FREE', limit: 10, limitReached: { code: 'PAYMENT_PAST_DUE' } });
    const team = makeState({
      accountKind: 'team',
      plan: 'TEAM',
      status: 'past_due',
      pastDueSince: at('2025-02-01T00:00:00Z'),
      ...PAID_PERIOD,
    });
    expect(entitlement(team, { runLimit: 9999 })).toMatchObject({
      limit: 0,
      block: { code: 'PAYMENT_PAST_DUE' },
    });
  });

  it('keeps any other block (a team without a plan stays NO_PLAN)', () => {
    expect(entitlement(makeState({ accountKind: 'team' }), { runLimit: 40 })).toMatchObject({
      limit: 40,
      block: { code: 'NO_PLAN' },
    });
  });
});

describe('a trial window set by an operator', () => {
  const window = { trialStart: at('2025-03-01T00:00:00Z'), trialEnd: at('2025-03-20T00:00:00Z') };

  it('extends an ended trial: TRIAL’s runs over the new window, Free after it', () => {
    const ended = makeState({
      plan: 'TRIAL',
      status: 'trialing',
      trialStart: at('2025-02-01T00:00:00Z'),
      trialEnd: at('2025-02-15T00:00:00Z'),
    });
    expect(resolveEntitlement(ended, NOW, GRACE).plan).toBe('FREE');
    expect(entitlement(ended, window)).toMatchObject({
      plan: 'TRIAL',
      limit: 50,
      period: { start: window.trialStart, end: window.trialEnd },
    });
    expect(entitlement(ended, window, window.trialEnd).plan).toBe('FREE');
  });

  it('restarts one on a Free account; never touches a paid plan; needs both ends', () => {
    expect(entitlement(makeState(), window)).toMatchObject({ plan: 'TRIAL', status: 'trialing' });
    const pro = makeState({ plan: 'PRO', status: 'active', ...PAID_PERIOD });
    expect(withTrialOverride(pro, over(window))).toBe(pro);
    const free = makeState();
    expect(withTrialOverride(free, over({ trialStart: window.trialStart }))).toBe(free);
    expect(withTrialOverride(free, over({ trialEnd: window.trialEnd }))).toBe(free);
  });
});

describe('an ended staff window and the account’s own trial', () => {
  const staffWindow = { trialStart: at('2025-02-01T00:00:00Z'), trialEnd: at('2025-02-04T00:00:00Z') };
  const ownTrial = {
    plan: 'TRIAL' as const,
    status: 'trialing' as const,
    trialStart: at('2025-03-05T00:00:00Z'),
    trialEnd: at('2025-03-19T00:00:00Z'),
    trialUsedAt: at('2025-03-05T00:00:00Z'),
  };

  it.each([
    // [case, state, overrides, now, plan, period start, may start a trial]
    [
      'inside the window, never trialed',
      makeState(),
      staffWindow,
      at('2025-02-02T00:00:00Z'),
      'TRIAL',
      staffWindow.trialStart,
      false,
    ],
    ['window ended, never trialed', makeState(), staffWindow, NOW, 'FREE', null, true],
    // The customer's own trial, started after the window ended, is the trial in force.
    [
      'own trial started after the window',
      makeState(ownTrial),
      staffWindow,
      NOW,
      'TRIAL',
      ownTrial.trialStart,
      false,
    ],
    // An extension of the own trial (staff window from its start) or a restart after it applies.
    [
      'own trial extended by staff',
      makeState(ownTrial),
      { trialStart: ownTrial.trialStart, trialEnd: at('2025-04-01T00:00:00Z') },
      at('2025-03-25T00:00:00Z'),
      'TRIAL',
      ownTrial.trialStart,
      false,
    ],
    [
      'own trial, then a restart by staff',
      makeState(ownTrial),
      { trialStart: at('2025-03-25T00:00:00Z'), trialEnd: at('2025-04-01T00:00:00Z') },
      at('2025-03-26T00:00:00Z'),
      'TRIAL',
      at('2025-03-25T00:00:00Z'),
      false,
    ],
    [
      'own trial ended, a restart by staff ended too',
      makeState(ownTrial),
      { trialStart: at('2025-03-25T00:00:00Z'), trialEnd: at('2025-04-01T00:00:00Z') },
      at('2025-04-02T00:00:00Z'),
      'FREE',
      null,
      false,
    ],
  ] as const)('%s', (_name, state, window, now, plan, periodStart, mayTrial) => {
    const withOverrides = { ...state, overrides: over(window) };
    const result = resolveEntitlement(withOverrides, now, GRACE);
    expect(result.plan).toBe(plan);
    if (periodStart) expect(result.period.start).toEqual(periodStart);
    // What the overview shows is what activation allows: both read canStartTrial.
    expect(canStartTrial(withOverrides, now)).toBe(mayTrial);
  });
});
