import { describe, expect, it } from 'vitest';
import { AppError, decideRun, resolveEntitlement, type Entitlement, type PlanId } from '../src/index';
import { at, makeState } from './helpers';

const NOW = at('2025-03-10T12:00:00Z');
const PERIOD = { start: at('2025-03-01T00:00:00Z'), end: at('2025-04-01T00:00:00Z') };

function entitlementFor(plan: PlanId): Entitlement {
  const state = makeState({
    plan,
    status: plan === 'TRIAL' ? 'trialing' : 'active',
    currentPeriodStart: PERIOD.start,
    currentPeriodEnd: PERIOD.end,
    trialStart: PERIOD.start,
    trialEnd: at('2025-03-15T00:00:00Z'),
    customRunLimit: 300,
  });
  return resolveEntitlement(state, NOW, { graceDays: 7 });
}

describe('decideRun: limit - 1 / limit / limit + 1 for every plan', () => {
  const limits: [PlanId, number][] = [
    ['FREE', 10],
    ['TRIAL', 50],
    ['BASIC', 100],
    ['PRO', 1000],
    ['ENTERPRISE', 300],
  ];
  const rows: [PlanId, number, number, boolean][] = limits.flatMap(([plan, limit]) => [
    [plan, limit, 0, true],
    [plan, limit, limit - 1, true],
    [plan, limit, limit, false],
    [plan, limit, limit + 1, false],
  ]);

  it.each(rows)('%s (limit %s) with %s used before -> allowed %s', (plan, limit, usedBefore, isAllowed) => {
    const entitlement = entitlementFor(plan);
    expect(entitlement.limit).toBe(limit);
    const decision = decideRun(entitlement, usedBefore);
    expect(decision.allowed).toBe(isAllowed);
    expect(decision).toMatchObject({
      plan,
      status: entitlement.status,
      limit,
      resetsAt: entitlement.period.end,
    });
    if (decision.allowed) {
      expect(decision.used).toBe(usedBefore + 1);
      expect(decision.remaining).toBe(limit - usedBefore - 1);
    } else {
      expect(decision.code).toBe('USAGE_LIMIT_REACHED');
      expect(decision.used).toBe(usedBefore);
      expect(decision.message).toContain(String(limit));
    }
  });

  it('the last allowed run leaves nothing remaining', () => {
    const decision = decideRun(entitlementFor('FREE'), 9);
    expect(decision).toMatchObject({ allowed: true, used: 10, remaining: 0 });
  });

  it.each([
    [1, 'all 1 agent run of the Enterprise plan'],
    [2, 'all 2 agent runs of the Enterprise plan'],
  ])('says how many runs of which plan were used (limit %s)', (limit, phrase) => {
    const entitlement = { ...entitlementFor('ENTERPRISE'), limit };
    const decision = decideRun(entitlement, limit);
    expect(decision.allowed).toBe(false);
    if (!decision.allowed) expect(decision.message).toContain(phrase);
  });

  it('reports the trial window end as the reset for a trial', () => {
    expect(decideRun(entitlementFor('TRIAL'), 0).resetsAt).toEqual(at('2025-03-15T00:00:00Z'));
  });
});

describe('decideRun: blocks win over remaining quota', () => {
  it.each([
    [
      'PAYMENT_PAST_DUE',
      makeState({
        plan: 'PRO',
        status: 'past_due',
        pastDueSince: at('2025-03-01T00:00:00Z'),
        currentPeriodStart: PERIOD.start,
        currentPeriodEnd: PERIOD.end,
      }),
    ],
    ['NO_RUN_LIMIT', makeState({ plan: 'ENTERPRISE', status: 'active', customRunLimit: null })],
  ] as const)('%s', (code, state) => {
    const entitlement = resolveEntitlement(state, NOW, { graceDays: 7 });
    const decision = decideRun(entitlement, 0);
    expect(decision).toMatchObject({ allowed: false, code, used: 0, resetsAt: entitlement.period.end });
    if (!decision.allowed) expect(decision.message).toBe(entitlement.block?.message);
  });
});

describe('decideRun: input checks', () => {
  it.each([-1, 1.5, Number.NaN])('rejects usedBefore %s', (usedBefore) => {
    expect(() => decideRun(entitlementFor('FREE'), usedBefore)).toThrow(AppError);
  });
});
