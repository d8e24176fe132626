import { describe, expect, it } from 'vitest';
import {
  AppError,
  DENIAL_CODES,
  decideRun,
  memberCapDenial,
  memberCapMessage,
  resolveEntitlement,
  type Entitlement,
  type PlanId,
} from '../src/index';
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
    ['TEAM', 2000],
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
    // Only a team past its grace is blocked: a personal account still has its FREE runs (see below).
    [
      'PAYMENT_PAST_DUE',
      makeState({
        accountKind: 'team',
        plan: 'TEAM',
        status: 'past_due',
        pastDueSince: at('2025-03-01T00:00:00Z'),
        currentPeriodStart: PERIOD.start,
        currentPeriodEnd: PERIOD.end,
      }),
    ],
    ['NO_RUN_LIMIT', makeState({ plan: 'ENTERPRISE', status: 'active', customRunLimit: null })],
    ['NO_PLAN', makeState({ accountKind: 'team' })],
  ] as const)('%s', (code, state) => {
    const entitlement = resolveEntitlement(state, NOW, { graceDays: 7 });
    const decision = decideRun(entitlement, 0);
    expect(decision).toMatchObject({ allowed: false, code, used: 0, resetsAt: entitlement.period.end });
    if (!decision.allowed) expect(decision.message).toBe(entitlement.block?.message);
  });
});

// A past_due paid plan past its grace: never locked out of the free tier, so a personal account runs on
// FREE entitlements, and once those are used up the 402 says PAYMENT_PAST_DUE (update the card), not
// USAGE_LIMIT_REACHED (upgrade). A team has no FREE runs and is blocked at once.
describe('decideRun: a past_due plan past its grace', () => {
  const SINCE = at('2025-03-01T00:00:00Z');
  const GRACE_END = at('2025-03-08T00:00:00Z'); // SINCE + 7 days
  const FREE_PERIOD = { start: at('2025-02-28T08:00:00Z'), end: at('2025-03-31T08:00:00Z') }; // created Jan 31
  const PAST_DUE_MESSAGE = /^Your last payment failed and the grace period is over\./;

  function pastDue(overrides: Parameters<typeof makeState>[0] = {}) {
    return makeState({
      plan: 'PRO',
      status: 'past_due',
      pastDueSince: SINCE,
      currentPeriodStart: PERIOD.start,
      currentPeriodEnd: PERIOD.end,
      ...overrides,
    });
  }
  const noGraceStart = { pastDueSince: null, currentPeriodStart: null, currentPeriodEnd: null };

  const PERSONAL = {};
  const TEAM = { accountKind: 'team', plan: 'TEAM' } as const;

  it.each([
    // [label, used before, expected, state overrides, now, graceEndsAt]
    ['personal, past the grace', 0, 'allowed', PERSONAL, NOW, GRACE_END],
    ['personal, past the grace', 9, 'allowed', PERSONAL, NOW, GRACE_END],
    ['personal, past the grace', 10, 'PAYMENT_PAST_DUE', PERSONAL, NOW, GRACE_END],
    ['personal, past the grace', 11, 'PAYMENT_PAST_DUE', PERSONAL, NOW, GRACE_END],
    // The grace is [since, grace end): its end instant is already past it.
    ['personal, exactly at the grace end', 0, 'allowed', PERSONAL, GRACE_END, GRACE_END],
    ['personal, exactly at the grace end', 10, 'PAYMENT_PAST_DUE', PERSONAL, GRACE_END, GRACE_END],
    // No date tells how long it has been overdue: the grace counts as over.
    ['personal, no grace end', 9, 'allowed', noGraceStart, NOW, null],
    ['personal, no grace end', 10, 'PAYMENT_PAST_DUE', noGraceStart, NOW, null],
    ['team, past the grace', 0, 'PAYMENT_PAST_DUE', TEAM, NOW, GRACE_END],
    ['team, exactly at the grace end', 0, 'PAYMENT_PAST_DUE', TEAM, GRACE_END, GRACE_END],
    ['team, no grace end', 0, 'PAYMENT_PAST_DUE', { ...TEAM, ...noGraceStart }, NOW, null],
  ] as const)('%s: %s used before -> %s', (label, usedBefore, expected, overrides, now, graceEndsAt) => {
    const isTeam = label.startsWith('team');
    const entitlement = resolveEntitlement(pastDue(overrides), now, { graceDays: 7 });
    expect(entitlement).toEqual({
      plan: 'FREE',
      status: 'past_due',
      limit: isTeam ? 0 : 10,
      period: FREE_PERIOD,
      graceEndsAt,
      block: isTeam ? { code: 'PAYMENT_PAST_DUE', message: expect.stringMatching(PAST_DUE_MESSAGE) } : null,
      limitReached: { code: 'PAYMENT_PAST_DUE', message: expect.stringMatching(PAST_DUE_MESSAGE) },
    });
    const decision = decideRun(entitlement, usedBefore);
    const shape = { plan: 'FREE', status: 'past_due', limit: isTeam ? 0 : 10, resetsAt: FREE_PERIOD.end };
    if (expected === 'allowed') {
      expect(decision).toEqual({ allowed: true, ...shape, used: usedBefore + 1, remaining: 9 - usedBefore });
    } else {
      expect(decision).toEqual({
        allowed: false,
        code: 'PAYMENT_PAST_DUE',
        message: expect.stringMatching(PAST_DUE_MESSAGE),
        ...shape,
        used: usedBefore,
      });
    }
  });

  it('1 ms before the grace end the paid quota still answers, with its own USAGE_LIMIT_REACHED', () => {
    const entitlement = resolveEntitlement(pastDue(), new Date(GRACE_END.getTime() - 1), { graceDays: 7 });
    expect(entitlement).toEqual({
      plan: 'PRO',
      status: 'past_due',
      limit: 1000,
      period: PERIOD,
      graceEndsAt: GRACE_END,
      block: null,
    });
    expect(decideRun(entitlement, 999)).toMatchObject({ allowed: true, used: 1000, remaining: 0 });
    expect(decideRun(entitlement, 1000)).toMatchObject({ allowed: false, code: 'USAGE_LIMIT_REACHED' });
  });

  it('a team member cap never hides the team being blocked past its grace', () => {
    const entitlement = resolveEntitlement(pastDue(TEAM), NOW, {
      graceDays: 7,
    });
    expect(decideRun(entitlement, 0, { usedBefore: 5, cap: 5 })).toMatchObject({
      allowed: false,
      code: 'PAYMENT_PAST_DUE',
      used: 0,
      limit: 0,
    });
  });
});

describe('decideRun: a team member with a cap (the pool is judged first)', () => {
  const team = entitlementFor('TEAM'); // pool of 2000

  it.each([
    // [pool used, member used, member cap, expected]
    [0, 0, null, 'allowed'],
    [0, 500, null, 'allowed'],
    [0, 0, 0, 'MEMBER_CAP_REACHED'],
    [0, 4, 5, 'allowed'],
    [0, 5, 5, 'MEMBER_CAP_REACHED'],
    [0, 6, 5, 'MEMBER_CAP_REACHED'],
    [1999, 4, 5, 'allowed'],
    [1999, 5, 5, 'MEMBER_CAP_REACHED'],
    // Both used up: only an upgrade helps, so the pool's code wins.
    [2000, 5, 5, 'USAGE_LIMIT_REACHED'],
    [2000, 0, null, 'USAGE_LIMIT_REACHED'],
    [2000, 0, 5, 'USAGE_LIMIT_REACHED'],
  ] as const)('pool %s used, member %s of cap %s -> %s', (poolUsed, memberUsed, cap, expected) => {
    const decision = decideRun(team, poolUsed, { usedBefore: memberUsed, cap });
    expect(decision.allowed ? 'allowed' : decision.code).toBe(expected);
    if (decision.allowed) {
      // The answer keeps the pool's figures, as for any run.
      expect(decision).toMatchObject({
        plan: 'TEAM',
        used: poolUsed + 1,
        limit: 2000,
        remaining: 1999 - poolUsed,
      });
    }
  });

  it("answers MEMBER_CAP_REACHED with the member's own used/cap and the period's end", () => {
    const decision = decideRun(team, 10, { usedBefore: 5, cap: 5 });
    expect(decision).toEqual({
      allowed: false,
      code: 'MEMBER_CAP_REACHED',
      message: memberCapMessage(5),
      plan: 'TEAM',
      status: 'active',
      used: 5,
      limit: 5,
      resetsAt: team.period.end,
    });
  });

  it('a block still wins over a reached cap', () => {
    const noPlan = resolveEntitlement(makeState({ accountKind: 'team' }), NOW, { graceDays: 7 });
    const decision = decideRun(noPlan, 0, { usedBefore: 5, cap: 5 });
    expect(decision).toMatchObject({ allowed: false, code: 'NO_PLAN', used: 0, limit: 0 });
  });

  it.each([
    [1, 'all 1 agent run of your monthly cap'],
    [3, 'all 3 agent runs of your monthly cap'],
  ])('says the cap and that the team still has runs (cap %s)', (cap, phrase) => {
    expect(memberCapMessage(cap)).toContain(phrase);
    expect(memberCapMessage(cap)).toContain('The team still has runs');
  });
});

describe('denial messages', () => {
  it('has one code per reason, in the order of the 402 docs', () => {
    expect(DENIAL_CODES).toEqual([
      'USAGE_LIMIT_REACHED',
      'PAYMENT_PAST_DUE',
      'NO_RUN_LIMIT',
      'NO_PLAN',
      'MEMBER_CAP_REACHED',
      'SPEND_CAP_REACHED',
    ]);
  });

  it('tells a team without a plan that it needs a paid plan', () => {
    const noPlan = resolveEntitlement(makeState({ accountKind: 'team' }), NOW, { graceDays: 7 });
    expect(noPlan.block?.message).toMatch(/^A team account needs a paid plan/);
  });
});

describe('decideRun: input checks', () => {
  it.each([-1, 1.5, Number.NaN])('rejects usedBefore %s', (usedBefore) => {
    expect(() => decideRun(entitlementFor('FREE'), usedBefore)).toThrow(AppError);
  });

  it.each([
    ['member.usedBefore', { usedBefore: -1, cap: 5 }],
    ['member.usedBefore', { usedBefore: 0.5, cap: null }],
    ['member.cap', { usedBefore: 0, cap: -1 }],
    ['member.cap', { usedBefore: 0, cap: 2.5 }],
  ] as const)('rejects a bad %s', (name, member) => {
    expect(() => decideRun(entitlementFor('TEAM'), 0, member)).toThrow(
      expect.objectContaining({
        code: 'INTERNAL',
        details: { [name]: name === 'member.cap' ? member.cap : member.usedBefore },
      }),
    );
  });
});

describe("memberCapDenial: a team member's run refused by their own cap", () => {
  const entitlement = entitlementFor('ENTERPRISE');

  it('an estimate larger than what the cap leaves: MEMBER_CAP_REACHED saying what it leaves', () => {
    expect(memberCapDenial(entitlement, { used: 1, cap: 3, estimate: 5 })).toEqual({
      allowed: false,
      code: 'MEMBER_CAP_REACHED',
      message:
        'This run reserves 5 agent runs, but your monthly cap on this team account leaves 2 (1 of 3 used). Send a smaller estimate, or ask an owner or admin to raise your cap.',
      plan: entitlement.plan,
      status: entitlement.status,
      used: 1,
      limit: 3,
      resetsAt: entitlement.period.end,
    });
  });

  it('the cap used up (or passed): the cap-reached message, the member counters as used/limit', () => {
    for (const used of [3, 4]) {
      expect(memberCapDenial(entitlement, { used, cap: 3, estimate: 1 })).toEqual({
        allowed: false,
        code: 'MEMBER_CAP_REACHED',
        message: memberCapMessage(3),
        plan: entitlement.plan,
        status: entitlement.status,
        used,
        limit: 3,
        resetsAt: entitlement.period.end,
      });
    }
  });
});
