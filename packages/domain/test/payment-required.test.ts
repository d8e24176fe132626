import { describe, expect, it } from 'vitest';
import {
  AppError,
  APP_ERROR_CODES,
  DENIAL_CODES,
  decideRun,
  isAppError,
  packOffersFor,
  paymentRequiredBodySchema,
  resolveEntitlement,
  toPaymentRequiredBody,
} from '../src/index';
import { at, makeState } from './helpers';

describe('toPaymentRequiredBody', () => {
  it('turns a denial into the 402 body with an ISO reset time', () => {
    const entitlement = resolveEntitlement(makeState(), at('2025-03-10T12:00:00+14:00'), { graceDays: 7 });
    const denial = decideRun(entitlement, 10);
    if (denial.allowed) throw new Error('expected a denial');
    const body = toPaymentRequiredBody(denial, 'https://app.example.com/settings/billing');
    expect(body).toEqual({
      error: {
        code: 'USAGE_LIMIT_REACHED',
        message: denial.message,
        plan: 'FREE',
        status: 'active',
        used: 10,
        limit: 10,
        resetsAt: '2025-03-31T08:00:00.000Z',
        upgradeUrl: 'https://app.example.com/settings/billing',
        // No buy-runs page named: no pack is offered.
        packs: [],
        buyRunsUrl: null,
      },
    });
    expect(paymentRequiredBodySchema.parse(JSON.parse(JSON.stringify(body)))).toEqual(body);
  });

  it('out of runs: every pack is offered next to upgrading, with where to buy it', () => {
    const entitlement = resolveEntitlement(makeState(), at('2025-03-10T12:00:00Z'), { graceDays: 7 });
    const denial = decideRun(entitlement, 10);
    if (denial.allowed) throw new Error('expected a denial');
    const body = toPaymentRequiredBody(denial, '/settings?upgrade=1', '/settings?buy=1');
    expect(body.error.packs).toEqual([
      { id: 'PACK_100', name: '100 runs', units: 100, priceCents: 1000, currency: 'usd' },
      { id: 'PACK_1000', name: '1,000 runs', units: 1000, priceCents: 8000, currency: 'usd' },
    ]);
    expect(body.error.buyRunsUrl).toBe('/settings?buy=1');
    expect(paymentRequiredBodySchema.parse(JSON.parse(JSON.stringify(body)))).toEqual(body);
  });

  it('a pack is no answer to a block or a member cap: none offered, no buy link', () => {
    expect(packOffersFor('USAGE_LIMIT_REACHED')).toHaveLength(2);
    // Past a spend cap, runs bought are spent before overage: a pack lets runs through again.
    expect(packOffersFor('SPEND_CAP_REACHED')).toHaveLength(2);
    for (const code of DENIAL_CODES.filter((c) => c !== 'USAGE_LIMIT_REACHED' && c !== 'SPEND_CAP_REACHED')) {
      expect(packOffersFor(code)).toEqual([]);
    }
    const team = resolveEntitlement(makeState({ accountKind: 'team' }), at('2025-03-10T12:00:00Z'), {
      graceDays: 7,
    });
    const denial = decideRun(team, 0);
    if (denial.allowed) throw new Error('expected a denial');
    expect(toPaymentRequiredBody(denial, '/u', '/b').error).toMatchObject({ packs: [], buyRunsUrl: null });
  });
});

describe('toPaymentRequiredBody: the new team codes', () => {
  const NOW = at('2025-03-10T12:00:00Z');

  it('NO_PLAN: a team account without a paid plan, limit 0', () => {
    const entitlement = resolveEntitlement(makeState({ accountKind: 'team' }), NOW, { graceDays: 7 });
    const denial = decideRun(entitlement, 0);
    if (denial.allowed) throw new Error('expected a denial');
    const body = toPaymentRequiredBody(denial, '/settings/billing');
    expect(body.error).toMatchObject({ code: 'NO_PLAN', plan: 'FREE', used: 0, limit: 0 });
    expect(body.error.message).toContain('A team account needs a paid plan');
    expect(paymentRequiredBodySchema.parse(JSON.parse(JSON.stringify(body)))).toEqual(body);
  });

  it("MEMBER_CAP_REACHED: the member's used/cap while the pool has runs", () => {
    const state = makeState({
      accountKind: 'team',
      plan: 'TEAM',
      status: 'active',
      currentPeriodStart: at('2025-03-01T00:00:00Z'),
      currentPeriodEnd: at('2025-04-01T00:00:00Z'),
    });
    const denial = decideRun(resolveEntitlement(state, NOW, { graceDays: 7 }), 100, {
      usedBefore: 20,
      cap: 20,
    });
    if (denial.allowed) throw new Error('expected a denial');
    const body = toPaymentRequiredBody(denial, '/settings/billing');
    expect(body.error).toMatchObject({
      code: 'MEMBER_CAP_REACHED',
      plan: 'TEAM',
      used: 20,
      limit: 20,
      resetsAt: '2025-04-01T00:00:00.000Z',
    });
    expect(paymentRequiredBodySchema.parse(JSON.parse(JSON.stringify(body)))).toEqual(body);
  });
});

describe('paymentRequiredBodySchema', () => {
  const valid = {
    error: {
      code: 'PAYMENT_PAST_DUE',
      message: 'm',
      plan: 'PRO',
      status: 'past_due',
      used: 3,
      limit: 1000,
      resetsAt: '2025-04-01T00:00:00.000Z',
      upgradeUrl: '/settings/billing',
    },
  };

  it('accepts a valid body', () => {
    expect(paymentRequiredBodySchema.safeParse(valid).success).toBe(true);
  });

  it.each(DENIAL_CODES)('accepts the code %s', (code) => {
    expect(paymentRequiredBodySchema.safeParse({ error: { ...valid.error, code } }).success).toBe(true);
  });

  it('accepts the TEAM plan', () => {
    expect(paymentRequiredBodySchema.safeParse({ error: { ...valid.error, plan: 'TEAM' } }).success).toBe(
      true,
    );
  });

  it.each([
    ['an unknown code', { code: 'NOPE' }],
    ['an unknown plan', { plan: 'GOLD' }],
    ['an unknown status', { status: 'late' }],
    ['a negative count', { used: -1 }],
    ['a fractional limit', { limit: 1.5 }],
    ['a non-ISO reset time', { resetsAt: 'tomorrow' }],
    ['an empty upgrade url', { upgradeUrl: '' }],
    ['an unknown pack', { packs: [{ id: 'PACK_5', name: 'x', units: 5, priceCents: 1, currency: 'usd' }] }],
    [
      'a pack of no units',
      { packs: [{ id: 'PACK_100', name: 'x', units: 0, priceCents: 1, currency: 'usd' }] },
    ],
    [
      'a negative pack price',
      { packs: [{ id: 'PACK_100', name: 'x', units: 1, priceCents: -1, currency: 'usd' }] },
    ],
    [
      'a pack in another currency',
      { packs: [{ id: 'PACK_100', name: 'x', units: 1, priceCents: 1, currency: 'eur' }] },
    ],
    ['an empty buy-runs url', { buyRunsUrl: '' }],
  ])('rejects %s', (_label, change) => {
    expect(paymentRequiredBodySchema.safeParse({ error: { ...valid.error, ...change } }).success).toBe(false);
  });
});

describe('AppError', () => {
  it('carries a code, a user-safe message and details', () => {
    const error = new AppError('CONFLICT', 'Already there', { id: 1 });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: 'AppError',
      code: 'CONFLICT',
      message: 'Already there',
      details: { id: 1 },
    });
    expect(isAppError(error)).toBe(true);
    expect(isAppError(error, 'CONFLICT')).toBe(true);
    expect(isAppError(error, 'NOT_FOUND')).toBe(false);
    expect(isAppError(new Error('x'))).toBe(false);
  });

  it('has the codes the api maps to HTTP', () => {
    expect(APP_ERROR_CODES).toContain('PAYMENT_REQUIRED');
    expect(APP_ERROR_CODES).toContain('TRIAL_NOT_ALLOWED');
    expect(APP_ERROR_CODES).toContain('UNKNOWN_USER');
    expect(new Set(APP_ERROR_CODES).size).toBe(APP_ERROR_CODES.length);
  });
});
