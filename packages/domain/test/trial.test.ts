import { describe, expect, it } from 'vitest';
import {
  AppError,
  canStartTrial,
  resolveEntitlement,
  startTrialState,
  type SubscriptionState,
} from '../src/index';
import { at, makeState } from './helpers';

const NOW = at('2025-03-10T12:00:00Z');
const paidActive: Partial<SubscriptionState> = {
  status: 'active',
  currentPeriodStart: at('2025-03-01T00:00:00Z'),
  currentPeriodEnd: at('2025-04-01T00:00:00Z'),
  stripeCustomerId: 'cus_1',
  stripeSubscriptionId: 'sub_1',
  stripePriceId: 'price_pro',
};

describe('canStartTrial', () => {
  it.each([
    ['a new FREE account', makeState(), true],
    ['FREE with a used trial', makeState({ trialUsedAt: at('2024-06-01T00:00:00Z') }), false],
    // NO_PLAN is a team's FREE: it may trial, once.
    ['a team without a plan (NO_PLAN)', makeState({ accountKind: 'team' }), true],
    [
      'a team without a plan and a used trial',
      makeState({ accountKind: 'team', trialUsedAt: at('2024-06-01T00:00:00Z') }),
      false,
    ],
    ['an active TEAM', makeState({ accountKind: 'team', plan: 'TEAM', ...paidActive }), false],
    [
      'a canceled TEAM (no plan again)',
      makeState({ accountKind: 'team', plan: 'TEAM', ...paidActive, status: 'canceled' }),
      true,
    ],
    ['an active PRO', makeState({ plan: 'PRO', ...paidActive }), false],
    [
      'a PRO in grace',
      makeState({ plan: 'PRO', ...paidActive, status: 'past_due', pastDueSince: NOW }),
      false,
    ],
    // Past the grace a past_due plan runs on FREE entitlements, but it is still the account's plan
    // (effectivePlanAt): a trial starts only from FREE, so it stays closed until the plan ends.
    [
      'a PRO past its grace',
      makeState({ plan: 'PRO', ...paidActive, status: 'past_due', pastDueSince: at('2025-03-01T00:00:00Z') }),
      false,
    ],
    [
      'a past_due PRO without a grace end',
      makeState({
        plan: 'PRO',
        ...paidActive,
        status: 'past_due',
        pastDueSince: null,
        currentPeriodStart: null,
        currentPeriodEnd: null,
      }),
      false,
    ],
    [
      'a TEAM past its grace',
      makeState({
        accountKind: 'team',
        plan: 'TEAM',
        ...paidActive,
        status: 'past_due',
        pastDueSince: at('2025-03-01T00:00:00Z'),
      }),
      false,
    ],
    [
      'a canceled PRO (falls back to FREE)',
      makeState({ plan: 'PRO', ...paidActive, status: 'canceled' }),
      true,
    ],
    [
      'an unpaid BASIC (falls back to FREE)',
      makeState({ plan: 'BASIC', ...paidActive, status: 'unpaid' }),
      true,
    ],
    [
      'a running trial',
      makeState({
        plan: 'TRIAL',
        status: 'trialing',
        trialStart: at('2025-03-05T00:00:00Z'),
        trialEnd: at('2025-03-19T00:00:00Z'),
        trialUsedAt: at('2025-03-05T00:00:00Z'),
      }),
      false,
    ],
    [
      'an ended trial',
      makeState({
        plan: 'TRIAL',
        status: 'trialing',
        trialStart: at('2025-02-01T00:00:00Z'),
        trialEnd: at('2025-02-15T00:00:00Z'),
        trialUsedAt: at('2025-02-01T00:00:00Z'),
      }),
      false,
    ],
  ])('%s -> %s', (_label, state, isAllowed) => {
    expect(canStartTrial(state, NOW)).toBe(isAllowed);
  });
});

describe('startTrialState', () => {
  it('opens a 14-day TRIAL window from now and marks the trial as used', () => {
    const state = startTrialState(makeState({ stripeCustomerId: 'cus_1' }), NOW);
    expect(state).toMatchObject({
      plan: 'TRIAL',
      status: 'trialing',
      trialStart: NOW,
      trialEnd: at('2025-03-24T12:00:00Z'),
      trialUsedAt: NOW,
      stripeCustomerId: 'cus_1',
    });
    const entitlement = resolveEntitlement(state, NOW, { graceDays: 7 });
    expect(entitlement).toMatchObject({
      plan: 'TRIAL',
      limit: 50,
      period: { start: NOW, end: at('2025-03-24T12:00:00Z') },
    });
  });

  it('forgets the ended subscription so its late events cannot end the trial', () => {
    const state = startTrialState(
      makeState({ plan: 'FREE', ...paidActive, status: 'canceled', pastDueSince: null }),
      NOW,
    );
    expect(state).toMatchObject({
      stripeCustomerId: 'cus_1',
      stripeSubscriptionId: null,
      stripePriceId: null,
      currentPeriodStart: null,
      currentPeriodEnd: null,
      cancelAtPeriodEnd: false,
    });
  });

  it('does not mutate its input', () => {
    const before = makeState();
    startTrialState(before, NOW);
    expect(before.plan).toBe('FREE');
    expect(before.trialUsedAt).toBeNull();
  });

  it('refuses a second trial with TRIAL_NOT_ALLOWED', () => {
    const once = startTrialState(makeState(), at('2025-01-01T00:00:00Z'));
    const afterTrial = at('2025-02-01T00:00:00Z');
    expect(resolveEntitlement(once, afterTrial, { graceDays: 7 }).plan).toBe('FREE');
    expect(() => startTrialState(once, afterTrial)).toThrow(AppError);
    try {
      startTrialState(once, afterTrial);
    } catch (error) {
      expect(error).toMatchObject({ code: 'TRIAL_NOT_ALLOWED', message: expect.stringMatching(/already/) });
    }
  });

  it('refuses a past_due account past its grace, though it runs on FREE entitlements', () => {
    const pastGrace = makeState({
      plan: 'PRO',
      ...paidActive,
      status: 'past_due',
      pastDueSince: at('2025-03-01T00:00:00Z'),
    });
    expect(resolveEntitlement(pastGrace, NOW, { graceDays: 7 }).plan).toBe('FREE');
    expect(() => startTrialState(pastGrace, NOW)).toThrow(
      expect.objectContaining({ code: 'TRIAL_NOT_ALLOWED', message: expect.stringMatching(/Free plan/) }),
    );
  });

  it('refuses a paying account with TRIAL_NOT_ALLOWED, saying why', () => {
    expect(() => startTrialState(makeState({ plan: 'PRO', ...paidActive }), NOW)).toThrow(
      expect.objectContaining({ code: 'TRIAL_NOT_ALLOWED', message: expect.stringMatching(/Free plan/) }),
    );
  });
});
